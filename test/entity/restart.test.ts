/**
 * Durability across a restart of the entity, and the demo-only automated-approval hook.
 */
import { test, after, before } from '../helpers/node-test.ts';
import { Teardown } from '../helpers/teardown.ts';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { rmSync } from 'node:fs';
import { startServer } from '../../server/app.ts';
import { delegate, nextEvent, nowSeconds, SimDevice, startKeycloakIssuer, startTestServer, tempDir } from './helpers.ts';
import { testStore } from '../helpers/store.ts';

let keycloak: Awaited<ReturnType<typeof startKeycloakIssuer>>;
const teardown = new Teardown();

before(async () => {
  keycloak = teardown.add(await startKeycloakIssuer(), (x) => x.close());
});
after(() => teardown.run());

const body = { login_hint: 'alice', scope: 'openid', is_consent_required: false };

test('a stored decision survives a restart and its callback is delivered after it', async () => {
  const dataDir = tempDir('nod-server-restart-');
  const sub = randomUUID();
  let s = await startServer({ port: 0, host: '127.0.0.1', dataDir, ...testStore(dataDir), trustedIssuers: [keycloak.issuer] });
  const phone = await SimDevice.create(s.url);
  await phone.enroll(await keycloak.accessToken({ sub, preferred_username: 'alice' }));
  const token = await keycloak.delegationToken({ sub });
  const res = await delegate(s.delegationUrl, token, body);
  const { id } = (await res.json()) as { id: string };
  const pendingToken = await keycloak.delegationToken({ sub, exp: nowSeconds() + 3 });
  const { id: pendingId } = (await (await delegate(s.delegationUrl, pendingToken, body)).json()) as { id: string };

  keycloak.state.callbackStatus = 503;
  assert.equal((await phone.decide(id, 'deny', 'changed_mind')).status, 200);
  await s.close();
  keycloak.state.callbackStatus = 200;
  const before = keycloak.callbacks.filter((c) => c.authorization === `Bearer ${token}`).length;

  s = await startServer({ port: 0, host: '127.0.0.1', dataDir, ...testStore(dataDir), trustedIssuers: [keycloak.issuer] });
  try {
    const delivered = nextEvent<{ id: string; status: string }>(s, 'request.delivered', (e) => e.id === id);
    const expired = nextEvent<{ id: string }>(s, 'request.expired', (e) => e.id === pendingId, 6000);
    // resume() may have delivered it before we listened
    const stored = await s.ctx.models.requests.find(id);
    if (stored?.callback?.state !== 'delivered') await delivered;
    const calls = keycloak.callbacks.filter((c) => c.authorization === `Bearer ${token}`);
    assert.ok(calls.length > before);
    assert.deepEqual(calls.at(-1)!.body, { status: 'CANCELLED' });
    // the pending request's expiry timer was re-armed on start
    await expired;
    assert.equal((await s.ctx.models.requests.find(pendingId))?.status, 'expired');
    // the device session and the jti memory survived too
    assert.equal((await fetch(`${s.url}/api/requests`, { headers: { authorization: `Bearer ${phone.enrollment!.device_token}` } })).status, 200);
    assert.equal((await delegate(s.delegationUrl, token, body)).status, 401);
  } finally {
    await s.close();
    rmSync(dataDir, { recursive: true, force: true });
  }
});

test('the automated-approval hook is refused outside demo mode', async () => {
  await assert.rejects(startTestServer({ trustedIssuers: [keycloak.issuer], autoApprove: true, demo: false }), /demo mode/);
});

test('in demo mode the automated-approval hook approves every request', async () => {
  const s = await startTestServer({ trustedIssuers: [keycloak.issuer], autoApprove: true, demo: true });
  try {
    const token = await keycloak.delegationToken();
    const { id } = (await (await delegate(s.delegationUrl, token, body)).json()) as { id: string };
    await nextEvent<{ id: string }>(s, 'request.delivered', (e) => e.id === id);
    const stored = await s.ctx.models.requests.find(id);
    assert.equal(stored?.status, 'approved');
    assert.equal(stored?.decided_by, 'auto-approve');
    assert.deepEqual(keycloak.callbacks.find((c) => c.authorization === `Bearer ${token}`)?.body, { status: 'SUCCEED' });
  } finally {
    await s.stop();
  }
});
