/**
 * Nodes of the provider sharing one issuer and one Redis (a real redis-server on a free port, no
 * persistence): node A in this process, node B a `nod provider` child process. The entity's
 * callback at one node lets a poll at the other succeed, once; ping notifications and expiries
 * are sent once across the nodes; and a node SIGKILLed in the middle of a ping leaves it to the
 * other. Skipped, with the install command, where redis-server is not installed.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { rmSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { CIBA_CALLBACK_PATH } from '../../shared/auth-channel.ts';
import { CIBA_GRANT_TYPE } from '../../shared/constants.ts';
import { after, before, describe, test } from '../helpers/node-test.ts';
import { CHILD_WORK_LEASE_MS, startNode, type ChildNode } from '../helpers/nodes.ts';
import { startTestProvider, tempDir, type TestProvider } from '../helpers/provider.ts';
import { redisMissing, startRedis } from '../helpers/redis-server.ts';
import { Teardown } from '../helpers/teardown.ts';
import { cibaClient, Entity, post, Receiver, type CibaSetup } from '../ciba/helpers.ts';
import { setCibaPolicy } from '../../provider/ciba/policy.ts';
import { freePort } from '../entity/helpers.ts';

type Client = { client_id: string; secret: string };
const NOTIFY_TOKEN = 'nodes-notify-token';

describe('provider nodes on one Redis', { skip: redisMissing ?? false }, () => {
  const teardown = new Teardown();
  let store: { url: string; prefix: string };
  let entity: Entity;
  let receiver: Receiver;
  let a: TestProvider;
  let b: ChildNode;
  let bank: Client;
  let ping: Client;

  before(async () => {
    const redis = teardown.add(await startRedis(), (r) => r.stop());
    store = { url: redis.url, prefix: `p${randomBytes(4).toString('hex')}:` };
    entity = teardown.add(await Entity.start(), (e) => e.close());
    receiver = teardown.add(await Receiver.start('/ciba/notify'), (r) => r.close());
    receiver.answer = () => 204;
    a = teardown.add(await startTestProvider({ store, authChannelUrl: entity.url }), (p) => p.stop());
    entity.issuer = a.issuer;
    await setCibaPolicy(a.ctx, { fatigueLimit: 1000, notificationRetryBaseMs: 50 });
    const setup = { provider: a, entity, issuer: a.issuer } as unknown as CibaSetup;
    bank = await cibaClient(setup, 'nodes-bank');
    ping = await cibaClient(setup, 'nodes-ping', { backchannel_token_delivery_mode: 'ping', backchannel_client_notification_endpoint: receiver.url });
    const port = await freePort();
    const dataDir = teardown.add(tempDir('nod-provider-node-'), (d) => rmSync(d, { recursive: true, force: true }));
    // A second node of the same provider: same issuer, same store, its own port.
    b = teardown.add(
      await startNode('provider', port, {
        NOD_STORE: store.url,
        NOD_STORE_PREFIX: store.prefix,
        NOD_PROVIDER_PORT: String(port),
        NOD_PROVIDER_HOST: '127.0.0.1',
        NOD_ISSUER: a.issuer,
        NOD_AUTH_CHANNEL_URL: entity.url,
        NOD_DATA_DIR: dataDir,
      }),
      (n) => n.stop(),
    );
  });
  after(() => teardown.run());

  /** Starts a request at `node` and returns its auth_req_id and the delegation's bearer token. */
  async function start(node: string, client: Client, form: Record<string, string> = {}): Promise<{ authReqId: string; bearer: string }> {
    const res = await post(`${node}/bc-authorize`, { scope: 'openid', login_hint: 'alice', ...form }, client);
    assert.equal(res.status, 200, JSON.stringify(res.body));
    const delegation = await entity.next();
    return { authReqId: res.body.auth_req_id as string, bearer: delegation.bearer };
  }

  const callback = (node: string, bearer: string, status = 'SUCCEED') =>
    fetch(`${node}${CIBA_CALLBACK_PATH}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${bearer}` },
      body: JSON.stringify({ status }),
    });
  const poll = (node: string, client: Client, authReqId: string) => post(`${node}/token`, { grant_type: CIBA_GRANT_TYPE, auth_req_id: authReqId }, client);

  test('both nodes publish the same JWKS and discovery', async () => {
    for (const path of ['/jwks', '/.well-known/openid-configuration']) {
      const [x, y] = await Promise.all([a.issuer, b.url].map(async (u) => (await fetch(`${u}${path}`)).json()));
      assert.deepEqual(x, y, path);
    }
  });

  test('the callback taken by node A lets a poll at node B succeed, once', async () => {
    const { authReqId, bearer } = await start(b.url, bank);
    assert.equal((await poll(a.issuer, bank, authReqId)).body.error, 'authorization_pending');
    assert.equal((await callback(a.issuer, bearer)).status, 200);
    assert.equal((await callback(b.url, bearer, 'UNAUTHORIZED')).status, 400, 'the delegation token is accepted once, at any node');
    assert.equal((await callback(b.url, bearer)).status, 200, 'the repeat of the accepted callback is answered 200 at any node, and changes nothing');
    const tokens = await poll(b.url, bank, authReqId);
    assert.equal(tokens.status, 200, JSON.stringify(tokens.body));
    assert.ok(tokens.body.id_token);
    await sleep(1100); // the poll interval
    assert.equal((await poll(a.issuer, bank, authReqId)).body.error, 'invalid_grant', 'redeemed once');
  });

  test('ping notifications of decisions and expiries are each sent once across the nodes', async () => {
    const before = receiver.received.length;
    const nodes = [a.issuer, b.url];
    const decided = await Promise.all(Array.from({ length: 8 }, (_, i) => start(nodes[i % 2]!, ping, { client_notification_token: NOTIFY_TOKEN })));
    const expiring: string[] = [];
    for (let i = 0; i < 4; i++) expiring.push((await start(nodes[i % 2]!, ping, { client_notification_token: NOTIFY_TOKEN, requested_expiry: '2' })).authReqId);
    await Promise.all(decided.map((r, i) => callback(nodes[(i + 1) % 2]!, r.bearer, i % 3 ? 'SUCCEED' : 'UNAUTHORIZED')));
    const want = [...decided.map((r) => r.authReqId), ...expiring].sort();
    const deadline = Date.now() + 20_000;
    const got = () => receiver.received.slice(before).map((r) => r.body.auth_req_id as string);
    while (got().length < want.length) {
      assert.ok(Date.now() < deadline, `12 notifications within 20 s, got ${got().length}`);
      await sleep(50);
    }
    // Two more turns of the nodes' queues (each looks at least every workPollMs): nothing is sent twice.
    await sleep(2200);
    assert.deepEqual(got().sort(), want, 'each request notified exactly once');
    assert.ok(receiver.received.slice(before).every((r) => r.bearer === NOTIFY_TOKEN));
  });

  test('a node SIGKILLed while pinging: the other node sends the ping', { timeout: 90_000 }, async () => {
    const { authReqId, bearer } = await start(b.url, ping, { client_notification_token: NOTIFY_TOKEN });
    const before = receiver.received.length;
    receiver.answer = () => 'hang';
    try {
      assert.equal((await callback(b.url, bearer)).status, 200);
      // Node B took the callback and queued the ping; its first attempt hangs at the client.
      while (receiver.received.length === before) await sleep(20);
      await b.kill();
      receiver.answer = () => 204;
      const started = Date.now();
      const attempts = () => receiver.received.slice(before).filter((r) => r.body.auth_req_id === authReqId);
      while (attempts().length < 2) {
        assert.ok(Date.now() - started < 40_000, 'the ping was sent again within 40 s of the kill');
        await sleep(50);
      }
      console.log(`# ping taken over ${((Date.now() - started) / 1000).toFixed(1)} s after the kill (lease ${CHILD_WORK_LEASE_MS / 1000} s)`);
      assert.equal(attempts()[1]!.bearer, NOTIFY_TOKEN);
      const tokens = await poll(a.issuer, ping, authReqId);
      assert.equal(tokens.status, 200, JSON.stringify(tokens.body));
    } finally {
      receiver.answer = () => 204;
    }
  });
});
