/** Signed backchannel authentication requests: accepted when right, each bad variant refused. */
import { test, before, after } from '../helpers/node-test.ts';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { exportJWK, generateKeyPair, SignJWT, type CryptoKey, type JWTPayload } from 'jose';
import { backchannel, cibaClient, startCiba, type CibaSetup } from './helpers.ts';

let s: CibaSetup;
let signer: { client_id: string; secret: string };
let otherSigner: { client_id: string; secret: string };
let plain: { client_id: string; secret: string };
let key: CryptoKey;
let otherKey: CryptoKey;

async function keyPair(kid: string) {
  const { privateKey, publicKey } = await generateKeyPair('RS256');
  return { privateKey, jwks: { keys: [{ ...(await exportJWK(publicKey)), kid, alg: 'RS256', use: 'sig' }] } };
}

before(async () => {
  s = await startCiba();
  const a = await keyPair('a');
  const b = await keyPair('b');
  key = a.privateKey;
  otherKey = b.privateKey;
  signer = await cibaClient(s, 'signer', { jwks: a.jwks, backchannel_authentication_request_signing_alg: 'RS256' });
  otherSigner = await cibaClient(s, 'other-signer', { jwks: b.jwks, backchannel_authentication_request_signing_alg: 'RS256' });
  plain = await cibaClient(s, 'plain');
});
after(() => s?.stop());

const now = () => Math.floor(Date.now() / 1000);

/** Claims of a good request for `clientId`, with overrides (undefined removes a claim). */
function claims(clientId = signer.client_id, overrides: Record<string, unknown> = {}): JWTPayload {
  const base: Record<string, unknown> = {
    iss: clientId,
    aud: s.issuer,
    iat: now(),
    nbf: now(),
    exp: now() + 300,
    jti: randomUUID(),
    scope: 'openid profile',
    login_hint: 'alice',
    binding_message: 'Signed 42',
    requested_expiry: 60,
    ...overrides,
  };
  return Object.fromEntries(Object.entries(base).filter(([, v]) => v !== undefined));
}

const sign = (payload: JWTPayload, k: CryptoKey = key, kid = 'a') => new SignJWT(payload).setProtectedHeader({ alg: 'RS256', kid }).sign(k);

async function expectRefused(request: string, client = signer, extra: Record<string, string> = {}) {
  const r = await backchannel(s, client, { request, ...extra });
  assert.equal(r.status, 400, JSON.stringify(r.body));
  assert.equal(r.body.error, 'invalid_request');
  return r;
}

test('a correctly signed request is accepted and its claims are the parameters', async () => {
  const r = await backchannel(s, signer, { request: await sign(claims()) });
  assert.equal(r.status, 200, JSON.stringify(r.body));
  assert.equal(r.body.expires_in, 60, 'requested_expiry as a JSON number');
  const d = await s.entity.next();
  assert.equal(d.body.binding_message, 'Signed 42');
  assert.equal(d.body.scope, 'openid profile');
  assert.equal(d.body.login_hint, 'alice');
});

test('the endpoint URL is accepted as audience too', async () => {
  const r = await backchannel(s, signer, { request: await sign(claims(undefined, { aud: s.provider.ctx.urls.backchannelAuthentication })) });
  assert.equal(r.status, 200, JSON.stringify(r.body));
  await s.entity.next();
});

test('a replayed jti is refused', async () => {
  const request = await sign(claims());
  assert.equal((await backchannel(s, signer, { request })).status, 200);
  await s.entity.next();
  await expectRefused(request);
});

test('a wrong signature is refused', async () => {
  const [h, p, sig] = (await sign(claims())).split('.');
  const flipped = Buffer.from(sig!, 'base64url');
  flipped[0]! ^= 0xff;
  await expectRefused(`${h}.${p}.${flipped.toString('base64url')}`);
});

test('alg none is refused', async () => {
  const header = Buffer.from(JSON.stringify({ alg: 'none', typ: 'JWT' })).toString('base64url');
  const payload = Buffer.from(JSON.stringify(claims())).toString('base64url');
  await expectRefused(`${header}.${payload}.`);
});

test("a request signed with another client's key is refused", async () => {
  await expectRefused(await sign(claims(), otherKey, 'a'));
  await expectRefused(await sign(claims(), otherKey, 'b'));
  // and another client's own valid request cannot be replayed under this client's authentication
  await expectRefused(await sign(claims(otherSigner.client_id), otherKey, 'b'));
});

test('missing or expired exp, missing iat, nbf or jti, future nbf, too long a lifetime, wrong iss or aud are refused', async () => {
  const variants: Record<string, unknown>[] = [
    { exp: undefined },
    { exp: now() - 60 },
    { iat: undefined },
    { nbf: undefined },
    { jti: undefined },
    { nbf: now() + 600 },
    { exp: now() + 7200 },
    { iss: 'someone-else' },
    { aud: 'https://elsewhere.example' },
    { client_id: 'someone-else' },
    { scope: ['openid'] },
  ];
  for (const v of variants) await expectRefused(await sign(claims(undefined, v)));
});

test('parameters outside the signed request are refused', async () => {
  await expectRefused(await sign(claims()), signer, { login_hint: 'bob' });
});

test('a client registered for signed requests must sign; a client that is not cannot', async () => {
  const unsigned = await backchannel(s, signer, { scope: 'openid', login_hint: 'alice' });
  assert.equal(unsigned.body.error, 'invalid_request');
  await expectRefused(await sign(claims(plain.client_id)), plain);
});

test('validation errors inside a signed request keep their own codes', async () => {
  const r = await backchannel(s, signer, { request: await sign(claims(undefined, { login_hint: 'nobody-at-all' })) });
  assert.equal(r.body.error, 'unknown_user_id');
  const m = await backchannel(s, signer, { request: await sign(claims(undefined, { binding_message: 'x'.repeat(99) })) });
  assert.equal(m.body.error, 'invalid_binding_message');
});
