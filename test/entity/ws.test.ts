/** The WebSocket channel: authentication as an enrolled device, and in-order delivery. */
import { test, before, after } from '../helpers/node-test.ts';
import { Teardown } from '../helpers/teardown.ts';
import assert from 'node:assert/strict';
import type { ServerMessage } from '../../shared/entity-api.ts';
import { ENTITY_API } from '../../shared/entity-api.ts';
import { WS_CLOSE } from '../../server/notify/ws_hub.ts';
import { delegate, type EntityWithPhone, SimDevice, startEntityWithPhone, startTestServer, WsClient, type TestServer } from './helpers.ts';

let keycloak: EntityWithPhone['keycloak'];
let server: TestServer;
let phone: SimDevice;
let sub: string;
const teardown = new Teardown();

before(async () => {
  ({ keycloak, server, phone, sub } = await startEntityWithPhone(teardown));
});
after(() => teardown.run());

async function newRequest(binding_message: string): Promise<string> {
  const res = await delegate(server.delegationUrl, await keycloak.delegationToken({ sub }), {
    login_hint: 'alice',
    scope: 'openid',
    is_consent_required: false,
    binding_message,
  });
  assert.equal(res.status, 201);
  return ((await res.json()) as { id: string }).id;
}

test('refuses a socket whose auth token is not a device session', async () => {
  const c = await WsClient.connect(server.url);
  c.send({ type: 'auth', device_token: 'x'.repeat(43) });
  assert.equal(await c.closed, WS_CLOSE.unauthorized);
  assert.deepEqual(
    c.messages.map((m) => m.type),
    ['error'],
  );
});

test('refuses a socket whose first message is not auth, or not JSON', async () => {
  const c = await WsClient.connect(server.url);
  c.send({ type: 'pong' });
  c.send({ type: 'hello' });
  assert.equal(await c.closed, WS_CLOSE.badMessage);
  assert.ok(!c.messages.some((m) => m.type === 'ready'));
  const d = await WsClient.connect(server.url);
  d.send('{nope');
  assert.equal(await d.closed, WS_CLOSE.badMessage);
});

test('refuses upgrades on other paths', async () => {
  const { default: WebSocket } = await import('ws');
  const ws = new WebSocket(`${server.url.replace('http', 'ws')}/api/requests`);
  const err = await new Promise<Error>((resolve) => ws.once('error', resolve));
  assert.match(err.message, /404/);
});

test('an authenticated socket gets ready, the pending backlog, then live messages in order', async () => {
  const before1 = await newRequest('B1');
  const before2 = await newRequest('B2');
  const c = await phone.connect();
  const live: string[] = [];
  for (let i = 0; i < 20; i++) live.push(await newRequest(`L${i}`));
  assert.equal((await phone.decide(live[3]!, 'approve')).status, 200);
  const msgs = await c.until((m) => m.some((x) => x.type === 'settled' && x.id === live[3]));
  assert.equal(msgs[0]!.type, 'ready');
  const requests = msgs.filter((m): m is Extract<ServerMessage, { type: 'request' }> => m.type === 'request').map((m) => m.request.id);
  const expected = [before1, before2, ...live];
  assert.deepEqual(
    requests.filter((id) => expected.includes(id)),
    expected,
    'each request once, in order',
  );
  const settledAt = msgs.findIndex((x) => x.type === 'settled' && x.id === live[3]);
  const requestAt = msgs.findIndex((x) => x.type === 'request' && x.request.id === live[3]);
  assert.ok(requestAt < settledAt);
  c.close();
});

test('removing the device closes its sockets and ends its session', async () => {
  const other = await SimDevice.create(server.url);
  assert.equal((await other.enroll(await keycloak.accessToken({ sub, preferred_username: 'alice' }), 'Spare')).status, 201);
  const c = await other.connect();
  const res = await phone.api('DELETE', ENTITY_API.device(other.id));
  assert.equal(res.status, 204);
  assert.equal(await c.closed, WS_CLOSE.revoked);
  assert.equal((await other.api('GET', ENTITY_API.requests)).status, 401);
  const again = await WsClient.connect(server.url);
  again.send({ type: 'auth', device_token: other.enrollment!.device_token });
  assert.equal(await again.closed, WS_CLOSE.unauthorized);
});

test('closes a socket that does not authenticate in time', async () => {
  const quick = await startTestServer({ trustedIssuers: [keycloak.issuer], wsAuthTimeoutMs: 200 });
  try {
    const c = await WsClient.connect(quick.url);
    const started = Date.now();
    assert.equal(await c.closed, WS_CLOSE.authTimeout);
    assert.ok(Date.now() - started < 2000, 'closed long after the auth timeout');
    assert.ok(!c.messages.some((m) => m.type === 'ready'));
  } finally {
    await quick.stop();
  }
});
