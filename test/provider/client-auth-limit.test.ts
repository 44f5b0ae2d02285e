/**
 * Guessing limits on client authentication (provider/middleware/client_auth_limit.ts) against a
 * real provider, with openid-client v6 at the token and revocation endpoints and fetch at the
 * others: wrong secrets from one address block that client_id there (invalid_client with
 * Retry-After), the right secret fails during the block and works after it, other addresses are
 * not blocked, the per-client ceiling and the per-address limit hold (an IPv6 client counted by its
 * /64), each block is logged once;
 * private_key_jwt assertions count the same way; public clients are never counted.
 * The provider trusts X-Forwarded-For from loopback (trust proxy 'loopback', as behind a local
 * reverse proxy), so each request says which address it stands for. Windows are 2 s here.
 */
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { exportJWK, generateKeyPair } from 'jose';
import * as oidc from 'openid-client';
import { upsertClient } from '../../provider/demo.ts';
import { defaults } from '../../provider/defaults.ts';
import { PATHS } from '../../provider/context.ts';
import { after, before, describe, it } from '../helpers/node-test.ts';
import { captureLog } from '../helpers/log-capture.ts';
import { startTestProvider, type TestProvider } from '../helpers/provider.ts';
import { basicAuth } from '../helpers/sign-in.ts';

const WINDOW = 2;
const PER_SOURCE = defaults.clientAuthMaxFailuresPerSource;

describe('client authentication guessing limits', () => {
  let p: TestProvider;
  const logs = captureLog('provider', 'warn');

  before(async () => {
    p = await startTestProvider({ log: logs.log, ttls: { clientAuthFailureWindow: WINDOW } });
  });
  after(() => p?.stop());

  /** openid-client v6 for `clientId` authenticating with `auth` (default: client_secret_basic with `auth`), its requests coming from `address`. */
  async function rp(clientId: string, auth: string | oidc.ClientAuth, address: string): Promise<oidc.Configuration> {
    const method = typeof auth === 'string' ? oidc.ClientSecretBasic(auth) : auth;
    const config = await oidc.discovery(new URL(p.issuer), clientId, undefined, method, { execute: [oidc.allowInsecureRequests] });
    config[oidc.customFetch] = (url, options) => {
      const headers = new Headers(options.headers as HeadersInit);
      headers.set('x-forwarded-for', address);
      return fetch(url, { ...options, headers } as RequestInit);
    };
    return config;
  }

  /** The HTTP response behind an openid-client rejection (a body error or a WWW-Authenticate challenge). */
  async function refusal(call: Promise<unknown>): Promise<{ status: number; error: string; retryAfter: string | null; description: string }> {
    try {
      await call;
    } catch (e) {
      const res = (e as { response?: Response }).response;
      assert.ok(res, `expected an HTTP refusal, got ${String(e)}`);
      // A ResponseBodyError has read the body (and kept its fields); a challenge error has not.
      const body = e instanceof oidc.ResponseBodyError ? e : ((await res.json()) as { error: string; error_description: string });
      return { status: res.status, error: body.error, retryAfter: res.headers.get('retry-after'), description: body.error_description ?? '' };
    }
    assert.fail('expected a refusal');
  }

  /** A POST to a back-channel endpoint with Basic credentials from `address`. */
  async function post(path: string, clientId: string, secret: string, address: string, body: Record<string, string>) {
    const res = await fetch(new URL(path, p.issuer), {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: basicAuth(clientId, secret), 'x-forwarded-for': address },
      body: new URLSearchParams(body),
    });
    return { status: res.status, retryAfter: res.headers.get('retry-after'), json: (await res.json()) as Record<string, string> };
  }

  it('wrong secrets block the client at that address; the right secret fails during the block, other addresses pass, and it works after the window', async () => {
    const wrong = await rp('demo-service', 'guess', '10.0.0.1');
    for (let i = 1; i < PER_SOURCE; i++) {
      const r = await refusal(oidc.clientCredentialsGrant(wrong, { scope: 'api' }));
      assert.equal(r.error, 'invalid_client');
      assert.equal(r.retryAfter, null, `failure ${i} is not blocked yet`);
    }
    const last = await refusal(oidc.clientCredentialsGrant(wrong, { scope: 'api' }));
    assert.deepEqual([last.status, last.error], [401, 'invalid_client']);
    assert.ok(Number(last.retryAfter) >= 1 && Number(last.retryAfter) <= WINDOW, `Retry-After ${last.retryAfter}`);

    const right = await rp('demo-service', 'demo-service-secret', '10.0.0.1');
    const blocked = await refusal(oidc.clientCredentialsGrant(right, { scope: 'api' }));
    assert.deepEqual([blocked.status, blocked.error], [401, 'invalid_client']);
    assert.match(blocked.description, /too many failed client authentications/);
    assert.ok(Number(blocked.retryAfter) >= 1);
    // The revocation endpoint shares the counters.
    const revoking = await refusal(oidc.tokenRevocation(right, 'anything'));
    assert.equal(revoking.error, 'invalid_client');
    assert.ok(revoking.retryAfter);

    const elsewhere = await rp('demo-service', 'demo-service-secret', '10.0.0.2');
    assert.ok((await oidc.clientCredentialsGrant(elsewhere, { scope: 'api' })).access_token, 'another address is not blocked');

    const events = logs.events('client_auth.source_blocked').filter((l) => l.clientId === 'demo-service');
    assert.equal(events.length, 1, 'the block is logged once');
    assert.equal(events[0]!.address, '10.0.0.1');
    assert.ok(!JSON.stringify(logs.lines).includes('guess'), 'no secret in the logs');

    await sleep(Number(blocked.retryAfter) * 1000 + 200);
    assert.ok((await oidc.clientCredentialsGrant(right, { scope: 'api' })).access_token, 'the block ended with its window');
    await oidc.tokenRevocation(right, 'anything');
  });

  it('every endpoint that authenticates clients counts and refuses the same way', async () => {
    const endpoints: Array<[string, Record<string, string>]> = [
      [PATHS.token, { grant_type: 'client_credentials' }],
      [PATHS.revocation, { token: 'x' }],
      [PATHS.introspection, { token: 'x' }],
      [PATHS.backchannelAuthentication, { scope: 'openid', login_hint: 'alice' }],
      [PATHS.deviceAuthorization, { scope: 'openid' }],
    ];
    for (const [i, [path, body]] of endpoints.entries()) {
      const address = `10.0.1.${i}`;
      for (let n = 1; n < PER_SOURCE; n++) assert.equal((await post(path, 'demo-bank', 'guess', address, body)).json.error, 'invalid_client');
      const r = await post(path, 'demo-bank', 'guess', address, body);
      assert.deepEqual([r.status, r.json.error], [401, 'invalid_client'], path);
      assert.ok(r.retryAfter, `${path} answers the block with Retry-After`);
      const right = await post(path, 'demo-bank', 'demo-bank-secret', address, body);
      assert.deepEqual(
        [right.status, right.json.error, Boolean(right.retryAfter)],
        [401, 'invalid_client', true],
        `${path}: the right secret fails during the block`,
      );
    }
  });

  it('the per-client ceiling locks the client_id for every address, for one window', async () => {
    const id = 'demo-callcenter';
    const addresses = Math.ceil(defaults.clientAuthMaxFailuresPerClient / PER_SOURCE);
    await Promise.all(
      Array.from({ length: addresses }, async (_, a) => {
        for (let n = 0; n < PER_SOURCE; n++) await post(PATHS.token, id, 'guess', `10.0.2.${a}`, { grant_type: 'client_credentials' });
      }),
    );
    const fresh = await post(PATHS.token, id, 'demo-callcenter-secret', '10.0.3.1', { grant_type: 'client_credentials' });
    assert.deepEqual([fresh.status, fresh.json.error], [401, 'invalid_client']);
    assert.ok(fresh.retryAfter, 'locked for every address');
    assert.equal(logs.events('client.locked').filter((l) => l.clientId === id).length, 1, 'the lock is logged once');
    await sleep(Number(fresh.retryAfter) * 1000 + 200);
    const later = await post(PATHS.token, id, 'demo-callcenter-secret', '10.0.3.1', { grant_type: 'client_credentials' });
    assert.notEqual(later.json.error, 'invalid_client', 'the lock ended with its window');
  });

  it('one address guessing many client_ids is blocked for all of them', async () => {
    const address = '10.0.4.1';
    for (let n = 0; n < defaults.clientAuthMaxFailuresPerAddress; n++)
      await post(PATHS.token, `made-up-${n}`, 'guess', address, { grant_type: 'client_credentials' });
    const r = await post(PATHS.token, 'demo-push', 'demo-push-secret', address, { grant_type: 'client_credentials' });
    assert.deepEqual([r.status, r.json.error, Boolean(r.retryAfter)], [401, 'invalid_client', true]);
    assert.equal(logs.events('client_auth.source_blocked').filter((l) => l.address === address && l.for === 'all clients').length, 1);
    const other = await post(PATHS.token, 'demo-push', 'demo-push-secret', '10.0.4.2', { grant_type: 'client_credentials' });
    assert.notEqual(other.json.error, 'invalid_client');
  });

  it('an IPv6 guesser changing address within its /64 is counted as one address; the next /64 is not blocked', async () => {
    // Each try from a different address of 2001:db8:7:7::/64, as a client holding the whole prefix can.
    for (let n = 0; n < defaults.clientAuthMaxFailuresPerAddress; n++)
      await post(PATHS.token, `v6-made-up-${n}`, 'guess', `2001:db8:7:7:${(n + 1).toString(16)}::${n + 1}`, { grant_type: 'client_credentials' });
    const r = await post(PATHS.token, 'demo-push', 'demo-push-secret', '2001:db8:7:7:ffff::1', { grant_type: 'client_credentials' });
    assert.deepEqual([r.status, r.json.error, Boolean(r.retryAfter)], [401, 'invalid_client', true], 'another address of the same /64 is blocked');
    assert.equal(logs.events('client_auth.source_blocked').filter((l) => String(l.address).startsWith('2001:db8:7:7:')).length, 1, 'logged once, with the full address');
    const next = await post(PATHS.token, 'demo-push', 'demo-push-secret', '2001:db8:7:8::1', { grant_type: 'client_credentials' });
    assert.notEqual(next.json.error, 'invalid_client', 'the neighbouring /64 is another subscriber');
  });

  it('private_key_jwt: assertions signed with another key count the same, and the real key fails during the block', async () => {
    const real = await generateKeyPair('ES256', { extractable: true });
    const forged = await generateKeyPair('ES256');
    const jwk = { ...(await exportJWK(real.publicKey)), kid: 'k1', alg: 'ES256', use: 'sig' };
    await upsertClient(p.ctx, {
      client_id: 'jwt-service',
      token_endpoint_auth_method: 'private_key_jwt',
      jwks: { keys: [jwk] },
      grant_types: ['client_credentials'],
      response_types: [],
      scope: 'api',
    });
    const config = (key: CryptoKey, address: string) => rp('jwt-service', oidc.PrivateKeyJwt({ key, kid: 'k1' }), address);
    assert.ok((await oidc.clientCredentialsGrant(await config(real.privateKey, '10.0.6.1'), { scope: 'api' })).access_token, 'the real key works');
    const wrong = await config(forged.privateKey, '10.0.6.1');
    for (let n = 1; n < PER_SOURCE; n++) assert.equal((await refusal(oidc.clientCredentialsGrant(wrong, { scope: 'api' }))).retryAfter, null);
    assert.ok((await refusal(oidc.clientCredentialsGrant(wrong, { scope: 'api' }))).retryAfter, 'blocked at the limit');
    const during = await refusal(oidc.clientCredentialsGrant(await config(real.privateKey, '10.0.6.1'), { scope: 'api' }));
    assert.deepEqual([during.error, Boolean(during.retryAfter)], ['invalid_client', true]);
  });

  it('a public client has no secret to guess: its failures are not counted', async () => {
    const clients = await p.ctx.models.clients.list();
    const pub = clients.find((c) => c.value.token_endpoint_auth_method === 'none');
    assert.ok(pub, 'the demo has a public client');
    const id = pub.value.client_id;
    for (let n = 0; n < PER_SOURCE + 2; n++) await post(PATHS.token, id, 'guess', '10.0.5.1', { grant_type: 'client_credentials' });
    const res = await fetch(new URL(PATHS.token, p.issuer), {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', 'x-forwarded-for': '10.0.5.1' },
      body: new URLSearchParams({ client_id: id, grant_type: 'refresh_token', refresh_token: 'x' }),
    });
    assert.equal(res.headers.get('retry-after'), null);
    assert.notEqual(((await res.json()) as { error: string }).error, 'invalid_client');
  });
});
