/**
 * Number matching on the entity: a delegation with `binding_number` reaches the user's devices
 * as three candidates (never which one is right, never in a push payload); the signed decision
 * must carry the picked number; a wrong pick ends the request denied and flagged as suspicious.
 */
import { test, before, after } from '../helpers/node-test.ts';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import type { DecisionResponse, DeviceRequest, ServerMessage } from '../../shared/entity-api.ts';
import { ENTITY_API } from '../../shared/entity-api.ts';
import { delegate, nextEvent, nowSeconds, SimDevice, startKeycloakIssuer, startTestServer, type TestServer, type WsClient } from './helpers.ts';
import { startPushService } from './push_service.ts';

let keycloak: Awaited<ReturnType<typeof startKeycloakIssuer>>;
let push: Awaited<ReturnType<typeof startPushService>>;
let server: TestServer;
let phone: SimDevice;
let tablet: SimDevice;
let phoneWs: WsClient;
let tabletWs: WsClient;
const sub = randomUUID();
const subscription = () => push.subscription('nm-phone');
let sub0: ReturnType<typeof subscription>;

before(async () => {
  keycloak = await startKeycloakIssuer();
  push = await startPushService();
  server = await startTestServer({ trustedIssuers: [keycloak.issuer], pushAgent: push.agent });
  phone = await SimDevice.create(server.url);
  tablet = await SimDevice.create(server.url);
  assert.equal((await phone.enroll(await keycloak.accessToken({ sub, preferred_username: 'alice' }), 'Pixel 8')).status, 201);
  assert.equal((await tablet.enroll(await keycloak.accessToken({ sub, preferred_username: 'alice' }), 'Tablet')).status, 201);
  sub0 = subscription();
  assert.equal((await phone.api('PUT', ENTITY_API.push, { subscription: sub0.toJSON() })).status, 200);
  phoneWs = await phone.connect();
  tabletWs = await tablet.connect();
});

after(async () => {
  phoneWs?.close();
  tabletWs?.close();
  await server.stop();
  await Promise.all([keycloak.close(), push.close()]);
});

/** Delegates a request carrying `binding_number` (as Nod's provider does); returns its id, token and what the phone's socket got. */
async function newRequest(bindingNumber: string | null = '47') {
  const token = await keycloak.delegationToken({ sub });
  const res = await delegate(server.delegationUrl, token, {
    login_hint: 'alice',
    scope: 'openid profile',
    is_consent_required: false,
    binding_message: 'Code 4F2K',
    ...(bindingNumber ? { binding_number: bindingNumber } : {}),
  });
  assert.equal(res.status, 201, await res.clone().text());
  const { id } = (await res.json()) as { id: string };
  const messages = await phoneWs.until((m) => m.some((x) => x.type === 'request' && x.request.id === id));
  const raw = messages.find((x) => x.type === 'request' && x.request.id === id) as Extract<ServerMessage, { type: 'request' }>;
  return { id, token, request: raw.request };
}

test('the devices get three distinct candidates, the right one among them, the same on each device; no payload says which', async () => {
  const seen = push.received.length;
  const { id, request } = await newRequest('47');
  const choices = request.number_choices!;
  assert.equal(choices.length, 3);
  assert.equal(new Set(choices).size, 3);
  assert.ok(choices.includes('47'));
  for (const c of choices) assert.match(c, /^[1-9][0-9]$/);
  const onTablet = await tabletWs.until((m) => m.some((x) => x.type === 'request' && x.request.id === id));
  const tabletView = (onTablet.find((x) => x.type === 'request' && x.request.id === id) as Extract<ServerMessage, { type: 'request' }>).request;
  assert.deepEqual(tabletView.number_choices, choices, 'the same numbers in the same order on every device');
  const listed = ((await (await phone.api('GET', ENTITY_API.requests)).json()) as DeviceRequest[]).find((r) => r.id === id)!;
  const one = (await (await phone.api('GET', ENTITY_API.request(id))).json()) as DeviceRequest;
  for (const view of [request, tabletView, listed, one]) {
    assert.deepEqual(view.number_choices, choices);
    assert.equal('binding_number' in view, false, 'which number is right never reaches the app');
  }
  // The push (what a lock screen could show) carries neither the number nor the candidates.
  const p = await push.next('/push/nm-phone', seen);
  const payload = JSON.parse(sub0.decrypt(p.body)) as Record<string, unknown>;
  assert.deepEqual(Object.keys(payload).sort(), ['request_id', 'title', 'type']);
  assert.doesNotMatch(JSON.stringify({ ...payload, request_id: 'x' }), /\d/);
});

test('the right pick approves: the callback is SUCCEED', async () => {
  const { id, token } = await newRequest('63');
  const delivered = nextEvent<{ id: string }>(server, 'request.delivered', (e) => e.id === id);
  const res = await phone.decide(id, 'approve', undefined, { number: '63' });
  assert.equal(res.status, 200);
  assert.deepEqual(await res.json(), { id, status: 'approved' });
  await delivered;
  assert.deepEqual(
    keycloak.callbacks.filter((c) => c.authorization === `Bearer ${token}`).map((c) => c.body),
    [{ status: 'SUCCEED' }],
  );
});

test('a wrong pick denies (UNAUTHORIZED), is flagged as suspicious like "this wasn\'t me", and the other device is told why', async () => {
  const { id, token, request } = await newRequest('28');
  const wrong = request.number_choices!.find((n) => n !== '28')!;
  const flagged = nextEvent<{ request_id: string; reason: string }>(server, 'request.suspected_fraud', (e) => e.request_id === id);
  const delivered = nextEvent<{ id: string }>(server, 'request.delivered', (e) => e.id === id);
  const res = await phone.decide(id, 'approve', undefined, { number: wrong });
  assert.equal(res.status, 200);
  assert.deepEqual((await res.json()) as DecisionResponse, { id, status: 'denied', reason: 'wrong_number' });
  assert.equal((await flagged).reason, 'wrong_number');
  await delivered;
  assert.deepEqual(
    keycloak.callbacks.filter((c) => c.authorization === `Bearer ${token}`).map((c) => c.body),
    [{ status: 'UNAUTHORIZED' }],
  );
  const stored = await server.ctx.models.requests.find(id);
  assert.equal(stored?.decision?.reason, 'wrong_number');
  assert.equal(stored?.decision?.suspicious, true);
  const told = await tabletWs.until((m) => m.some((x) => x.type === 'settled' && x.id === id));
  const settled = told.find((x) => x.type === 'settled' && x.id === id) as Extract<ServerMessage, { type: 'settled' }>;
  assert.deepEqual(
    { status: settled.status, reason: settled.reason, decided_on: settled.decided_on },
    { status: 'denied', reason: 'wrong_number', decided_on: 'Pixel 8' },
  );
  // "This wasn't me" carries the same flag.
  const { id: other } = await newRequest();
  await phone.decide(other, 'deny', 'not_me');
  assert.equal((await server.ctx.models.requests.find(other))?.decision?.suspicious, true);
});

test('approving without the number is refused and settles nothing; a number beside the signature does not count', async () => {
  const { id, token } = await newRequest('55');
  const missing = await phone.decide(id, 'approve');
  assert.equal(missing.status, 400);
  assert.equal(((await missing.json()) as { error: string }).error, 'number_required');
  // The number outside the signed payload: as if it were missing.
  const signed = await phone.sign({ request_id: id, device_id: phone.id, decision: 'approve', iat: nowSeconds() });
  const beside = await phone.api('POST', ENTITY_API.decision(id), { signed, number: '55' });
  assert.equal(beside.status, 400);
  assert.equal(((await beside.json()) as { error: string }).error, 'number_required');
  const malformed = await phone.decide(id, 'approve', undefined, { number: 55 as unknown as string });
  assert.equal(malformed.status, 400);
  assert.equal(((await malformed.json()) as { error: string }).error, 'invalid_decision');
  assert.equal((await server.ctx.models.requests.find(id))?.status, 'pending', 'still waiting for the user');
  // A denial needs no number; then it is settled.
  assert.equal((await phone.decide(id, 'deny', 'changed_mind')).status, 200);
  await nextEvent<{ id: string }>(server, 'request.delivered', (e) => e.id === id).catch(() => undefined);
  assert.deepEqual(keycloak.callbacks.filter((c) => c.authorization === `Bearer ${token}`).at(-1)?.body, { status: 'CANCELLED' });
});

test('a delegation without binding_number (Keycloak) has no candidates and approves as before; a malformed one is refused', async () => {
  const { id, request } = await newRequest(null);
  assert.equal(request.number_choices, undefined);
  assert.equal((await phone.decide(id, 'approve')).status, 200);
  for (const bad of ['7', '100', 'ab', 42]) {
    const res = await delegate(server.delegationUrl, await keycloak.delegationToken({ sub }), {
      login_hint: 'alice',
      scope: 'openid',
      is_consent_required: false,
      binding_number: bad,
    });
    assert.equal(res.status, 400, `binding_number ${JSON.stringify(bad)}`);
    assert.match(((await res.json()) as { error_description: string }).error_description, /binding_number must be a two-digit number/);
  }
});
