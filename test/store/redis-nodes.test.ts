/**
 * What only Redis has: two processes sharing one store, and the store going away and coming
 * back. A real redis-server on a free port; the second node is a child process (no mocks).
 * Skipped, with the install command, where redis-server is not installed.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { RedisStore } from '../../shared/store/redis/redis-store.ts';
import { StoreUnavailableError } from '../../shared/store/store.ts';
import { openStore, loadStoreConfig } from '../../shared/store/open.ts';
import { redisMissing, startRedis, type TestRedis } from '../helpers/redis-server.ts';
import { drainQueue } from './drain.ts';

const WORKER = fileURLToPath(new URL('./redis-worker.ts', import.meta.url));
const prefix = () => `t${randomBytes(6).toString('hex')}:`;

/** Milliseconds `fn` took to settle, and how. */
async function timed<T>(fn: () => Promise<T>): Promise<{ ms: number; error?: unknown; value?: T }> {
  const started = performance.now();
  try {
    const value = await fn();
    return { ms: performance.now() - started, value };
  } catch (error) {
    return { ms: performance.now() - started, error };
  }
}

describe('redis store across processes and outages', { skip: redisMissing ?? false }, () => {
  let redis: TestRedis | undefined;
  before(async () => {
    redis = await startRedis();
  });
  after(async () => {
    await redis?.stop();
  });

  test('two processes: each due item is worked by exactly one, each code consumed by exactly one', { timeout: 60_000 }, async () => {
    const p = prefix();
    const store = await RedisStore.open({ url: redis!.url, prefix: p, name: 'nodes' });
    const child = spawn(process.execPath, ['--import', 'tsx', WORKER, redis!.url, p, '100'], { stdio: ['pipe', 'pipe', 'inherit'] });
    try {
      const now = Date.now();
      await Promise.all(Array.from({ length: 300 }, (_, i) => store.scheduler.schedule('work', `job${i}`, now - 1, { i })));
      await Promise.all(Array.from({ length: 100 }, (_, i) => store.collection('Code').put(`code${i}`, { i }, { expiresIn: 60 })));
      let out = '';
      child.stdout!.on('data', (d) => (out += d));
      while (!out.includes('ready\n')) await once(child.stdout!, 'data');
      child.stdin!.write('go\n');
      const [claimed, consumed] = await Promise.all([
        drainQueue(store, 'work'),
        Promise.all(
          Array.from({ length: 100 }, async (_, i) => ((await store.collection('Code').consume(`code${i}`)).outcome === 'consumed' ? `code${i}` : undefined)),
        ),
      ]);
      const [code] = await once(child, 'exit');
      assert.equal(code, 0);
      const theirs = JSON.parse(out.split('\n').find((l) => l.startsWith('{'))!) as { claimed: string[]; consumed: string[] };
      const mine = { claimed, consumed: consumed.filter((c): c is string => c !== undefined) };
      assert.equal(mine.claimed.length + theirs.claimed.length, 300, `items worked: ${mine.claimed.length} here + ${theirs.claimed.length} there`);
      assert.equal(new Set([...mine.claimed, ...theirs.claimed]).size, 300, 'an item was worked twice');
      assert.ok(theirs.claimed.length > 0 && mine.claimed.length > 0, 'both processes took part');
      assert.equal(mine.consumed.length + theirs.consumed.length, 100);
      assert.equal(new Set([...mine.consumed, ...theirs.consumed]).size, 100, 'a code was consumed twice');
    } finally {
      if (child.exitCode === null) child.kill('SIGKILL');
      await store.close();
    }
  });

  test('Redis down: operations fail fast with StoreUnavailableError, readiness says so, and it recovers without a restart', { timeout: 60_000 }, async () => {
    const store = await RedisStore.open({ url: redis!.url, prefix: prefix(), name: 'outage' });
    const events: string[] = [];
    try {
      const c = store.collection<{ v: number }>('Thing');
      await c.put('a', { v: 1 });
      await redis!.stop();
      const get = await timed(() => c.get('a'));
      const consume = await timed(() => c.consume('a'));
      const hit = await timed(() => store.counters.hit('x', { windowMs: 1000 }));
      for (const r of [get, consume, hit]) {
        assert.ok(r.error instanceof StoreUnavailableError, `expected StoreUnavailableError, got ${String(r.error)}`);
        assert.ok(r.ms < 2500, `took ${r.ms} ms`);
      }
      console.log(`# redis stopped: get failed in ${get.ms.toFixed(1)} ms, consume in ${consume.ms.toFixed(1)} ms, hit in ${hit.ms.toFixed(1)} ms`);
      const health = await store.ready();
      assert.equal(health.ok, false);
      await redis!.start();
      const started = Date.now();
      while (!(await store.ready()).ok) {
        assert.ok(Date.now() - started < 10_000, 'did not reconnect within 10 s');
        await sleep(50);
      }
      console.log(`# redis back: ready again after ${Date.now() - started} ms`);
      // The restarted server is empty (no persistence in tests): the store works again from scratch.
      await c.put('b', { v: 2 });
      assert.deepEqual(await c.find('b'), { v: 2 });
      assert.equal((await c.consume('b')).outcome, 'consumed');
      void events;
    } finally {
      await store.close();
    }
  });

  test('Redis frozen (no answer on an open connection): commands time out instead of hanging', { timeout: 60_000 }, async () => {
    const store = await RedisStore.open({ url: redis!.url, prefix: prefix(), name: 'frozen', commandTimeoutMs: 500 });
    try {
      await store.collection('Thing').put('a', { v: 1 });
      redis!.pause();
      const r = await timed(() => store.collection('Thing').get('a'));
      assert.ok(r.error instanceof StoreUnavailableError, String(r.error));
      assert.ok(r.ms >= 400 && r.ms < 1500, `took ${r.ms} ms`);
      console.log(`# redis frozen: get failed after ${r.ms.toFixed(0)} ms (command timeout 500 ms)`);
    } finally {
      redis!.resume();
      await store.close();
    }
  });

  test('opening fails with a clear message when nothing answers', { timeout: 30_000 }, async () => {
    const dead = `redis://127.0.0.1:${redis!.port + 1 === 65536 ? 1 : redis!.port + 1}`;
    await assert.rejects(
      RedisStore.open({ url: dead, prefix: prefix(), name: 'x', openTimeoutMs: 500 }),
      /cannot reach Redis at redis:\/\/127\.0\.0\.1:\d+\/? within 0\.5 s/,
    );
  });

  test('NOD_STORE selects Redis, NOD_STORE_PREFIX separates deployments; bad values are refused', async () => {
    assert.deepEqual(loadStoreConfig({}), { url: 'lowdb', prefix: 'nod:', compactBytes: 1024 * 1024 });
    assert.equal(loadStoreConfig({ NOD_STORE_COMPACT_BYTES: '65536' }).compactBytes, 65536);
    assert.throws(() => loadStoreConfig({ NOD_STORE_COMPACT_BYTES: '100' }), /at least 4096/);
    assert.throws(() => loadStoreConfig({ NOD_STORE: 'mysql://x' }), /NOD_STORE must be lowdb or a redis/);
    assert.throws(() => loadStoreConfig({ NOD_STORE: 'redis://h:1/abc' }), /database number/);
    const one = await openStore({ store: loadStoreConfig({ NOD_STORE: redis!.url, NOD_STORE_PREFIX: 'one:' }), dataDir: '/nonexistent', name: 'provider' });
    const two = await openStore({
      store: loadStoreConfig({ NOD_STORE: `${redis!.url}/0`, NOD_STORE_PREFIX: 'two:' }),
      dataDir: '/nonexistent',
      name: 'provider',
    });
    try {
      assert.equal(one.kind, 'redis');
      await one.collection('User').put('u', { name: 'one' });
      assert.equal(await two.collection('User').get('u'), undefined);
      assert.equal(one.created, true);
    } finally {
      await one.close();
      await two.close();
    }
  });
});
