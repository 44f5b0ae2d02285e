/** Every error code of the backchannel authentication endpoint, the CIBA grant and the callback, provoked at least once. */
import { test, before, after } from '../helpers/node-test.ts';
import assert from 'node:assert/strict';
import { exportJWK, generateKeyPair, SignJWT } from 'jose';
import { CIBA_GRANT_TYPE } from '../../shared/constants.ts';
import { newUser } from '../../provider/models/user.ts';
import { setCibaPolicy } from '../../provider/ciba/policy.ts';
import { setCibaUserCode } from '../../provider/ciba/user_code.ts';
import * as oidc from 'openid-client';
import { gzipSync } from 'node:zlib';
import { createHash } from 'node:crypto';
import { backchannel, cibaClient, decide, poll, post, rp, startCiba, type CibaSetup } from './helpers.ts';

let s: CibaSetup;
let bank: { client_id: string; secret: string };
let ping: { client_id: string; secret: string };
let coded: { client_id: string; secret: string };

/** A fresh user, so the per-user anti-fatigue limit of one test does not touch another. */
async function user(username: string, claims: Record<string, unknown> = {}) {
  const u = await newUser(username, 'password1', claims);
  await s.provider.ctx.models.users.put(u.sub, u);
  return u;
}

before(async () => {
  s = await startCiba({ fatigueLimit: 3 });
  bank = await cibaClient(s, 'err-bank');
  ping = await cibaClient(s, 'err-ping', { backchannel_token_delivery_mode: 'ping', backchannel_client_notification_endpoint: 'http://127.0.0.1:9/notify' });
  coded = await cibaClient(s, 'err-coded', { backchannel_user_code_parameter: true });
});
after(() => s?.stop());

async function refused(client: { client_id: string; secret: string }, form: Record<string, string>, error: string, status = 400) {
  const r = await backchannel(s, client, form);
  assert.equal(r.body.error, error, `${JSON.stringify(form)} → ${JSON.stringify(r.body)}`);
  assert.equal(r.status, status);
  assert.equal(typeof r.body.error_description, 'string');
  return r;
}

test('invalid_client (401): wrong secret, unknown client, no authentication', async () => {
  await refused({ client_id: bank.client_id, secret: 'wrong-secret' }, { scope: 'openid', login_hint: 'alice' }, 'invalid_client', 401);
  await refused({ client_id: 'nobody', secret: 'whatever1' }, { scope: 'openid', login_hint: 'alice' }, 'invalid_client', 401);
  const r = await post(s.provider.ctx.urls.backchannelAuthentication, { scope: 'openid', login_hint: 'alice' });
  assert.equal(r.status, 401);
});

test('unauthorized_client: a client not registered for the CIBA grant, at both endpoints', async () => {
  const service = { client_id: 'demo-service', secret: 'demo-service-secret' };
  await refused(service, { scope: 'openid', login_hint: 'alice' }, 'unauthorized_client');
  const r = await post(s.provider.ctx.urls.token, { grant_type: CIBA_GRANT_TYPE, auth_req_id: 'x' }, service);
  assert.equal(r.body.error, 'unauthorized_client');
});

test('invalid_request: hints (none, two), scope (missing, without openid), requested_expiry, notification token, repeated parameter', async () => {
  await refused(bank, { scope: 'openid' }, 'invalid_request');
  await refused(bank, { scope: 'openid', login_hint: 'alice', id_token_hint: 'x.y.z' }, 'invalid_request');
  await refused(bank, { login_hint: 'alice' }, 'invalid_request');
  await refused(bank, { scope: 'profile', login_hint: 'alice' }, 'invalid_request');
  for (const requested_expiry of ['abc', '0', '-5', '1.5', '1e3'])
    await refused(bank, { scope: 'openid', login_hint: 'alice', requested_expiry }, 'invalid_request');
  await refused(ping, { scope: 'openid', login_hint: 'alice' }, 'invalid_request');
  await refused(ping, { scope: 'openid', login_hint: 'alice', client_notification_token: 'has spaces in it' }, 'invalid_request');
  await refused(ping, { scope: 'openid', login_hint: 'alice', client_notification_token: 'a'.repeat(1025) }, 'invalid_request');
  const repeated = await fetch(s.provider.ctx.urls.backchannelAuthentication, {
    method: 'POST',
    headers: {
      'Content-Type': 'application/x-www-form-urlencoded',
      Authorization: `Basic ${Buffer.from(`${bank.client_id}:${bank.secret}`).toString('base64')}`,
    },
    body: 'scope=openid&login_hint=alice&login_hint=bob',
  });
  assert.equal(((await repeated.json()) as { error: string }).error, 'invalid_request');
});

test('request_uri is refused with invalid_request (never ignored), through openid-client; discovery does not offer it', async () => {
  const config = await rp(s, bank.client_id, bank.secret);
  assert.equal(config.serverMetadata().request_uri_parameter_supported, false);
  assert.equal(config.serverMetadata().require_request_uri_registration, undefined);
  let saved = 0;
  const count = () => void saved++;
  s.provider.ctx.events.on('backchannel_authentication.saved', count);
  try {
    const params = { scope: 'openid', login_hint: 'alice', request_uri: 'https://client.example/requests/1' };
    const error = await oidc.initiateBackchannelAuthentication(config, params).then(
      () => assert.fail('a request with request_uri was accepted'),
      (e: unknown) => e,
    );
    assert.ok(error instanceof oidc.ResponseBodyError, String(error));
    assert.equal(error.error, 'invalid_request');
    assert.equal(error.status, 400);
    assert.match(error.error_description ?? '', /request_uri is not supported at the backchannel authentication endpoint.*request parameter/);
    // Sent raw with no hint at all: the same refusal. Nothing was stored or delegated.
    await refused(bank, { scope: 'openid', request_uri: 'urn:example:req' }, 'invalid_request');
    assert.equal(saved, 0);
  } finally {
    s.provider.ctx.events.off('backchannel_authentication.saved', count);
  }
});

test('requested_expiry as a numeric string is honoured, and cut to the configured maximum', async () => {
  await user('expiry-user');
  const r = await backchannel(s, bank, { scope: 'openid', login_hint: 'expiry-user', requested_expiry: '30' });
  assert.equal(r.body.expires_in, 30);
  await s.entity.next();
  const long = await backchannel(s, bank, { scope: 'openid', login_hint: 'expiry-user', requested_expiry: '99999' });
  assert.equal(long.body.expires_in, 600);
  await s.entity.next();
});

test('invalid_scope: a scope the client may not request', async () => {
  await refused(bank, { scope: 'openid api', login_hint: 'alice' }, 'invalid_scope');
});

test('unknown_user_id: login_hint, login_hint_token and id_token_hint that name nobody', async () => {
  await refused(bank, { scope: 'openid', login_hint: 'nobody-here' }, 'unknown_user_id');
  const idToken = await s.provider.ctx.keys.sign({ iss: s.issuer, aud: bank.client_id, sub: 'no-such-sub', iat: 1, exp: 2 }, 'RS256');
  await refused(bank, { scope: 'openid', id_token_hint: idToken }, 'unknown_user_id');
});

test('id_token_hint: an expired ID token of this provider for this client is fine; one for another client or forged is not', async () => {
  const u = await user('hinted-user');
  const iat = Math.floor(Date.now() / 1000) - 7200;
  const expired = await s.provider.ctx.keys.sign({ iss: s.issuer, aud: bank.client_id, sub: u.sub, iat, exp: iat + 60 }, 'RS256');
  const r = await backchannel(s, bank, { scope: 'openid', id_token_hint: expired });
  assert.equal(r.status, 200, JSON.stringify(r.body));
  assert.equal((await s.entity.next()).body.login_hint, 'hinted-user');
  const forOther = await s.provider.ctx.keys.sign({ iss: s.issuer, aud: 'someone-else', sub: u.sub, iat, exp: iat + 60 }, 'RS256');
  await refused(bank, { scope: 'openid', id_token_hint: forOther }, 'invalid_request');
  const { privateKey } = await generateKeyPair('RS256');
  const forged = await new SignJWT({ sub: u.sub })
    .setProtectedHeader({ alg: 'RS256' })
    .setIssuer(s.issuer)
    .setAudience(bank.client_id)
    .setIssuedAt()
    .setExpirationTime('1h')
    .sign(privateKey);
  await refused(bank, { scope: 'openid', id_token_hint: forged }, 'invalid_request');
});

test('login_hint_token from a trusted issuer; expired → expired_login_hint_token; untrusted → invalid_request', async () => {
  const u = await user('token-user', { email: 'token-user@example.com' });
  const { privateKey, publicKey } = await generateKeyPair('ES256');
  const jwk = { ...(await exportJWK(publicKey)), kid: 'k1', alg: 'ES256' };
  await setCibaPolicy(s.provider.ctx, {
    loginHintTokenIssuers: [
      { issuer: 'https://directory.example', jwks: { keys: [jwk] } },
      { issuer: 'https://crm.example', jwks: { keys: [jwk] }, subject_claim: 'email' },
    ],
    loginHintFields: ['username', 'email'],
  });
  const make = (iss: string, claims: Record<string, unknown>, exp: string | number = '5m') =>
    new SignJWT(claims).setProtectedHeader({ alg: 'ES256', kid: 'k1' }).setIssuer(iss).setIssuedAt().setExpirationTime(exp).sign(privateKey);
  const good = await backchannel(s, bank, { scope: 'openid', login_hint_token: await make('https://directory.example', { sub: u.sub }) });
  assert.equal(good.status, 200, JSON.stringify(good.body));
  assert.equal((await s.entity.next()).body.login_hint, 'token-user');
  const byEmail = await backchannel(s, bank, { scope: 'openid', login_hint_token: await make('https://crm.example', { email: 'token-user@example.com' }) });
  assert.equal(byEmail.status, 200, JSON.stringify(byEmail.body));
  await s.entity.next();
  await refused(
    bank,
    { scope: 'openid', login_hint_token: await make('https://directory.example', { sub: u.sub }, Math.floor(Date.now() / 1000) - 60) },
    'expired_login_hint_token',
  );
  await refused(bank, { scope: 'openid', login_hint_token: await make('https://evil.example', { sub: u.sub }) }, 'invalid_request');
  await refused(bank, { scope: 'openid', login_hint_token: await make('https://directory.example', { sub: 'nobody' }) }, 'unknown_user_id');
  await refused(bank, { scope: 'openid', login_hint_token: 'not-a-jwt' }, 'invalid_request');
  await setCibaPolicy(s.provider.ctx, { loginHintTokenIssuers: [], loginHintFields: ['username'] });
});

test('invalid_binding_message: too long, control characters, line breaks, bidi overrides; any script is fine', async () => {
  await user('binding-user');
  for (const binding_message of ['x'.repeat(51), 'bell\u0007', 'two\nlines', '\u202Eevil', 'zero\u200Bwidth', 'tab\there']) {
    await refused(bank, { scope: 'openid', login_hint: 'alice', binding_message }, 'invalid_binding_message');
  }
  await setCibaPolicy(s.provider.ctx, { fatigueLimit: 10 });
  for (const binding_message of ['Код 4F2K', '確認コード 12', 'رمز ٤٥', 'कोड १२', 'OK 👍', 'x'.repeat(50)]) {
    const r = await backchannel(s, bank, { scope: 'openid', login_hint: 'binding-user', binding_message });
    assert.equal(r.status, 200, `${binding_message}: ${JSON.stringify(r.body)}`);
    assert.equal((await s.entity.next()).body.binding_message, binding_message);
  }
  await setCibaPolicy(s.provider.ctx, { fatigueLimit: 3 });
});

test('missing_user_code, invalid_user_code, then too many wrong codes are refused', async () => {
  await user('coded-user');
  await setCibaUserCode(s.provider.ctx, 'coded-user', '4711');
  await refused(coded, { scope: 'openid', login_hint: 'coded-user' }, 'missing_user_code');
  await refused(coded, { scope: 'openid', login_hint: 'coded-user', user_code: '1234' }, 'invalid_user_code');
  const ok = await backchannel(s, coded, { scope: 'openid', login_hint: 'coded-user', user_code: '4711' });
  assert.equal(ok.status, 200);
  await s.entity.next();
  await user('no-code-user');
  await refused(coded, { scope: 'openid', login_hint: 'no-code-user', user_code: '4711' }, 'invalid_user_code');
  for (let i = 0; i < 4; i++) await refused(coded, { scope: 'openid', login_hint: 'coded-user', user_code: `000${i}` }, 'invalid_user_code');
  const blocked = await refused(coded, { scope: 'openid', login_hint: 'coded-user', user_code: '4711' }, 'too_many_requests', 429);
  assert.ok(Number(blocked.headers.get('retry-after')) > 0);
});

test('access_denied (403): a locked account cannot be asked', async () => {
  const u = await user('locked-user');
  await s.provider.ctx.models.users.put(u.sub, { ...u, locked_until: Math.floor(Date.now() / 1000) + 600 });
  await refused(bank, { scope: 'openid', login_hint: 'locked-user' }, 'access_denied', 403);
});

test('a SUCCEED for an account locked meanwhile is refused (403) and the request ends denied', async () => {
  const u = await user('locked-later');
  const r = await backchannel(s, bank, { scope: 'openid', login_hint: 'locked-later' });
  const delegation = await s.entity.next();
  await s.provider.ctx.models.users.put(u.sub, { ...u, locked_until: Math.floor(Date.now() / 1000) + 600 });
  const d = await decide(s, delegation.bearer, 'SUCCEED');
  assert.equal(d.status, 403);
  assert.equal(d.body.error, 'access_denied');
  assert.equal((await poll(s, bank, r.body.auth_req_id as string)).body.error, 'access_denied');
  const again = await decide(s, delegation.bearer, 'SUCCEED');
  assert.equal(again.status, 400, 'a retry of a refused SUCCEED is refused, never a 200 for an approval that did not happen');
  assert.equal(again.body.error, 'invalid_grant');
});

test('anti-fatigue: beyond the per-user limit of pending and recent requests → too_many_requests with Retry-After', async () => {
  await user('busy-user');
  for (let i = 0; i < 3; i++) {
    assert.equal((await backchannel(s, bank, { scope: 'openid', login_hint: 'busy-user' })).status, 200);
    await s.entity.next();
  }
  const r = await refused(bank, { scope: 'openid', login_hint: 'busy-user' }, 'too_many_requests', 429);
  const retry = Number(r.headers.get('retry-after'));
  assert.ok(retry > 60 && retry <= 120, `Retry-After ${retry}: pending requests count until they expire`);
  await refused(bank, { scope: 'openid', login_hint: 'busy-user' }, 'too_many_requests', 429);
  assert.equal(s.entity.receiver.received.filter((d) => d.body.login_hint === 'busy-user').length, 3, 'the phone was not asked again');
});

test('anti-fatigue holds under a burst: of 10 concurrent requests for one user only the limit gets through', async () => {
  await user('burst-user');
  const results = await Promise.all(Array.from({ length: 10 }, () => backchannel(s, bank, { scope: 'openid', login_hint: 'burst-user' })));
  assert.equal(results.filter((r) => r.status === 200).length, 3, results.map((r) => r.status).join(','));
  assert.equal(results.filter((r) => r.status === 429).length, 7);
  for (let i = 0; i < 3; i++) await s.entity.next();
  assert.equal(s.entity.receiver.received.filter((d) => d.body.login_hint === 'burst-user').length, 3, 'the phone was asked more often than the limit');
});

test('token endpoint: authorization_pending, slow_down, access_denied, expired_token, invalid_grant, invalid_request', async () => {
  await user('poll-user');
  await user('poll-expiry-user');
  const pending = await backchannel(s, bank, { scope: 'openid', login_hint: 'poll-user' });
  await s.entity.next();
  const id = pending.body.auth_req_id as string;
  assert.equal((await poll(s, bank, id)).body.error, 'authorization_pending');
  assert.equal((await poll(s, bank, id)).body.error, 'slow_down');
  // A separate one-second request for expired_token: on a loaded machine one second can pass before the first poll.
  const short = await backchannel(s, bank, { scope: 'openid', login_hint: 'poll-expiry-user', requested_expiry: '1' });
  assert.equal(short.status, 200, JSON.stringify(short.body));
  await s.entity.next();
  await new Promise((r) => setTimeout(r, 1100));
  assert.equal((await poll(s, bank, short.body.auth_req_id as string)).body.error, 'expired_token');
  assert.equal((await poll(s, bank, 'unknown')).body.error, 'invalid_grant');
  const denied = await backchannel(s, bank, { scope: 'openid', login_hint: 'poll-user' });
  await decide(s, (await s.entity.next()).bearer, 'UNAUTHORIZED');
  const d = await poll(s, bank, denied.body.auth_req_id as string);
  assert.equal(d.body.error, 'access_denied');
  assert.equal(d.status, 400);
  assert.equal((await post(s.provider.ctx.urls.token, { grant_type: CIBA_GRANT_TYPE }, bank)).body.error, 'invalid_request');
});

test('callback: missing, malformed, foreign and non-delegation bearer tokens → 401; a bad body → 400; nothing changes', async () => {
  await user('callback-user');
  const r = await backchannel(s, bank, { scope: 'openid', login_hint: 'callback-user' });
  const delegation = await s.entity.next();
  const url = s.provider.ctx.urls.cibaCallback;
  const none = await fetch(url, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: '{"status":"SUCCEED"}' });
  assert.equal(none.status, 401);
  assert.match(none.headers.get('www-authenticate') ?? '', /^Bearer/);
  assert.equal((await decide(s, 'garbage', 'SUCCEED')).status, 401);
  const { privateKey } = await generateKeyPair('RS256');
  const claims = JSON.parse(Buffer.from(delegation.bearer.split('.')[1]!, 'base64url').toString()) as Record<string, unknown>;
  const foreign = await new SignJWT(claims).setProtectedHeader({ alg: 'RS256' }).sign(privateKey);
  assert.equal((await decide(s, foreign, 'SUCCEED')).status, 401);
  const unsigned = `${Buffer.from('{"alg":"none"}').toString('base64url')}.${delegation.bearer.split('.')[1]}.`;
  assert.equal((await decide(s, unsigned, 'SUCCEED')).status, 401);
  const idToken = await s.provider.ctx.keys.sign(
    { iss: s.issuer, aud: bank.client_id, sub: claims.sub as string, jti: claims.jti as string, azp: bank.client_id, exp: claims.exp as number },
    'RS256',
  );
  assert.equal((await decide(s, idToken, 'SUCCEED')).status, 401, 'a token for another audience is not a delegation token');
  const bad = await decide(s, delegation.bearer, 'MAYBE');
  assert.equal(bad.status, 400);
  assert.equal(bad.body.error, 'invalid_request');
  const notJson = await fetch(url, {
    method: 'POST',
    headers: { 'Content-Type': 'text/plain', Authorization: `Bearer ${delegation.bearer}` },
    body: 'SUCCEED',
  });
  assert.equal(notJson.status, 400);
  assert.equal((await poll(s, bank, r.body.auth_req_id as string)).body.error, 'authorization_pending');
  assert.equal((await decide(s, delegation.bearer, 'SUCCEED')).status, 200, 'the real decision still goes through');
});

test('callback: the delegation token is known by its stored hash; any other bytes for the same jti are checked by signature and refused', async () => {
  await user('callback-hash');
  const r = await backchannel(s, bank, { scope: 'openid', login_hint: 'callback-hash' });
  const delegation = await s.entity.next();
  const [header, payload, signature] = delegation.bearer.split('.') as [string, string, string];
  const { jti } = JSON.parse(Buffer.from(payload, 'base64url').toString()) as { jti: string };
  const stored = await s.provider.ctx.models.cibaDelegations.find(jti);
  assert.equal(stored?.tokenHash, createHash('sha256').update(delegation.bearer).digest('hex'), 'the record keeps the hash of the token sent');
  // Same jti, other bytes: a flipped signature, a changed claim with the old signature.
  const flipped = `${header}.${payload}.${signature.startsWith('A') ? 'B' : 'A'}${signature.slice(1)}`;
  const claims = JSON.parse(Buffer.from(payload, 'base64url').toString()) as Record<string, unknown>;
  const changed = `${header}.${Buffer.from(JSON.stringify({ ...claims, sub: 'someone-else' })).toString('base64url')}.${signature}`;
  for (const forged of [flipped, changed]) assert.equal((await decide(s, forged, 'SUCCEED')).status, 401);
  assert.equal((await poll(s, bank, r.body.auth_req_id as string)).body.error, 'authorization_pending', 'nothing changed');
  assert.equal((await decide(s, delegation.bearer, 'SUCCEED')).status, 200, 'the token itself is accepted');
});

test('callback: served off node:http for plain JSON and through express otherwise, with the same answers', async () => {
  await user('callback-ways');
  const r = await backchannel(s, bank, { scope: 'openid', login_hint: 'callback-ways' });
  const delegation = await s.entity.next();
  const url = s.provider.ctx.urls.cibaCallback;
  const send = async (to: string, body: string, headers: Record<string, string>, gzip = false) => {
    const res = await fetch(to, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', ...headers, ...(gzip ? { 'Content-Encoding': 'gzip' } : {}) },
      body: gzip ? new Uint8Array(gzipSync(body)) : body,
    });
    const names = [...res.headers.keys()].filter((k) => !['date', 'content-length', 'connection', 'keep-alive'].includes(k)).sort();
    return { status: res.status, body: (await res.json()) as Record<string, unknown>, names, challenge: res.headers.get('www-authenticate') };
  };
  const bearer = { Authorization: `Bearer ${delegation.bearer}` };
  for (const [body, headers, status] of [
    ['{"status":"SUCCEED"}', {}, 401],
    ['{"status":"SUCCEED"}', { Authorization: 'Bearer garbage' }, 401],
    ['{"status":', bearer, 400],
    ['"SUCCEED"', bearer, 400],
    ['{"status":"MAYBE"}', bearer, 400],
  ] as const) {
    const direct = await send(url, body, headers);
    assert.equal(direct.status, status, `${body}: ${JSON.stringify(direct.body)}`);
    for (const other of [await send(url, body, headers, true), await send(`${url}/`, body, headers)]) {
      assert.deepEqual([other.status, other.body, other.names, other.challenge], [direct.status, direct.body, direct.names, direct.challenge], body);
    }
  }
  assert.equal((await poll(s, bank, r.body.auth_req_id as string)).body.error, 'authorization_pending', 'no refusal changed the request');
  // The decision through express (gzip); a replay with another status, directly, is refused like any replay; its repeat is answered alike both ways.
  assert.equal((await send(url, '{"status":"SUCCEED"}', bearer, true)).status, 200);
  const replay = await send(url, '{"status":"UNAUTHORIZED"}', bearer);
  assert.deepEqual([replay.status, replay.body.error], [400, 'invalid_grant']);
  const [repeat, repeatGzip] = [await send(url, '{"status":"SUCCEED"}', bearer), await send(url, '{"status":"SUCCEED"}', bearer, true)];
  assert.deepEqual([repeat.status, repeat.names], [200, repeatGzip.names]);
  assert.equal(repeatGzip.status, 200);
});

test('callback: a retry completes a decision whose first attempt died after spending the token; a replay after the decision → 400', async () => {
  await user('retry-user');
  const r = await backchannel(s, bank, { scope: 'openid', login_hint: 'retry-user' });
  const delegation = await s.entity.next();
  const { jti } = JSON.parse(Buffer.from(delegation.bearer.split('.')[1]!, 'base64url').toString()) as { jti: string };
  // What a provider node killed midway leaves on Redis: the token marked used, the request still pending.
  assert.equal((await s.provider.ctx.models.cibaDelegations.consume(jti)).outcome, 'consumed');
  assert.equal((await decide(s, delegation.bearer, 'SUCCEED')).status, 200, "the entity's retry goes through");
  await new Promise((resolve) => setTimeout(resolve, 1100));
  assert.ok((await poll(s, bank, r.body.auth_req_id as string)).body.access_token, 'the approval reached the client');
  const replay = await decide(s, delegation.bearer, 'UNAUTHORIZED');
  assert.equal(replay.status, 400);
  assert.equal(replay.body.error, 'invalid_grant');
});

test('callback: the same status again (the entity retrying a 200 it never heard) → 200 and nothing recorded twice; another status → 400', async () => {
  const u = await user('repeat-user');
  const grantsOf = async () => (await s.provider.ctx.models.grants.list()).filter((g) => g.value.sub === u.sub).length;
  const approved = await backchannel(s, bank, { scope: 'openid', login_hint: 'repeat-user' });
  const approval = await s.entity.next();
  assert.equal((await decide(s, approval.bearer, 'SUCCEED')).status, 200);
  assert.equal((await decide(s, approval.bearer, 'SUCCEED')).status, 200, 'the repeat is answered as the first time');
  assert.equal(await grantsOf(), 1, 'one grant, not two');
  const other = await decide(s, approval.bearer, 'CANCELLED');
  assert.equal(other.status, 400, 'a different status is not a repeat');
  assert.equal(other.body.error, 'invalid_grant');
  await new Promise((resolve) => setTimeout(resolve, 1100));
  const id = approved.body.auth_req_id as string;
  assert.ok((await poll(s, bank, id)).body.access_token, 'the approval stands');
  assert.equal((await decide(s, approval.bearer, 'SUCCEED')).status, 200, 'also after the tokens were redeemed');
  assert.equal(await grantsOf(), 1);
  await new Promise((resolve) => setTimeout(resolve, 1100));
  assert.equal((await poll(s, bank, id)).body.error, 'invalid_grant', 'redeemed once');

  const denied = await backchannel(s, bank, { scope: 'openid', login_hint: 'repeat-user' });
  const denial = await s.entity.next();
  assert.equal((await decide(s, denial.bearer, 'UNAUTHORIZED')).status, 200);
  assert.equal((await decide(s, denial.bearer, 'UNAUTHORIZED')).status, 200);
  assert.equal((await decide(s, denial.bearer, 'CANCELLED')).status, 400, 'a denial repeated as a cancellation is not a repeat');
  assert.equal((await decide(s, denial.bearer, 'SUCCEED')).status, 400, 'nor as an approval');
  await new Promise((resolve) => setTimeout(resolve, 1100));
  assert.equal((await poll(s, bank, denied.body.auth_req_id as string)).body.error, 'access_denied');
  assert.equal(await grantsOf(), 1);
});
