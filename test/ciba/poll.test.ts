/** CIBA poll mode end to end with openid-client v6 and a loopback authentication entity. */
import { test, before, after } from '../helpers/node-test.ts';
import assert from 'node:assert/strict';
import * as oidc from 'openid-client';
import { CIBA_GRANT_TYPE } from '../../shared/constants.ts';
import { cibaClient, decide, poll, rp, sleep, startCiba, type CibaSetup } from './helpers.ts';

let s: CibaSetup;
let bank: { client_id: string; secret: string };
let other: { client_id: string; secret: string };
let bankRp: oidc.Configuration;

before(async () => {
  s = await startCiba();
  bank = await cibaClient(s, 'poll-bank', { grant_types: [CIBA_GRANT_TYPE, 'refresh_token'] });
  other = await cibaClient(s, 'poll-other');
  bankRp = await rp(s, bank.client_id, bank.secret);
});
after(() => s?.stop());

/** Starts CIBA with openid-client and returns the response and the delegation the entity got. */
async function start(params: Record<string, string> = {}) {
  const response = await oidc.initiateBackchannelAuthentication(bankRp, { scope: 'openid profile', login_hint: 'alice', ...params });
  const delegation = await s.entity.next();
  return { response, delegation };
}

async function errorOf(p: Promise<unknown>): Promise<string> {
  try {
    await p;
  } catch (e) {
    return (e as { error?: string }).error ?? (e as Error).name;
  }
  throw new Error('expected an error');
}

test('discovery advertises CIBA in all three modes', () => {
  const m = bankRp.serverMetadata();
  assert.equal(m.backchannel_authentication_endpoint, `${s.issuer}/bc-authorize`);
  assert.deepEqual(m.backchannel_token_delivery_modes_supported, ['poll', 'ping', 'push']);
  assert.equal(m.backchannel_user_code_parameter_supported, true);
  assert.ok(m.grant_types_supported?.includes(CIBA_GRANT_TYPE));
  assert.ok((m.backchannel_authentication_request_signing_alg_values_supported as string[]).includes('RS256'));
});

test('approve: the entity gets the delegation, SUCCEED yields tokens with auth_time and acr', async () => {
  const { response, delegation } = await start({ binding_message: 'Code 4F2K', acr_values: 'urn:nod:acr:ciba' });
  assert.ok(response.auth_req_id.length >= 43, 'auth_req_id carries at least 256 bits');
  assert.equal(response.expires_in, 120);
  assert.equal(response.interval, 1);
  assert.equal(delegation.verifyError, undefined);
  assert.equal(delegation.body.login_hint, 'alice');
  assert.equal(delegation.body.binding_message, 'Code 4F2K');
  assert.equal(delegation.body.acr_values, 'urn:nod:acr:ciba');
  assert.equal(delegation.body.is_consent_required, true);
  assert.equal(delegation.body.client_id, bank.client_id);
  const startedAt = Math.floor(Date.now() / 1000);
  assert.equal((await decide(s, delegation.bearer, 'SUCCEED')).status, 200);
  const tokens = await oidc.pollBackchannelAuthenticationGrant(bankRp, response);
  const claims = tokens.claims()!;
  assert.equal(claims.sub, (await s.provider.ctx.models.users.findBy('username', 'alice'))[0]!.value.sub);
  assert.equal(claims.acr, 'urn:nod:acr:ciba');
  assert.ok(typeof claims.auth_time === 'number' && claims.auth_time >= startedAt - 1);
  assert.equal(claims.preferred_username, 'alice');
  assert.equal(tokens.refresh_token, undefined, 'no offline_access, no refresh token');
  const info = await oidc.fetchUserInfo(bankRp, tokens.access_token, claims.sub);
  assert.equal(info.preferred_username, 'alice');
});

test('consent given on the device is remembered; offline_access yields a refresh token', async () => {
  const first = await start({ scope: 'openid email offline_access' });
  assert.equal(first.delegation.body.is_consent_required, true);
  await decide(s, first.delegation.bearer, 'SUCCEED');
  const tokens = await oidc.pollBackchannelAuthenticationGrant(bankRp, first.response);
  assert.ok(tokens.refresh_token);
  const refreshed = await oidc.refreshTokenGrant(bankRp, tokens.refresh_token!);
  assert.ok(refreshed.access_token);
  const second = await start({ scope: 'openid email' });
  assert.equal(second.delegation.body.is_consent_required, false);
});

test('deny: UNAUTHORIZED ends as access_denied', async () => {
  const { response, delegation } = await start();
  assert.equal((await decide(s, delegation.bearer, 'UNAUTHORIZED')).status, 200);
  assert.equal(await errorOf(oidc.pollBackchannelAuthenticationGrant(bankRp, response)), 'access_denied');
});

test('cancel: CANCELLED ends as access_denied', async () => {
  const { response, delegation } = await start();
  assert.equal((await decide(s, delegation.bearer, 'CANCELLED')).status, 200);
  assert.equal(await errorOf(oidc.pollBackchannelAuthenticationGrant(bankRp, response)), 'access_denied');
});

test('expiry: expired_token once the request expired, and still expired_token on a late poll', async () => {
  const { response } = await start({ requested_expiry: '2' });
  assert.equal(response.expires_in, 2);
  const signal = AbortSignal.timeout(10_000); // longer than expires_in, so the server's verdict is seen
  assert.equal(await errorOf(oidc.pollBackchannelAuthenticationGrant(bankRp, response, undefined, { signal })), 'expired_token');
  await sleep(1100);
  const late = await poll(s, bank, response.auth_req_id);
  assert.equal(late.body.error, 'expired_token');
});

test('a decision after expiry is refused and changes nothing', async () => {
  const { response, delegation } = await start({ requested_expiry: '1' });
  await sleep(2100);
  const r = await decide(s, delegation.bearer, 'SUCCEED');
  assert.equal(r.status, 401);
  assert.equal((await poll(s, bank, response.auth_req_id)).body.error, 'expired_token');
});

test('slow_down after fast polls, and the interval grows by 5 seconds', async () => {
  const { response } = await start();
  assert.equal((await poll(s, bank, response.auth_req_id)).body.error, 'authorization_pending');
  const fast = await poll(s, bank, response.auth_req_id);
  assert.equal(fast.status, 400);
  assert.equal(fast.body.error, 'slow_down');
  assert.match(String(fast.body.error_description), /6 seconds/);
  const record = await s.provider.ctx.models.cibaRequests.find(response.auth_req_id);
  assert.equal(record?.interval, 6);
});

test('the tokens are redeemed once; a second redemption is invalid_grant', async () => {
  const { response, delegation } = await start();
  await decide(s, delegation.bearer, 'SUCCEED');
  await oidc.pollBackchannelAuthenticationGrant(bankRp, response);
  assert.equal(await errorOf(oidc.pollBackchannelAuthenticationGrant(bankRp, response)), 'invalid_grant');
});

test("another client's auth_req_id is invalid_grant and does not consume it", async () => {
  const { response, delegation } = await start();
  await decide(s, delegation.bearer, 'SUCCEED');
  const otherRp = await rp(s, other.client_id, other.secret);
  assert.equal(await errorOf(oidc.pollBackchannelAuthenticationGrant(otherRp, response)), 'invalid_grant');
  const tokens = await oidc.pollBackchannelAuthenticationGrant(bankRp, response);
  assert.ok(tokens.access_token);
});

test('the callback accepts the delegation token once', async () => {
  const { delegation } = await start();
  assert.equal((await decide(s, delegation.bearer, 'SUCCEED')).status, 200);
  const again = await decide(s, delegation.bearer, 'UNAUTHORIZED');
  assert.equal(again.status, 400);
  assert.equal(again.body.error, 'invalid_grant');
});

test('an unknown auth_req_id is invalid_grant; a missing one is invalid_request', async () => {
  assert.equal((await poll(s, bank, 'x'.repeat(43))).body.error, 'invalid_grant');
  const r = await fetch(s.provider.ctx.urls.token, {
    method: 'POST',
    headers: {
      'Content-Type': 'application/x-www-form-urlencoded',
      Authorization: `Basic ${Buffer.from(`${bank.client_id}:${bank.secret}`).toString('base64')}`,
    },
    body: new URLSearchParams({ grant_type: CIBA_GRANT_TYPE }),
  });
  assert.equal(((await r.json()) as { error: string }).error, 'invalid_request');
});
