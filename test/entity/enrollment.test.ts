/**
 * Enrollment at the entity with our provider's access token (signature via its JWKS, typ
 * at+jwt, issued to the device app; username from userinfo's preferred_username), and the
 * devices API: list, rename, remove.
 */
import { test, before, after } from '../helpers/node-test.ts';
import { Teardown } from '../helpers/teardown.ts';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { signInDeviceApp } from '../helpers/device-app-sign-in.ts';
import { startTestProvider, type TestProvider } from '../helpers/provider.ts';
import { DEVICE_APP_CLIENT_ID } from '../../shared/constants.ts';
import type { DeviceInfo, EntityConfig } from '../../shared/entity-api.ts';
import { DEVICE_NAME_MAX_LENGTH, ENTITY_API } from '../../shared/entity-api.ts';
import { nowSeconds, SimDevice, startKeycloakIssuer, startTestServer, type TestServer } from './helpers.ts';

let provider: TestProvider;
let keycloak: Awaited<ReturnType<typeof startKeycloakIssuer>>;
let server: TestServer;

const teardown = new Teardown();

before(async () => {
  provider = teardown.add(await startTestProvider(), (x) => x.stop());
  keycloak = teardown.add(await startKeycloakIssuer(), (x) => x.close());
  server = teardown.add(await startTestServer({ trustedIssuers: [provider.issuer, keycloak.issuer] }), (x) => x.stop());
});

after(() => teardown.run());

/** A real access token for the device app: code + PKCE through the provider's login page. */
async function signIn(username: 'alice' | 'bob') {
  const s = await signInDeviceApp(provider.issuer, username, username === 'alice' ? 'wonderland' : 'builder');
  return { token: s.accessToken, grantId: s.grantId, sub: s.sub };
}

/**
 * A token signed with the provider's real key but shaped wrong on purpose (another client, another
 * typ, expired): the refusal cases. Backed by a stored grant so only the shape is at fault.
 */
async function accessToken(username: string, claims: Record<string, unknown> = {}, typ = 'at+jwt') {
  const user = (await provider.ctx.models.users.findBy('username', username))[0]?.value;
  const grantId = randomUUID();
  const iat = nowSeconds();
  await provider.ctx.models.grants.put(
    grantId,
    { grantId, sub: user!.sub, clientId: DEVICE_APP_CLIENT_ID, scope: 'openid profile', authTime: iat },
    { expiresIn: 3600 },
  );
  const token = await provider.ctx.keys.sign(
    {
      iss: provider.issuer,
      sub: user!.sub,
      aud: provider.issuer,
      client_id: DEVICE_APP_CLIENT_ID,
      scope: 'openid profile',
      jti: randomUUID(),
      gid: grantId,
      iat,
      exp: iat + 300,
      ...claims,
    },
    'ES256',
    typ,
  );
  return { token, grantId, sub: user!.sub };
}

test('GET /api/config tells the app where and how to sign in', async () => {
  const config = (await (await fetch(server.url + ENTITY_API.config)).json()) as EntityConfig;
  assert.equal(config.issuer, provider.issuer);
  assert.equal(config.client_id, DEVICE_APP_CLIENT_ID);
  assert.match(config.scope, /\bopenid\b/);
  assert.match(config.scope, /\bprofile\b/);
  assert.equal(config.device_verification_uri, `${provider.issuer}/device`);
});

test('enrolls with a provider access token; the username comes from userinfo', async () => {
  const phone = await SimDevice.create(server.url);
  const { token, sub } = await signIn('alice');
  const res = await phone.enroll(token, "Alice's Pixel");
  assert.equal(res.status, 201);
  assert.equal(res.headers.get('cache-control'), 'no-store');
  const e = phone.enrollment!;
  assert.deepEqual(e.user, { sub, username: 'alice', name: 'Alice Liddell' });
  assert.ok(e.device_token.length >= 40);
  assert.ok(e.expires_at > nowSeconds() + 24 * 3600);
  const stored = await server.ctx.models.devices.find(e.device_id);
  assert.deepEqual(stored?.public_key, { kty: 'EC', crv: 'P-256', x: phone.publicJwk.x, y: phone.publicJwk.y });
  assert.ok(!JSON.stringify(await server.ctx.models.sessions.list()).includes(e.device_token), 'only a hash of the session token is stored');
});

async function refusedEnroll(token: string, status: number, body?: unknown) {
  const phone = await SimDevice.create(server.url);
  const before = (await server.ctx.models.devices.list()).length;
  const res =
    body === undefined
      ? await phone.enroll(token)
      : await fetch(server.url + ENTITY_API.devices, {
          method: 'POST',
          headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
          body: JSON.stringify(body),
        });
  assert.equal(res.status, status, await res.clone().text());
  assert.equal((await server.ctx.models.devices.list()).length, before);
}

test('refuses tokens that are not device-app access tokens of the enroll issuer', async () => {
  await refusedEnroll((await accessToken('alice', { client_id: 'demo-web' })).token, 401);
  await refusedEnroll((await accessToken('alice', {}, 'JWT')).token, 401);
  await refusedEnroll((await accessToken('alice', { exp: nowSeconds() - 60 })).token, 401);
  // Keycloak is trusted for delegations, but it is not where the app signs in
  await refusedEnroll(await keycloak.accessToken({ sub: randomUUID(), preferred_username: 'alice' }), 401);
  await refusedEnroll('garbage', 401);
});

test('refuses a token revoked at the provider (userinfo says no)', async () => {
  const { token } = await signIn('bob');
  const revoked = await fetch(`${provider.issuer}/token/revoke`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ client_id: DEVICE_APP_CLIENT_ID, token }),
  });
  assert.equal(revoked.status, 200);
  await refusedEnroll(token, 401);
});

test('refuses bad device keys and names', async () => {
  const { token } = await signIn('alice');
  const phone = await SimDevice.create(server.url);
  const { kty, crv, x, y } = phone.publicJwk;
  await refusedEnroll(token, 400, { name: 'x', public_key: { kty, crv, x, y, d: 'AAAA' } });
  await refusedEnroll(token, 400, { name: 'x', public_key: { kty, crv: 'P-384', x, y } });
  await refusedEnroll(token, 400, { name: 'x', public_key: { kty, crv, x, y: x } });
  await refusedEnroll(token, 400, { name: '', public_key: { kty, crv, x, y } });
  await refusedEnroll(token, 400, { name: 'n'.repeat(DEVICE_NAME_MAX_LENGTH + 1), public_key: { kty, crv, x, y } });
});

test("a user lists, renames and removes their own devices, and cannot touch another user's", async () => {
  const a1 = await SimDevice.create(server.url);
  const a2 = await SimDevice.create(server.url);
  const b1 = await SimDevice.create(server.url);
  await a1.enroll((await signIn('alice')).token, 'One');
  await a2.enroll((await signIn('alice')).token, 'Two');
  await b1.enroll((await signIn('bob')).token, 'Bob');
  const list = (await (await a1.api('GET', ENTITY_API.devices)).json()) as DeviceInfo[];
  const mine = list.filter((d) => d.device_id === a1.id || d.device_id === a2.id);
  assert.equal(mine.length, 2);
  assert.ok(!list.some((d) => d.device_id === b1.id));
  assert.equal(list.find((d) => d.device_id === a1.id)?.current, true);
  assert.equal(list.find((d) => d.device_id === a2.id)?.current, false);

  const renamed = await a1.api('PATCH', ENTITY_API.device(a2.id), { name: 'Kitchen tablet' });
  assert.equal(renamed.status, 200);
  assert.equal(((await renamed.json()) as DeviceInfo).name, 'Kitchen tablet');
  assert.equal((await b1.api('PATCH', ENTITY_API.device(a2.id), { name: 'pwned' })).status, 404);
  assert.equal((await b1.api('DELETE', ENTITY_API.device(a2.id))).status, 404);

  // removing the own device is signing out
  assert.equal((await a2.api('DELETE', ENTITY_API.device(a2.id))).status, 204);
  assert.equal((await a2.api('GET', ENTITY_API.devices)).status, 401);
  assert.equal((await a1.api('GET', ENTITY_API.devices)).status, 200);
});
