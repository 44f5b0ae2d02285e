/**
 * Nodes of the entity sharing one Redis (a real redis-server on a free port, no persistence):
 * a delegation accepted by one node reaches the phone whose socket is open on another, and so do
 * the request's later updates (decided elsewhere, expired); callbacks and expiries are done once
 * across the nodes; and a node SIGKILLed in the middle of a callback leaves it to the others.
 * Skipped, with the install command, where redis-server is not installed.
 */
import assert from 'node:assert/strict';
import { randomBytes, randomUUID } from 'node:crypto';
import { rmSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import type { ServerMessage } from '../../shared/entity-api.ts';
import { after, before, describe, test } from '../helpers/node-test.ts';
import { CHILD_WORK_LEASE_MS, startNode } from '../helpers/nodes.ts';
import { redisMissing, startRedis, type TestRedis } from '../helpers/redis-server.ts';
import { Teardown } from '../helpers/teardown.ts';
import {
  delegate,
  freePort,
  nextEvent,
  nowSeconds,
  SimDevice,
  startKeycloakIssuer,
  startTestServer,
  tempDir,
  type TestServer,
  type WsClient,
} from '../entity/helpers.ts';

const body = { login_hint: 'alice', scope: 'openid', is_consent_required: false };
const isRequest = (id: string) => (m: ServerMessage[]) => m.some((x) => x.type === 'request' && x.request.id === id);
const isSettled = (id: string, status: string) => (m: ServerMessage[]) => m.some((x) => x.type === 'settled' && x.id === id && x.status === status);

describe('entity nodes on one Redis', { skip: redisMissing ?? false }, () => {
  const teardown = new Teardown();
  let redis: TestRedis;
  let keycloak: Awaited<ReturnType<typeof startKeycloakIssuer>>;
  let store: { url: string; prefix: string };
  let a: TestServer;
  let b: TestServer;
  let phone: SimDevice;
  let socket: WsClient;
  const sub = randomUUID();

  before(async () => {
    redis = teardown.add(await startRedis(), (r) => r.stop());
    keycloak = teardown.add(await startKeycloakIssuer(), (k) => k.close());
    store = { url: redis.url, prefix: `e${randomBytes(4).toString('hex')}:` };
    a = teardown.add(await startTestServer({ store, trustedIssuers: [keycloak.issuer] }), (s) => s.stop());
    b = teardown.add(await startTestServer({ store, trustedIssuers: [keycloak.issuer] }), (s) => s.stop());
    phone = await SimDevice.create(a.url);
    assert.equal((await phone.enroll(await keycloak.accessToken({ sub, preferred_username: 'alice' }))).status, 201);
    socket = teardown.add(await phone.connect(), (s) => s.close());
  });
  after(() => teardown.run());

  async function delegateTo(node: { delegationUrl: string }, exp?: number): Promise<{ id: string; token: string }> {
    const token = await keycloak.delegationToken({ sub, ...(exp ? { exp } : {}) });
    const res = await delegate(node.delegationUrl, token, body);
    assert.equal(res.status, 201, await res.clone().text());
    return { id: ((await res.json()) as { id: string }).id, token };
  }

  test('a delegation accepted by node B reaches the phone on node A, live', async () => {
    const whole: number[] = [];
    const fanOut: number[] = [];
    for (let i = 0; i < 20; i++) {
      const started = performance.now();
      const { id } = await delegateTo(b);
      const accepted = performance.now();
      await socket.until(isRequest(id));
      whole.push(performance.now() - started);
      fanOut.push(performance.now() - accepted);
    }
    const summary = (ms: number[]) => {
      const sorted = [...ms].sort((x, y) => x - y);
      const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!.toFixed(1);
      return `p50 ${at(0.5)} ms, p90 ${at(0.9)} ms, max ${at(1)} ms`;
    };
    // Measured, not asserted (the machine is shared).
    console.log(`# 20 delegations at node B → the phone's socket on node A: from B's 201 ${summary(fanOut)}; from the POST ${summary(whole)}`);
  });

  test('updates reach the phone on node A: decided through node B, expired by whichever node', async () => {
    const { id } = await delegateTo(b);
    await socket.until(isRequest(id));
    const delivered = Promise.race([
      nextEvent(a, 'request.delivered', (e: { id: string }) => e.id === id),
      nextEvent(b, 'request.delivered', (e: { id: string }) => e.id === id),
    ]);
    assert.equal((await phone.at(b.url).decide(id, 'approve')).status, 200);
    await socket.until(isSettled(id, 'approved'));
    await delivered;
    const short = await delegateTo(a, nowSeconds() + 2);
    await socket.until(isRequest(short.id));
    await socket.until(isSettled(short.id, 'expired'), 10_000);
  });

  test('decisions on both nodes are each called back exactly once; expiries are each done once', async () => {
    const before = keycloak.callbacks.length;
    const decided = await Promise.all(Array.from({ length: 10 }, (_, i) => delegateTo(i % 2 ? a : b)));
    const expiring = await Promise.all(Array.from({ length: 6 }, (_, i) => delegateTo(i % 2 ? a : b, nowSeconds() + 2)));
    const expired: string[] = [];
    const onExpired = (e: { id: string }) => expired.push(e.id);
    a.ctx.events.on('request.expired', onExpired);
    b.ctx.events.on('request.expired', onExpired);
    try {
      for (const [i, r] of decided.entries()) assert.equal((await phone.at(i % 3 ? a.url : b.url).decide(r.id, 'approve')).status, 200);
      const tokens = new Set(decided.map((r) => r.token));
      const deadline = Date.now() + 15_000;
      while (
        keycloak.callbacks.slice(before).filter((c) => tokens.has(c.authorization!.slice(7))).length < 10 ||
        !expiring.every((r) => expired.includes(r.id))
      ) {
        assert.ok(Date.now() < deadline, 'every callback and every expiry within 15 s');
        await sleep(50);
      }
      // Two more turns of the nodes' queues (each looks at least every workPollMs): nothing is done twice.
      await sleep(2200);
      const calls = keycloak.callbacks.slice(before).map((c) => c.authorization!.slice(7));
      for (const r of decided) assert.equal(calls.filter((t) => t === r.token).length, 1, 'one callback per decision');
      assert.deepEqual([...expired].sort(), expiring.map((r) => r.id).sort(), 'one expiry per request');
    } finally {
      a.ctx.events.off('request.expired', onExpired);
      b.ctx.events.off('request.expired', onExpired);
    }
  });

  test('a node SIGKILLed while calling back: another node delivers the callback; its pending expiries are done', { timeout: 90_000 }, async () => {
    const port = await freePort();
    const dataDir = teardown.add(tempDir('nod-entity-node-'), (d) => rmSync(d, { recursive: true, force: true }));
    const node = teardown.add(
      await startNode('server', port, {
        NOD_STORE: store.url,
        NOD_STORE_PREFIX: store.prefix,
        NOD_SERVER_PORT: String(port),
        NOD_SERVER_HOST: '127.0.0.1',
        NOD_SERVER_URL: `http://127.0.0.1:${port}`,
        NOD_TRUSTED_ISSUERS: keycloak.issuer,
        NOD_DATA_DIR: dataDir,
      }),
      (n) => n.stop(),
    );
    const { id, token } = await delegateTo({ delegationUrl: `${node.url}/ciba/delegation` });
    const pending = await delegateTo({ delegationUrl: `${node.url}/ciba/delegation` }, nowSeconds() + 4);
    let release!: () => void;
    keycloak.state.holdCallbacks = new Promise((resolve) => (release = resolve));
    const inFlight = keycloak.state.callbacksInFlight;
    assert.equal((await phone.at(node.url).decide(id, 'deny', 'changed_mind')).status, 200);
    // The node that took the decision makes the first attempt; the provider holds it.
    while (keycloak.state.callbacksInFlight === inFlight) await sleep(20);
    await node.kill();
    keycloak.state.holdCallbacks = undefined;
    release();
    const survivors = [a, b];
    const delivered = Promise.race(survivors.map((s) => nextEvent<{ id: string }>(s, 'request.delivered', (e) => e.id === id, 40_000)));
    const expired = Promise.race(survivors.map((s) => nextEvent<{ id: string }>(s, 'request.expired', (e) => e.id === pending.id, 40_000)));
    const started = Date.now();
    await Promise.all([delivered, expired]);
    console.log(`# callback taken over ${((Date.now() - started) / 1000).toFixed(1)} s after the kill (lease ${CHILD_WORK_LEASE_MS / 1000} s)`);
    const calls = keycloak.callbacks.filter((c) => c.authorization === `Bearer ${token}`);
    assert.ok(calls.length >= 1 && calls.every((c) => (c.body as { status: string }).status === 'CANCELLED'));
    assert.equal((await a.ctx.models.requests.find(id))?.callback?.state, 'delivered');
    await socket.until(isSettled(pending.id, 'expired'));
  });
});
