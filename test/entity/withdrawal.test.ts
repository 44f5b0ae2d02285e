/**
 * Withdrawal on the entity (Nod's channel extension): the provider POSTs {"status": "WITHDRAWN"}
 * to the delegation path with a bearer token for the same delegation (its issuer, jti and sub);
 * the request ends `withdrawn`, the user's devices are told live, and a late decision gets 409.
 */
import { test, before, after } from '../helpers/node-test.ts';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import type { DeviceRequest, ServerMessage } from '../../shared/entity-api.ts';
import { ENTITY_API } from '../../shared/entity-api.ts';
import { delegate, nextEvent, SimDevice, startKeycloakIssuer, startTestServer, type TestServer, type WsClient } from './helpers.ts';

let keycloak: Awaited<ReturnType<typeof startKeycloakIssuer>>;
let server: TestServer;
let phone: SimDevice;
let ws: WsClient;
const sub = randomUUID();
const WITHDRAWN = { status: 'WITHDRAWN' };

before(async () => {
  keycloak = await startKeycloakIssuer();
  server = await startTestServer({ trustedIssuers: [keycloak.issuer] });
  phone = await SimDevice.create(server.url);
  assert.equal((await phone.enroll(await keycloak.accessToken({ sub, preferred_username: 'alice' }), 'Pixel 8')).status, 201);
  ws = await phone.connect();
});

after(async () => {
  ws?.close();
  await server.stop();
  await keycloak.close();
});

async function newRequest() {
  const jti = randomUUID();
  const token = await keycloak.delegationToken({ sub, azp: 'acme-bank', jti });
  const res = await delegate(server.delegationUrl, token, { login_hint: 'alice', scope: 'openid', is_consent_required: false, client_name: 'Acme Bank' });
  assert.equal(res.status, 201);
  const { id } = (await res.json()) as { id: string };
  await ws.until((m) => m.some((x) => x.type === 'request' && x.request.id === id));
  return { id, token, jti };
}

const settledMessage = async (id: string) =>
  (await ws.until((m) => m.some((x) => x.type === 'settled' && x.id === id))).find((x) => x.type === 'settled' && x.id === id) as Extract<
    ServerMessage,
    { type: 'settled' }
  >;

test('a notice with a token for the same delegation withdraws the pending request: 200, the device is told live, a late decision gets 409', async () => {
  const { id, token, jti } = await newRequest();
  // Signed again by the issuer for the same delegation (as the provider does: it keeps no token).
  const res = await delegate(server.delegationUrl, await keycloak.delegationToken({ sub, azp: 'acme-bank', jti }), WITHDRAWN);
  assert.equal(res.status, 200);
  assert.deepEqual(await res.json(), { id, status: 'withdrawn' });
  assert.equal((await settledMessage(id)).status, 'withdrawn');
  const view = (await (await phone.api('GET', ENTITY_API.request(id))).json()) as DeviceRequest;
  assert.equal(view.status, 'withdrawn');
  assert.equal(view.client, 'Acme Bank');
  assert.ok(!((await (await phone.api('GET', ENTITY_API.requests)).json()) as DeviceRequest[]).some((r) => r.id === id), 'no longer pending');
  assert.equal((await phone.decide(id, 'approve')).status, 409);
  assert.equal(keycloak.callbacks.filter((c) => c.authorization === `Bearer ${token}`).length, 0, 'no callback for a withdrawn request');
  // Told twice: the same answer, nothing changes.
  assert.deepEqual(await (await delegate(server.delegationUrl, token, WITHDRAWN)).json(), { id, status: 'withdrawn' });
});

test('only a token of the same issuer for the same delegation works: another jti or user gets 404, an untrusted or missing token 401', async () => {
  const { id, jti } = await newRequest();
  assert.equal((await delegate(server.delegationUrl, await keycloak.delegationToken({ sub }), WITHDRAWN)).status, 404);
  assert.equal((await delegate(server.delegationUrl, await keycloak.delegationToken({ sub: randomUUID(), jti }), WITHDRAWN)).status, 404);
  assert.equal((await delegate(server.delegationUrl, undefined, WITHDRAWN)).status, 401);
  const stranger = await startKeycloakIssuer();
  try {
    assert.equal((await delegate(server.delegationUrl, await stranger.delegationToken({ sub, jti }), WITHDRAWN)).status, 401);
  } finally {
    await stranger.close();
  }
  assert.equal((await server.ctx.models.requests.find(id))?.status, 'pending');
});

test('a decision the provider can no longer take (its callback refused or not yet made) ends withdrawn on the phone; a delivered one stays', async () => {
  // The provider withdrew first and refuses the decision's callback (400): the phone is told the approval counted for nothing.
  keycloak.state.callbackStatus = 400;
  try {
    const { id, token } = await newRequest();
    const failed = nextEvent<{ id: string }>(server, 'request.callback_failed', (e) => e.id === id);
    assert.equal((await phone.decide(id, 'approve')).status, 200);
    await failed;
    assert.deepEqual(await (await delegate(server.delegationUrl, token, WITHDRAWN)).json(), { id, status: 'withdrawn' });
    const told = (await ws.until((m) => m.some((x) => x.type === 'settled' && x.id === id && x.status === 'withdrawn'))).find(
      (x) => x.type === 'settled' && x.id === id && x.status === 'withdrawn',
    ) as Extract<ServerMessage, { type: 'settled' }>;
    assert.equal(told.decided_by, undefined, 'the client ended it, not a device');
    const stored = await server.ctx.models.requests.find(id);
    assert.equal(stored?.status, 'withdrawn');
    assert.equal(stored?.decision?.status, 'SUCCEED', 'the answer is kept for the record');
    assert.equal(((await (await phone.api('GET', ENTITY_API.request(id))).json()) as DeviceRequest).status, 'withdrawn');
    // A second notice changes nothing.
    assert.deepEqual(await (await delegate(server.delegationUrl, token, WITHDRAWN)).json(), { id, status: 'withdrawn' });
  } finally {
    keycloak.state.callbackStatus = 200;
  }
  const { id, token } = await newRequest();
  const delivered = nextEvent<{ id: string }>(server, 'request.delivered', (e) => e.id === id);
  await phone.decide(id, 'approve');
  await delivered;
  assert.deepEqual(await (await delegate(server.delegationUrl, token, WITHDRAWN)).json(), { id, status: 'approved' });
  assert.equal((await server.ctx.models.requests.find(id))?.callback?.state, 'delivered');
});

test('the token of a withdrawn request is still not accepted as a new delegation (single use)', async () => {
  const { token } = await newRequest();
  await delegate(server.delegationUrl, token, WITHDRAWN);
  const replay = await delegate(server.delegationUrl, token, { login_hint: 'alice', scope: 'openid', is_consent_required: false });
  assert.equal(replay.status, 401);
});
