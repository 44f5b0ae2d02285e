/**
 * Web Push: a loopback push service receives the entity's pushes and decrypts them with the
 * subscription's keys (RFC 8291), checking payload, TTL, urgency, topic and the VAPID header;
 * a 410 from it removes the subscription.
 */
import { test, before, after } from '../helpers/node-test.ts';
import { Teardown } from '../helpers/teardown.ts';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { decodeProtectedHeader, importJWK, jwtVerify } from 'jose';
import type { EntityConfig, PushStatus } from '../../shared/entity-api.ts';
import { ENTITY_API } from '../../shared/entity-api.ts';
import { delegate, nextEvent, nowSeconds, SimDevice, startKeycloakIssuer, startTestServer, type TestServer } from './helpers.ts';
import { startPushService } from './push_service.ts';

let keycloak: Awaited<ReturnType<typeof startKeycloakIssuer>>;
let push: Awaited<ReturnType<typeof startPushService>>;
let server: TestServer;
let phone: SimDevice;
const sub = randomUUID();
const VAPID_SUBJECT = 'mailto:ops@nod.example';

const teardown = new Teardown();

before(async () => {
  keycloak = teardown.add(await startKeycloakIssuer(), (x) => x.close());
  push = teardown.add(await startPushService(), (x) => x.close());
  server = teardown.add(await startTestServer({ trustedIssuers: [keycloak.issuer], vapidSubject: VAPID_SUBJECT, pushAgent: push.agent }), (x) => x.stop());
  phone = await SimDevice.create(server.url);
  assert.equal((await phone.enroll(await keycloak.accessToken({ sub, preferred_username: 'alice' }))).status, 201);
});

after(() => teardown.run());

async function newRequest(lifetime = 120): Promise<string> {
  const token = await keycloak.delegationToken({ sub, exp: nowSeconds() + lifetime });
  const res = await delegate(server.delegationUrl, token, {
    login_hint: 'alice',
    scope: 'openid',
    is_consent_required: false,
    binding_message: 'SECRET-ISH 1234',
  });
  assert.equal(res.status, 201);
  return ((await res.json()) as { id: string }).id;
}

test('a subscription is refused unless it is an https endpoint with valid keys', async () => {
  const s = push.subscription().toJSON();
  for (const bad of [
    { ...s, endpoint: 'http://127.0.0.1:1/push/x' },
    { ...s, keys: { ...s.keys, p256dh: 'AAAA' } },
    { ...s, keys: { ...s.keys, auth: undefined } },
    { endpoint: 'not a url' },
  ]) {
    assert.equal((await phone.api('PUT', ENTITY_API.push, { subscription: bad })).status, 400);
  }
  assert.deepEqual(await (await phone.api('GET', ENTITY_API.push)).json(), { subscribed: false });
});

test('pushes an encrypted, minimal payload with TTL, urgency, topic and VAPID', async () => {
  const subscription = push.subscription('phone');
  const put = await phone.api('PUT', ENTITY_API.push, { subscription: subscription.toJSON() });
  assert.equal(put.status, 200);
  assert.equal(((await put.json()) as PushStatus).subscribed, true);

  const seen = push.received.length;
  const id = await newRequest(90);
  const p = await push.next('/push/phone', seen);
  const payload = JSON.parse(subscription.decrypt(p.body)) as Record<string, unknown>;
  assert.deepEqual(Object.keys(payload).sort(), ['request_id', 'title', 'type']);
  assert.equal(payload.type, 'request');
  assert.equal(payload.request_id, id);
  assert.ok(!JSON.stringify(payload).includes('SECRET-ISH'), 'no binding message on the lock screen');
  assert.equal(p.headers['content-encoding'], 'aes128gcm');
  const ttl = Number(p.headers.ttl);
  assert.ok(ttl <= 90 && ttl >= 85, `TTL ${ttl} is the remaining lifetime`);
  assert.equal(p.headers.urgency, 'high');
  const topic = String(p.headers.topic);
  assert.match(topic, /^[A-Za-z0-9_-]{1,32}$/);

  // VAPID (RFC 8292): vapid t=<JWT signed by the server's key>, k=<that key>
  const m = /^vapid t=([^,\s]+),\s*k=([A-Za-z0-9_-]+)$/.exec(String(p.headers.authorization));
  assert.ok(m, String(p.headers.authorization));
  const config = (await (await fetch(server.url + ENTITY_API.config)).json()) as EntityConfig;
  assert.equal(m[2], config.vapid_public_key);
  const raw = Buffer.from(m[2]!, 'base64url');
  const key = await importJWK({ kty: 'EC', crv: 'P-256', x: raw.subarray(1, 33).toString('base64url'), y: raw.subarray(33).toString('base64url') }, 'ES256');
  assert.equal(decodeProtectedHeader(m[1]!).alg, 'ES256');
  const { payload: claims } = await jwtVerify(m[1]!, key, { audience: push.origin });
  assert.equal(claims.sub, VAPID_SUBJECT);

  // a second request gets its own topic
  const id2 = await newRequest();
  const p2 = await push.next('/push/phone', seen + 1);
  assert.equal(JSON.parse(subscription.decrypt(p2.body)).request_id, id2);
  assert.notEqual(p2.headers.topic, topic);

  const status = (await (await phone.api('GET', ENTITY_API.push)).json()) as PushStatus;
  assert.equal(status.subscribed, true);
  assert.ok(status.last_push_at);
});

test('the test notification reaches the device', async () => {
  const subscription = push.subscription('phone-test');
  await phone.api('PUT', ENTITY_API.push, { subscription: subscription.toJSON() });
  const seen = push.received.length;
  assert.equal((await phone.api('POST', ENTITY_API.pushTest)).status, 200);
  const p = await push.next('/push/phone-test', seen);
  assert.equal(JSON.parse(subscription.decrypt(p.body)).type, 'test');
});

test('a 410 from the push service removes the subscription', async () => {
  const subscription = push.subscription('phone-gone');
  await phone.api('PUT', ENTITY_API.push, { subscription: subscription.toJSON() });
  push.state.status = 410;
  const gone = nextEvent<{ deviceId: string; status: number }>(server, 'push.gone');
  await newRequest();
  assert.deepEqual(await gone, { deviceId: phone.id, status: 410 });
  push.state.status = 201;
  assert.deepEqual(await (await phone.api('GET', ENTITY_API.push)).json(), { subscribed: false });
  assert.equal(await server.ctx.models.push.find(phone.id), undefined);
});

test('the VAPID keys are generated once and kept in the store', async () => {
  const config = (await (await fetch(server.url + ENTITY_API.config)).json()) as EntityConfig;
  assert.equal(Buffer.from(config.vapid_public_key, 'base64url').length, 65);
  const { loadVapidKeys } = await import('../../server/notify/vapid.ts');
  assert.equal((await loadVapidKeys(server.ctx.models.settings)).publicKey, config.vapid_public_key);
});
