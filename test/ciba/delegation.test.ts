/** Delegation to the authentication entity: the bearer JWT, the body, and failures that leave nothing behind. */
import { test, after } from '../helpers/node-test.ts';
import assert from 'node:assert/strict';
import { createRemoteJWKSet, decodeProtectedHeader, jwtVerify } from 'jose';
import { startTestProvider } from '../helpers/provider.ts';
import { setCibaPolicy } from '../../provider/ciba/policy.ts';
import { backchannel, cibaClient, decide, Entity, nextEvent, poll, startCiba, type CibaSetup } from './helpers.ts';

const setups: CibaSetup[] = [];
after(async () => {
  for (const s of setups) await s.stop();
});
async function setup() {
  const s = await startCiba();
  setups.push(s);
  return { s, client: await cibaClient(s, 'deleg-client', { client_name: 'Delegation Test' }) };
}

test('the bearer JWT verifies against the JWKS and carries iss, aud, jti, azp, sub, iat, exp = the request expiry', async () => {
  const { s, client } = await setup();
  const before = Math.floor(Date.now() / 1000);
  const r = await backchannel(s, client, {
    scope: 'openid email',
    login_hint: 'alice',
    binding_message: 'Hi',
    acr_values: 'urn:nod:acr:ciba',
    requested_expiry: '90',
  });
  assert.equal(r.status, 200);
  const d = await s.entity.next();
  assert.equal(d.headers['content-type'], 'application/json');
  assert.deepEqual(d.body, {
    login_hint: 'alice',
    scope: 'openid email',
    is_consent_required: true,
    binding_message: 'Hi',
    acr_values: 'urn:nod:acr:ciba',
    client_id: client.client_id,
    client_name: 'Delegation Test',
  });
  assert.equal(decodeProtectedHeader(d.bearer).alg, 'ES256');
  const { payload } = await jwtVerify(d.bearer, createRemoteJWKSet(new URL(`${s.issuer}/jwks`)), {
    issuer: s.issuer,
    audience: s.issuer,
    algorithms: ['ES256'],
  });
  const alice = (await s.provider.ctx.models.users.findBy('username', 'alice'))[0]!.value;
  assert.equal(payload.azp, client.client_id);
  assert.equal(payload.sub, alice.sub);
  assert.ok(typeof payload.jti === 'string' && payload.jti.length >= 16);
  assert.ok(payload.iat! >= before);
  assert.ok(Math.abs(payload.exp! - (before + 90)) <= 1, `exp ${payload.exp} vs ${before + 90}`);
  const second = await backchannel(s, client, { scope: 'openid', login_hint: 'alice' });
  assert.equal(second.status, 200);
  const d2 = await s.entity.next();
  assert.notEqual(JSON.parse(Buffer.from(d2.bearer.split('.')[1]!, 'base64url').toString()).jti, payload.jti, 'jti is unique per request');
});

test('an entity that calls back before answering 201 still works', async () => {
  const { s, client } = await setup();
  s.entity.receiver.answer = () => 201;
  s.entity.receiver.onReceived = async (rec) => {
    await decide(s, rec.bearer!, 'SUCCEED');
  };
  const r = await backchannel(s, client, { scope: 'openid', login_hint: 'bob' });
  assert.equal(r.status, 200);
  const t = await poll(s, client, r.body.auth_req_id as string);
  assert.ok(t.body.access_token, JSON.stringify(t.body));
});

async function assertNoOrphan(s: CibaSetup, r: { status: number; body: Record<string, unknown>; headers: Headers }) {
  assert.equal(r.status, 503);
  assert.equal(r.body.error, 'server_error');
  assert.match(String(r.body.error_description), /try again/);
  assert.ok(r.headers.get('retry-after'));
  assert.equal((await s.provider.ctx.models.cibaRequests.list()).length, 0, 'no request left pending');
  assert.equal((await s.provider.ctx.models.cibaDelegations.list()).length, 0, 'no delegation token left');
}

test('entity down: 503 server_error with Retry-After, and no orphan request', async () => {
  const gone = await Entity.start();
  await gone.close(); // its port now refuses connections
  const p = await startTestProvider({ authChannelUrl: gone.url });
  const s: CibaSetup = { provider: p, entity: gone, issuer: p.issuer, stop: () => p.stop() };
  setups.push(s);
  const client = await cibaClient(s, 'down-client');
  const saved = nextEvent(s, 'backchannel_authentication.saved');
  await assertNoOrphan(s, await backchannel(s, client, { scope: 'openid', login_hint: 'alice' }));
  await saved;
});

test('entity answers 500 (or 200 instead of 201): 503 and no orphan', async () => {
  const { s, client } = await setup();
  for (const status of [500, 200]) {
    s.entity.receiver.answer = () => status;
    await assertNoOrphan(s, await backchannel(s, client, { scope: 'openid', login_hint: 'alice' }));
    await s.entity.next();
  }
});

test('entity does not answer in time: 503 and no orphan', async () => {
  const { s, client } = await setup();
  await setCibaPolicy(s.provider.ctx, { delegationTimeoutMs: 300 });
  s.entity.receiver.answer = () => 'hang';
  const started = Date.now();
  await assertNoOrphan(s, await backchannel(s, client, { scope: 'openid', login_hint: 'alice' }));
  assert.ok(Date.now() - started < 2000);
});
