/**
 * Decisions end to end against a Keycloak-shaped issuer on loopback (it signs the delegation
 * and receives the callback): approve, deny with each reason, first answer wins across two
 * devices, expiry, signature and freshness checks, and callback retries.
 */
import { test, before, after } from '../helpers/node-test.ts';
import { Teardown } from '../helpers/teardown.ts';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import type { DeviceRequest, ServerMessage } from '../../shared/entity-api.ts';
import { ENTITY_API } from '../../shared/entity-api.ts';
import { delegate, nextEvent, nowSeconds, SimDevice, startKeycloakIssuer, startTestServer, type TestServer } from './helpers.ts';

let keycloak: Awaited<ReturnType<typeof startKeycloakIssuer>>;
let server: TestServer;
let phone: SimDevice;
let tablet: SimDevice;
let mallory: SimDevice;
const aliceSub = randomUUID();

const teardown = new Teardown();

before(async () => {
  keycloak = teardown.add(await startKeycloakIssuer(), (x) => x.close());
  server = teardown.add(await startTestServer({ trustedIssuers: [keycloak.issuer] }), (x) => x.stop());
  phone = await SimDevice.create(server.url);
  tablet = await SimDevice.create(server.url);
  mallory = await SimDevice.create(server.url);
  assert.equal((await phone.enroll(await keycloak.accessToken({ sub: aliceSub, preferred_username: 'alice' }), 'Phone')).status, 201);
  assert.equal((await tablet.enroll(await keycloak.accessToken({ sub: aliceSub, preferred_username: 'alice' }), 'Tablet')).status, 201);
  assert.equal((await mallory.enroll(await keycloak.accessToken({ sub: randomUUID(), preferred_username: 'mallory' }), 'Other')).status, 201);
});

after(() => teardown.run());

/** Delegates a request for alice like Keycloak; returns its id and the bearer token. */
async function newRequest(extra: { exp?: number; binding_message?: string } = {}) {
  const token = await keycloak.delegationToken({ sub: aliceSub, ...(extra.exp ? { exp: extra.exp } : {}) });
  const res = await delegate(server.delegationUrl, token, {
    login_hint: 'Alice',
    scope: 'openid profile email',
    is_consent_required: false,
    binding_message: extra.binding_message ?? 'Code 4F2K',
  });
  assert.equal(res.status, 201);
  const { id } = (await res.json()) as { id: string };
  return { id, token };
}

function callbacksWith(token: string) {
  return keycloak.callbacks.filter((c) => c.authorization === `Bearer ${token}`);
}

test('shows the request to every device of the user with what the app needs, and to nobody else', async () => {
  const { id } = await newRequest();
  const list = (await (await phone.api('GET', ENTITY_API.requests)).json()) as DeviceRequest[];
  const r = list.find((x) => x.id === id);
  assert.ok(r);
  assert.equal(r.binding_message, 'Code 4F2K');
  assert.equal(r.client, 'acme-bank');
  assert.equal(r.issuer, keycloak.issuer);
  assert.deepEqual(
    r.scopes.map((s) => s.scope),
    ['openid', 'profile', 'email'],
  );
  assert.equal(r.scopes[2]!.description, 'See your email address');
  assert.ok(r.expires_at > nowSeconds());
  assert.equal((await tablet.api('GET', ENTITY_API.request(id))).status, 200);
  assert.equal((await mallory.api('GET', ENTITY_API.request(id))).status, 404);
  assert.ok(!((await (await mallory.api('GET', ENTITY_API.requests)).json()) as DeviceRequest[]).some((x) => x.id === id));
  assert.equal((await mallory.decide(id, 'approve')).status, 404);
});

for (const [decision, reason, status, shown] of [
  ['approve', undefined, 'SUCCEED', 'approved'],
  ['deny', 'not_me', 'UNAUTHORIZED', 'denied'],
  ['deny', 'changed_mind', 'CANCELLED', 'cancelled'],
] as const) {
  test(`${decision}${reason ? ` (${reason})` : ''} calls back ${status} with the same bearer token`, async () => {
    const { id, token } = await newRequest();
    const delivered = nextEvent<{ id: string }>(server, 'request.delivered', (e) => e.id === id);
    const res = await phone.decide(id, decision, reason);
    assert.equal(res.status, 200);
    assert.deepEqual(await res.json(), { id, status: shown });
    await delivered;
    const calls = callbacksWith(token);
    assert.equal(calls.length, 1);
    assert.deepEqual(calls[0]!.body, { status });
    assert.match(calls[0]!.contentType ?? '', /^application\/json/);
    const after = (await (await phone.api('GET', ENTITY_API.request(id))).json()) as DeviceRequest;
    assert.equal(after.status, shown);
    assert.equal(after.decided_by, phone.id);
    const stored = await server.ctx.models.requests.find(id);
    assert.equal(stored?.callback?.state, 'delivered');
  });
}

test('first answer wins across two devices; the other is told it is settled', async () => {
  const tabletWs = await tablet.connect();
  const { id, token } = await newRequest();
  await tabletWs.until((m) => m.some((x) => x.type === 'request' && x.request.id === id));
  const delivered = nextEvent<{ id: string }>(server, 'request.delivered', (e) => e.id === id);
  const [a, b] = await Promise.all([phone.decide(id, 'approve'), tablet.decide(id, 'deny', 'not_me')]);
  const statuses = [a.status, b.status].sort();
  assert.deepEqual(statuses, [200, 409]);
  const loser = a.status === 409 ? a : b;
  assert.equal(((await loser.json()) as { error: string }).error, 'already_settled');
  await delivered;
  assert.equal(callbacksWith(token).length, 1);
  const settled = await tabletWs.until((m) => m.some((x) => x.type === 'settled' && x.id === id));
  const msg = settled.find((x) => x.type === 'settled' && x.id === id) as Extract<ServerMessage, { type: 'settled' }>;
  assert.ok(msg.decided_by === phone.id || msg.decided_by === tablet.id);
  // a later decision is refused clearly, not silently accepted
  assert.equal((await phone.decide(id, 'approve')).status, 409);
  tabletWs.close();
});

test('a request whose settlement a killed node began (marker taken, still pending) is decided by the next decision, with one callback', async () => {
  const { id, token } = await newRequest();
  // What a node killed between taking the marker and recording its decision leaves on Redis.
  assert.equal((await server.ctx.models.settlements.consume(id)).outcome, 'consumed');
  const delivered = nextEvent<{ id: string }>(server, 'request.delivered', (e) => e.id === id);
  assert.equal((await phone.decide(id, 'approve')).status, 200, 'the request is not stuck');
  await delivered;
  assert.equal(callbacksWith(token).length, 1);
  assert.equal((await tablet.decide(id, 'deny', 'not_me')).status, 409, 'and it is decided once');
});

test('an expired request is withdrawn from the devices and refuses decisions with 410', async () => {
  const ws = await phone.connect();
  const { id, token } = await newRequest({ exp: nowSeconds() + 2 });
  await ws.until((m) => m.some((x) => x.type === 'request' && x.request.id === id));
  await nextEvent<{ id: string }>(server, 'request.expired', (e) => e.id === id, 5000);
  await ws.until((m) => m.some((x) => x.type === 'settled' && x.id === id && x.status === 'expired'));
  const res = await phone.decide(id, 'approve');
  assert.equal(res.status, 410);
  assert.equal(((await res.json()) as { error: string }).error, 'expired');
  assert.equal(((await (await phone.api('GET', ENTITY_API.request(id))).json()) as DeviceRequest).status, 'expired');
  assert.ok(!((await (await phone.api('GET', ENTITY_API.requests)).json()) as DeviceRequest[]).some((x) => x.id === id));
  assert.equal(callbacksWith(token).length, 0);
  ws.close();
});

test('rejects a decision signed by another device, for another request, or stale', async () => {
  const { id } = await newRequest();
  const other = await newRequest();
  // the tablet's key signs a payload naming the phone, sent with the phone's session
  const forged = await tablet.sign({ request_id: id, device_id: phone.id, decision: 'approve', iat: nowSeconds() });
  let res = await phone.api('POST', ENTITY_API.decision(id), { signed: forged });
  assert.equal(res.status, 400);
  assert.equal(((await res.json()) as { error: string }).error, 'invalid_decision');
  res = await phone.decide(id, 'approve', undefined, { request_id: other.id });
  assert.equal(res.status, 400);
  res = await phone.decide(id, 'approve', undefined, { iat: nowSeconds() - 300 });
  assert.equal(res.status, 400);
  res = await phone.decide(id, 'approve', undefined, { device_id: tablet.id });
  assert.equal(res.status, 400);
  res = await phone.api('POST', ENTITY_API.decision(id), { signed: 'x.y.z' });
  assert.equal(res.status, 400);
  res = await phone.api('POST', ENTITY_API.decision(id), {});
  assert.equal(res.status, 400);
  // none of these settled it
  assert.equal((await phone.decide(id, 'approve')).status, 200);
});

test('the app API refuses calls without a valid device session', async () => {
  assert.equal((await fetch(server.url + ENTITY_API.requests)).status, 401);
  const res = await fetch(server.url + ENTITY_API.requests, { headers: { authorization: 'Bearer not-a-session-token-at-all' } });
  assert.equal(res.status, 401);
  assert.match(res.headers.get('www-authenticate') ?? '', /invalid_token/);
});

test('retries the callback with backoff until the provider answers 200', async () => {
  keycloak.state.callbackStatus = 503;
  const { id, token } = await newRequest();
  const delivered = nextEvent<{ id: string; attempts: number }>(server, 'request.delivered', (e) => e.id === id);
  assert.equal((await phone.decide(id, 'approve')).status, 200);
  // the decision is stored before the first attempt
  assert.equal((await server.ctx.models.requests.find(id))?.decision?.status, 'SUCCEED');
  await new Promise((r) => setTimeout(r, 900));
  assert.ok(callbacksWith(token).length >= 2, 'retried while failing');
  keycloak.state.callbackStatus = 200;
  const { attempts } = await delivered;
  assert.ok(attempts >= 3);
  assert.equal(callbacksWith(token).length, attempts);
  assert.ok(callbacksWith(token).every((c) => (c.body as { status: string }).status === 'SUCCEED'));
});

test('stops calling back when the provider refuses the token (401)', async () => {
  keycloak.state.callbackStatus = 401;
  const { id, token } = await newRequest();
  const failed = nextEvent<{ id: string }>(server, 'request.callback_failed', (e) => e.id === id);
  assert.equal((await phone.decide(id, 'approve')).status, 200);
  await failed;
  keycloak.state.callbackStatus = 200;
  assert.equal(callbacksWith(token).length, 1);
  assert.equal((await server.ctx.models.requests.find(id))?.callback?.state, 'failed');
});
