/**
 * Contract tests of delegation reception: the exact request Keycloak's HTTP Authentication
 * Channel sends (from a separate loopback issuer with its own key) and our provider's
 * (signed with the running test provider's real keys).
 */
import { test, before, after } from '../helpers/node-test.ts';
import { Teardown } from '../helpers/teardown.ts';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { generateKeyPair, SignJWT } from 'jose';
import { startTestProvider, type TestProvider } from '../helpers/provider.ts';
import { delegate, nowSeconds, startKeycloakIssuer, startTestServer, type TestServer } from './helpers.ts';

let provider: TestProvider;
let keycloak: Awaited<ReturnType<typeof startKeycloakIssuer>>;
let untrusted: Awaited<ReturnType<typeof startKeycloakIssuer>>;
let server: TestServer;

const keycloakBody = {
  login_hint: 'alice',
  scope: 'openid profile',
  is_consent_required: false,
  binding_message: 'Code 4F2K',
  acr_values: 'urn:mace:incommon:iap:silver',
};

const teardown = new Teardown();

before(async () => {
  provider = teardown.add(await startTestProvider(), (x) => x.stop());
  keycloak = teardown.add(await startKeycloakIssuer(), (x) => x.close());
  untrusted = teardown.add(await startKeycloakIssuer(), (x) => x.close());
  server = teardown.add(await startTestServer({ trustedIssuers: [provider.issuer, keycloak.issuer] }), (x) => x.stop());
});

after(() => teardown.run());

async function stored() {
  return { requests: (await server.ctx.models.requests.list()).length, jtis: (await server.ctx.models.jtis.list()).length };
}

function ourToken(claims: Record<string, unknown> = {}) {
  const iat = nowSeconds();
  return provider.ctx.keys.sign(
    { iss: provider.issuer, aud: provider.issuer, jti: randomUUID(), azp: 'demo-bank', sub: 'user-sub-1', iat, exp: iat + 120, ...claims },
    'RS256',
  );
}

test('accepts the exact request Keycloak sends: 201, stored with the token claims', async () => {
  const jti = randomUUID();
  const sub = randomUUID();
  const token = await keycloak.delegationToken({ jti, sub, azp: 'acme-bank' });
  const res = await delegate(server.delegationUrl, token, keycloakBody);
  assert.equal(res.status, 201);
  const { id } = (await res.json()) as { id: string };
  const r = await server.ctx.models.requests.find(id);
  assert.ok(r);
  assert.equal(r.issuer, keycloak.issuer);
  assert.equal(r.jti, jti);
  assert.equal(r.sub, sub);
  assert.equal(r.login_hint, 'alice');
  assert.equal(r.client_id, 'acme-bank');
  assert.equal(r.binding_message, 'Code 4F2K');
  assert.equal(r.acr_values, 'urn:mace:incommon:iap:silver');
  assert.equal(r.status, 'pending');
  assert.ok(r.expires_at >= nowSeconds() + 100);
});

test("accepts Keycloak's five fields with null optionals", async () => {
  const res = await delegate(server.delegationUrl, await keycloak.delegationToken(), {
    login_hint: 'bob',
    scope: 'openid',
    is_consent_required: true,
    binding_message: null,
    acr_values: null,
  });
  assert.equal(res.status, 201);
});

test("accepts our provider's delegation with its extra fields", async () => {
  const res = await delegate(server.delegationUrl, await ourToken(), { ...keycloakBody, client_id: 'demo-bank', client_name: 'Acme Bank' });
  assert.equal(res.status, 201);
  const { id } = (await res.json()) as { id: string };
  const r = await server.ctx.models.requests.find(id);
  assert.equal(r?.client_name, 'Acme Bank');
  assert.equal(r?.issuer, provider.issuer);
});

async function refused(token: string | undefined, body: unknown, status: number, error: string, headers: Record<string, string> = {}) {
  const before = await stored();
  const res = await delegate(server.delegationUrl, token, body, headers);
  assert.equal(res.status, status, await res.clone().text());
  const json = (await res.json()) as { error: string; error_description: string };
  assert.equal(json.error, error);
  assert.ok(json.error_description);
  if (status === 401) assert.match(res.headers.get('www-authenticate') ?? '', /^Bearer /);
  assert.deepEqual(await stored(), before, 'nothing is stored on refusal');
  return json;
}

test('refuses a missing token with 401', async () => {
  await refused(undefined, keycloakBody, 401, 'invalid_token');
});

test('refuses a token that is not a JWT', async () => {
  await refused('not-a-jwt', keycloakBody, 401, 'invalid_token');
});

test('refuses a forged token (right kid and issuer, wrong key)', async () => {
  const real = await keycloak.delegationToken();
  const header = JSON.parse(Buffer.from(real.split('.')[0]!, 'base64url').toString());
  const { privateKey } = await generateKeyPair('RS256');
  const forged = await new SignJWT({ azp: 'acme-bank', sub: 'x', jti: randomUUID() })
    .setProtectedHeader(header)
    .setIssuer(keycloak.issuer)
    .setAudience(keycloak.issuer)
    .setIssuedAt()
    .setExpirationTime('2m')
    .sign(privateKey);
  await refused(forged, keycloakBody, 401, 'invalid_token');
  // and a signature byte flipped on a real token
  const parts = real.split('.');
  const sig = Buffer.from(parts[2]!, 'base64url');
  sig[0] ^= 1;
  await refused(`${parts[0]}.${parts[1]}.${sig.toString('base64url')}`, keycloakBody, 401, 'invalid_token');
});

test('refuses an expired token', async () => {
  const iat = nowSeconds() - 600;
  await refused(await keycloak.delegationToken({ iat, exp: iat + 120 }), keycloakBody, 401, 'invalid_token');
  await refused(await ourToken({ exp: nowSeconds() - 60 }), keycloakBody, 401, 'invalid_token');
});

test('refuses a replayed token (same jti) after accepting it once', async () => {
  const token = await keycloak.delegationToken();
  assert.equal((await delegate(server.delegationUrl, token, keycloakBody)).status, 201);
  await refused(token, keycloakBody, 401, 'invalid_token');
});

test('refuses a token of an untrusted issuer without fetching anything from it', async () => {
  await refused(await untrusted.delegationToken(), keycloakBody, 401, 'invalid_token');
  assert.equal(untrusted.state.discoveryFetches, 0);
  assert.equal(untrusted.state.jwksFetches, 0);
});

test('refuses a token whose audience is not the issuer', async () => {
  await refused(await ourToken({ aud: 'someone-else' }), keycloakBody, 401, 'invalid_token');
});

test('refuses a token without jti', async () => {
  await refused(await ourToken({ jti: undefined }), keycloakBody, 401, 'invalid_token');
});

test('refuses malformed bodies with 400 and stores nothing (not even the jti)', async () => {
  const token = await keycloak.delegationToken();
  await refused(token, { scope: 'openid', is_consent_required: false }, 400, 'invalid_request');
  await refused(token, { login_hint: 'alice', scope: 'openid', is_consent_required: 'no' }, 400, 'invalid_request');
  await refused(token, { login_hint: 'alice', is_consent_required: false }, 400, 'invalid_request');
  await refused(token, { ...keycloakBody, binding_message: 42 }, 400, 'invalid_request');
  await refused(token, '{not json', 400, 'invalid_request');
  await refused(token, '[1,2]', 400, 'invalid_request');
  await refused(token, 'login_hint=alice', 400, 'invalid_request', { 'content-type': 'application/x-www-form-urlencoded' });
  // the token was never consumed by the refusals
  assert.equal((await delegate(server.delegationUrl, token, keycloakBody)).status, 201);
});

test('caches the discovery document and JWKS across requests', async () => {
  const before = { ...keycloak.state };
  for (let i = 0; i < 3; i++) assert.equal((await delegate(server.delegationUrl, await keycloak.delegationToken(), keycloakBody)).status, 201);
  assert.equal(keycloak.state.discoveryFetches, before.discoveryFetches);
  assert.equal(keycloak.state.jwksFetches, before.jwksFetches);
});

test('after the issuer rotates its keys, a delegation signed with the new key is accepted at once', async () => {
  assert.equal((await delegate(`${server.url}/ciba/delegation`, await ourToken(), keycloakBody)).status, 201, 'the entity has just fetched the JWKS');
  await provider.ctx.keys.rotate();
  const iat = nowSeconds();
  const rotated = await provider.ctx.keys.sign(
    { iss: provider.issuer, aud: provider.issuer, jti: randomUUID(), azp: 'demo-bank', sub: 'user-sub-1', iat, exp: iat + 120 },
    'ES256',
  );
  const res = await delegate(`${server.url}/ciba/delegation`, rotated, keycloakBody);
  assert.equal(res.status, 201, await res.text());
});
