/**
 * The Store contract: one suite, run against every implementation (lowdb.contract.test.ts,
 * redis.contract.test.ts). Besides the plain semantics it checks the atomic operations under
 * concurrency: each race has exactly one winner and counters are exact.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import type { ClaimedItem, Store } from '../../shared/store/store.ts';

export interface ContractOptions {
  /** A fresh, empty store (each test gets its own). */
  readonly open: () => Promise<Store>;
  /** Optionally, a second handle on the same data (another connection, as another node would have). */
  readonly openSecond?: (first: Store) => Promise<Store | undefined>;
}

interface Request {
  status: 'pending' | 'approved' | 'denied';
  sub: string;
  n?: number;
}

/** Waits until `check` holds, polling every 20 ms, for at most `ms`. */
async function eventually(check: () => Promise<boolean>, ms = 3000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error('condition not reached in time');
    await sleep(20);
  }
}

export function storeContract({ open, openSecond }: ContractOptions): void {
  /** Runs `fn` with a fresh store (and a second handle on it where the implementation has one), closing both. */
  const withStore = (fn: (a: Store, b: Store) => Promise<void>) => async () => {
    const a = await open();
    let b: Store | undefined;
    try {
      b = (await openSecond?.(a)) ?? a;
      await fn(a, b);
    } finally {
      if (b && b !== a) await b.close();
      await a.close();
    }
  };

  test(
    'records come back with their metadata apart, and every write changes the revision',
    withStore(async (s) => {
      const c = s.collection<Request>('Req', { indexes: ['sub'] });
      assert.equal(await c.get('r1'), undefined);
      const meta = await c.put('r1', { status: 'pending', sub: 'alice' }, { expiresIn: 60 });
      const got = await c.get('r1');
      assert.deepEqual(got?.value, { status: 'pending', sub: 'alice' }, 'the value is exactly what was written');
      assert.equal(got?.id, 'r1');
      assert.equal(got?.meta.revision, meta.revision);
      assert.ok(got!.meta.expiresAt! >= Math.floor(Date.now() / 1000) + 58 && got!.meta.expiresAt! <= Math.floor(Date.now() / 1000) + 61);
      assert.equal(got?.meta.consumedAt, undefined);
      assert.deepEqual(await c.find('r1'), { status: 'pending', sub: 'alice' });
      const again = await c.put('r1', { status: 'pending', sub: 'alice' });
      assert.notEqual(again.revision, meta.revision);
      assert.equal((await c.get('r1'))?.meta.expiresAt, undefined, 'put without expiresIn: no expiry');
      // Deleted and created again: a revision never comes back (no ABA for compare-and-set).
      assert.equal(await c.delete('r1'), true);
      assert.equal(await c.delete('r1'), false);
      const recreated = await c.put('r1', { status: 'pending', sub: 'alice' });
      assert.ok(![meta.revision, again.revision].includes(recreated.revision));
      assert.equal(await c.replace('r1', { status: 'denied', sub: 'alice' }, { ifRevision: again.revision }), false);
    }),
  );

  test(
    'returned values are copies: changing one changes nothing stored',
    withStore(async (s) => {
      const c = s.collection<{ list: string[] }>('Copy');
      await c.put('a', { list: ['x'] });
      const r = await c.get('a');
      r!.value.list.push('y');
      assert.deepEqual((await c.find('a'))!.list, ['x']);
    }),
  );

  test(
    'insert-if-absent: of 50 concurrent inserts of one id exactly one wins; an expired record counts as absent',
    withStore(async (a, b) => {
      const results = await Promise.all(
        Array.from({ length: 50 }, (_, i) => (i % 2 ? a : b).collection<{ n: number }>('Code').insert('WDJBMJHT', { n: i }, { expiresIn: 0.3 })),
      );
      assert.equal(results.filter(Boolean).length, 1);
      const winner = results.indexOf(true);
      assert.equal((await a.collection<{ n: number }>('Code').find('WDJBMJHT'))?.n, winner);
      await sleep(400);
      assert.equal(await a.collection('Code').get('WDJBMJHT'), undefined, 'expired record still visible');
      assert.equal(await a.collection<{ n: number }>('Code').insert('WDJBMJHT', { n: 99 }), true);
    }),
  );

  test(
    'compare-and-set: one of 50 concurrent replaces of one revision wins; expiry and consumed mark are kept',
    withStore(async (a, b) => {
      const c = a.collection<Request>('Req', { indexes: ['sub'] });
      const { revision } = await c.put('r', { status: 'pending', sub: 'alice' }, { expiresIn: 100 });
      const before = (await c.get('r'))!.meta;
      const results = await Promise.all(
        Array.from({ length: 50 }, (_, i) =>
          (i % 2 ? a : b).collection<Request>('Req', { indexes: ['sub'] }).replace('r', { status: 'approved', sub: 'alice', n: i }, { ifRevision: revision }),
        ),
      );
      assert.equal(results.filter(Boolean).length, 1);
      const after = (await c.get('r'))!;
      assert.equal(after.value.n, results.indexOf(true));
      assert.equal(after.meta.expiresAt, before.expiresAt, 'replace without expiresIn keeps the expiry');
      assert.equal((await c.consume('r')).outcome, 'consumed');
      const consumed = (await c.get('r'))!;
      assert.ok(await c.replace('r', { status: 'approved', sub: 'bob' }, { ifRevision: consumed.meta.revision, expiresIn: 5 }));
      const moved = (await c.get('r'))!;
      assert.equal(moved.meta.consumedAt, consumed.meta.consumedAt, 'replace keeps the consumed mark');
      assert.ok(moved.meta.expiresAt! <= Math.floor(Date.now() / 1000) + 6, 'replace with expiresIn sets a new expiry');
      assert.deepEqual(
        (await c.findBy('sub', 'bob')).map((r) => r.id),
        ['r'],
        'the index follows the new value',
      );
      assert.deepEqual(await c.findBy('sub', 'alice'), []);
      assert.equal(await c.replace('nothing', { status: 'approved', sub: 'x' }, { ifRevision: 1 }), false);
    }),
  );

  test(
    'a guarded status transition happens exactly once among 40 concurrent deciders',
    withStore(async (a, b) => {
      await a.collection<Request>('Req', { indexes: ['sub'] }).put('r', { status: 'pending', sub: 'alice' }, { expiresIn: 100 });
      const results = await Promise.all(
        Array.from({ length: 40 }, (_, i) =>
          (i % 2 ? a : b)
            .collection<Request>('Req', { indexes: ['sub'] })
            .update('r', (cur) => (cur?.status === 'pending' ? { ...cur, status: i % 3 ? 'approved' : 'denied', n: i } : undefined)),
        ),
      );
      const won = results.filter((r) => r.outcome === 'updated');
      assert.equal(won.length, 1);
      assert.equal(results.filter((r) => r.outcome === 'unchanged').length, 39);
      const final = (await a.collection<Request>('Req').get('r'))!;
      assert.equal(final.value.n, (won[0] as { record: { value: Request } }).record.value.n);
      assert.equal((await a.collection<Request>('Req').update('missing', () => undefined)).outcome, 'missing');
    }),
  );

  test(
    'update loses no increment under 60 concurrent read-modify-writes, and creates a missing record',
    withStore(async (a, b) => {
      await Promise.all(
        Array.from({ length: 60 }, (_, i) =>
          (i % 2 ? a : b).collection<{ n: number }>('Tally').update('t', (cur) => ({ n: (cur?.n ?? 0) + 1 }), { expiresIn: 60 }),
        ),
      );
      const t = (await a.collection<{ n: number }>('Tally').get('t'))!;
      assert.equal(t.value.n, 60);
      assert.ok(t.meta.expiresAt !== undefined);
    }),
  );

  test(
    'consume: of 100 concurrent consumes exactly one wins; the others see it consumed; unknown ids are missing',
    withStore(async (a, b) => {
      await a.collection<{ grantId: string }>('AuthorizationCode').put('code', { grantId: 'g1' }, { expiresIn: 60 });
      const results = await Promise.all(
        Array.from({ length: 100 }, (_, i) => (i % 2 ? a : b).collection<{ grantId: string }>('AuthorizationCode').consume('code')),
      );
      assert.equal(results.filter((r) => r.outcome === 'consumed').length, 1);
      assert.equal(results.filter((r) => r.outcome === 'already_consumed').length, 99);
      const won = results.find((r) => r.outcome === 'consumed') as { record: { value: { grantId: string }; meta: { consumedAt?: number } } };
      assert.equal(won.record.value.grantId, 'g1');
      assert.equal(won.record.meta.consumedAt, undefined, 'the winner sees the record as it was');
      const replay = results.find((r) => r.outcome === 'already_consumed') as { record: { value: { grantId: string }; meta: { consumedAt?: number } } };
      assert.equal(replay.record.value.grantId, 'g1', 'a replay learns what was consumed (to revoke its grant)');
      assert.ok(replay.record.meta.consumedAt! >= Math.floor(Date.now() / 1000) - 5);
      assert.ok((await a.collection('AuthorizationCode').get('code'))?.meta.consumedAt !== undefined, 'a consumed record stays readable');
      assert.deepEqual(await a.collection('AuthorizationCode').consume('nope'), { outcome: 'missing' });
    }),
  );

  test(
    'secondary indexes: findBy, deleteBy, and entries that expire with their records',
    withStore(async (s) => {
      const c = s.collection<{ grantId: string; other?: string }>('RT', { indexes: ['grantId', 'other'] });
      await Promise.all([
        c.put('a', { grantId: 'g1' }, { expiresIn: 60 }),
        c.put('b', { grantId: 'g1', other: 'o' }),
        c.put('c', { grantId: 'g2' }),
        c.put('short', { grantId: 'g3' }, { expiresIn: 0.2 }),
      ]);
      assert.deepEqual((await c.findBy('grantId', 'g1')).map((r) => r.id).sort(), ['a', 'b']);
      assert.deepEqual(
        (await c.findBy('other', 'o')).map((r) => r.value.grantId),
        ['g1'],
      );
      assert.equal((await c.findBy('grantId', 'g3')).length, 1);
      await assert.rejects(c.findBy('nope', 'x'), TypeError);
      assert.equal(await c.deleteBy('grantId', 'g1'), 2);
      assert.deepEqual(await c.findBy('grantId', 'g1'), []);
      assert.deepEqual(await c.findBy('other', 'o'), [], 'deleteBy removes the other index entries too');
      await sleep(300);
      assert.deepEqual(await c.findBy('grantId', 'g3'), [], 'an expired record is gone from its index');
      assert.deepEqual(
        (await c.list()).map((r) => r.id),
        ['c'],
      );
      await s.sweep();
      assert.deepEqual(
        (await c.list()).map((r) => r.id),
        ['c'],
      );
    }),
  );

  test(
    'durable: false writes are visible at once',
    withStore(async (s) => {
      const c = s.collection<{ at: number }>('Lazy');
      await c.put('x', { at: 1 }, { durable: false });
      assert.equal((await c.find('x'))?.at, 1);
      await c.update('x', () => ({ at: 2 }), { durable: false });
      assert.equal((await c.find('x'))?.at, 2);
      await s.flush();
    }),
  );

  test(
    'counters are exact under 200 concurrent hits, reset with their window, and block past a limit',
    withStore(async (a, b) => {
      const hits = await Promise.all(Array.from({ length: 200 }, (_, i) => (i % 2 ? a : b).counters.hit('login:1.2.3.4', { windowMs: 60_000 })));
      assert.deepEqual(
        hits.map((h) => h.count).sort((x, y) => x - y),
        Array.from({ length: 200 }, (_, i) => i + 1),
      );
      assert.equal((await a.counters.peek('login:1.2.3.4')).count, 200);
      assert.ok((await a.counters.peek('login:1.2.3.4')).resetInMs > 50_000);
      await a.counters.reset('login:1.2.3.4');
      assert.deepEqual(await a.counters.peek('login:1.2.3.4'), { count: 0, resetInMs: 0 });
      // A short window resets by itself.
      await a.counters.hit('w', { windowMs: 200 });
      await sleep(300);
      assert.equal((await a.counters.hit('w', { windowMs: 200 })).count, 1);
      // Past the limit the counter lives blockMs from the hit that went past it.
      for (let i = 0; i < 3; i++) await a.counters.hit('blk', { windowMs: 200, limit: 3, blockMs: 60_000 });
      const blocked = await a.counters.hit('blk', { windowMs: 200, limit: 3, blockMs: 60_000 });
      assert.equal(blocked.count, 4);
      assert.ok(blocked.resetInMs > 50_000);
      // Without a window it is a sequence.
      const seq = await Promise.all(Array.from({ length: 20 }, () => b.counters.hit('seq')));
      assert.equal(new Set(seq.map((x) => x.count)).size, 20);
      assert.equal(seq[0]!.resetInMs, 0);
    }),
  );

  test(
    'stamps: each poll learns whether the previous one was less than the interval ago',
    withStore(async (a, b) => {
      const t0 = Date.now();
      assert.equal(await a.counters.stamp('poll:r', 300), undefined);
      const previous = await b.counters.stamp('poll:r', 300);
      assert.ok(previous !== undefined && previous >= t0 - 5 && previous <= Date.now());
      await sleep(400);
      assert.equal(await a.counters.stamp('poll:r', 300), undefined);
      await a.counters.reset('poll:r');
      assert.equal(await a.counters.stamp('poll:r', 300), undefined);
      // Concurrent polls: exactly one sees no earlier poll.
      const all = await Promise.all(Array.from({ length: 30 }, (_, i) => (i % 2 ? a : b).counters.stamp('poll:q', 10_000)));
      assert.equal(all.filter((x) => x === undefined).length, 1);
    }),
  );

  test(
    'slots: of 30 concurrent reservations with room for 5, exactly 5 hold; a member ends at its own time',
    withStore(async (a, b) => {
      const until = Date.now() + 60_000;
      const results = await Promise.all(Array.from({ length: 30 }, (_, i) => (i % 2 ? a : b).slots.reserve('fatigue:alice', `r${i}`, { limit: 5, until })));
      const held = results.filter((r) => r.reserved);
      assert.equal(held.length, 5);
      const refused = results.find((r) => !r.reserved)!;
      assert.equal(refused.active, 5);
      assert.ok(Math.abs(refused.nextFreeAt! - until) < 5);
      assert.equal(await a.slots.count('fatigue:alice'), 5);
      const holder = `r${results.indexOf(held[0]!)}`;
      assert.equal((await a.slots.reserve('fatigue:alice', holder, { limit: 5, until })).reserved, true, 'a member keeps its own slot');
      await a.slots.setUntil('fatigue:alice', holder, Date.now() + 200);
      assert.ok(((await a.slots.reserve('fatigue:alice', 'late', { limit: 5, until })).nextFreeAt ?? 0) < until - 1000);
      await sleep(300);
      assert.equal(await a.slots.count('fatigue:alice'), 4);
      assert.equal((await a.slots.reserve('fatigue:alice', 'late', { limit: 5, until })).reserved, true);
      await a.slots.release('fatigue:alice', 'late');
      await a.slots.setUntil('fatigue:alice', 'never-held', until);
      assert.equal(await a.slots.count('fatigue:alice'), 4);
      const other = `r${results.indexOf(held[1]!)}`;
      await a.slots.setUntil('fatigue:alice', other, Date.now() - 1);
      assert.equal(await a.slots.count('fatigue:alice'), 3, 'an end time in the past releases the slot');
    }),
  );

  test(
    'leases: one holder among 20 concurrent claimants; only the holder renews or releases; a lapsed lease is free',
    withStore(async (a, b) => {
      const got = await Promise.all(Array.from({ length: 20 }, (_, i) => (i % 2 ? a : b).leases.acquire('demo-seed', 300)));
      const holders = got.filter((l) => l !== undefined);
      assert.equal(holders.length, 1);
      const lease = holders[0]!;
      assert.equal(await b.leases.renew({ name: 'demo-seed', token: 'forged' }, 300), false);
      assert.equal(await a.leases.renew(lease, 300), true);
      assert.equal(await a.leases.release({ name: 'demo-seed', token: 'forged' }), false);
      await sleep(400);
      const next = await b.leases.acquire('demo-seed', 5000);
      assert.ok(next, 'a lapsed lease can be taken');
      assert.equal(await a.leases.renew(lease, 300), false, 'the old holder lost it');
      assert.equal(await b.leases.release(next), true);
      assert.ok(await a.leases.acquire('demo-seed', 5000));
    }),
  );

  test(
    'scheduler: 10 concurrent claimers get each due item exactly once; unfinished work is claimed again after its lease',
    withStore(async (a, b) => {
      const now = Date.now();
      await Promise.all(Array.from({ length: 60 }, (_, i) => a.scheduler.schedule('expiry', `item${i}`, now - 10, { n: i })));
      await a.scheduler.schedule('expiry', 'later', now + 60_000);
      const claims = await Promise.all(Array.from({ length: 10 }, (_, i) => (i % 2 ? a : b).scheduler.claim('expiry', { limit: 10, leaseMs: 300 })));
      const ids = claims.flat().map((c) => c.id);
      assert.equal(ids.length, 60, 'every due item was claimed');
      assert.equal(new Set(ids).size, 60, 'no item was claimed twice');
      assert.ok(!ids.includes('later'));
      const byId = new Map(claims.flat().map((c) => [c.id, c] as const));
      assert.deepEqual(byId.get('item7')!.payload, { n: 7 });
      assert.equal(byId.get('item7')!.attempts, 1);
      assert.deepEqual(await b.scheduler.claim('expiry', { limit: 100, leaseMs: 300 }), [], 'claimed items are not handed out again meanwhile');
      // Finish all but two; those two were "dropped by a dead worker".
      const dropped = ['item3', 'item4'];
      await Promise.all([...byId.values()].filter((c) => !dropped.includes(c.id)).map((c) => a.scheduler.complete(c)));
      await sleep(400);
      const again = await b.scheduler.claim('expiry', { limit: 100, leaseMs: 5000 });
      assert.deepEqual(again.map((c) => c.id).sort(), dropped);
      assert.equal(again[0]!.attempts, 2);
      assert.equal(await a.scheduler.complete(byId.get('item3')!), false, "the dead worker's claim no longer holds");
      const item3 = again.find((c) => c.id === 'item3')!;
      assert.equal(await a.scheduler.extend(item3, 5000), true);
      assert.equal(await a.scheduler.retry(item3, Date.now() - 1), true);
      const retried = await a.scheduler.claim('expiry', { limit: 100, leaseMs: 5000 });
      assert.deepEqual(
        retried.map((c: ClaimedItem) => c.id),
        ['item3'],
      );
      assert.equal(retried[0]!.attempts, 3);
      assert.equal(await a.scheduler.complete(retried[0]!), true);
      assert.equal(await a.scheduler.cancel('expiry', 'later'), true);
      assert.equal(await a.scheduler.cancel('expiry', 'later'), false);
      // Rescheduling an item drops its claim.
      const item4 = again.find((c) => c.id === 'item4')!;
      await a.scheduler.schedule('expiry', 'item4', Date.now() - 1, 'fresh');
      assert.equal(await a.scheduler.complete(item4), false);
      const fresh = await b.scheduler.claim('expiry', { limit: 10, leaseMs: 5000 });
      assert.deepEqual(
        fresh.map((c) => [c.id, c.payload, c.attempts]),
        [['item4', 'fresh', 1]],
      );
    }),
  );

  test(
    'scheduler: next says when the earliest item is due, a claimed one when its claim runs out',
    withStore(async (a, b) => {
      assert.equal(await a.scheduler.next('wake'), undefined, 'an empty queue has no next');
      const now = Date.now();
      await a.scheduler.schedule('wake', 'later', now + 60_000);
      await a.scheduler.schedule('wake', 'sooner', now + 30_000);
      assert.equal(await b.scheduler.next('wake'), now + 30_000);
      await a.scheduler.schedule('wake', 'due', now - 5);
      assert.equal(await b.scheduler.next('wake'), now - 5);
      const [claimed] = await b.scheduler.claim('wake', { limit: 1, leaseMs: 10_000 });
      const next = await a.scheduler.next('wake');
      assert.ok(next !== undefined && next >= now + 10_000 && next <= Date.now() + 10_000, `the claim's end, not ${next}`);
      await b.scheduler.complete(claimed!);
      await a.scheduler.cancel('wake', 'sooner');
      assert.equal(await a.scheduler.next('wake'), now + 60_000);
    }),
  );

  test(
    'scheduler: a completion with durable: false is seen by every claimer at once',
    withStore(async (a, b) => {
      const now = Date.now();
      await a.scheduler.schedule('lazy', 'done', now - 1, { n: 1 });
      await a.scheduler.schedule('lazy', 'later', now + 60_000);
      const [claimed] = await a.scheduler.claim('lazy', { limit: 10, leaseMs: 1 });
      assert.equal(claimed?.id, 'done');
      assert.equal(await a.scheduler.complete(claimed, { durable: false }), true);
      await sleep(5);
      assert.deepEqual(await b.scheduler.claim('lazy', { limit: 10, leaseMs: 5000 }), [], 'not claimed again, though its claim ran out');
      assert.equal(await b.scheduler.next('lazy'), now + 60_000, 'gone from the queue');
      assert.equal(await b.scheduler.complete(claimed, { durable: false }), false, 'completed once');
      assert.equal(await b.scheduler.cancel('lazy', 'done'), false);
    }),
  );

  test(
    'scheduler: onClaimable is called once the item can be claimed, by the time schedule resolves',
    withStore(async (a, b) => {
      let claimed: Promise<ClaimedItem[]> | undefined;
      const onClaimable = () => {
        claimed = b.scheduler.claim('eager', { limit: 10, leaseMs: 5000 });
      };
      await a.scheduler.schedule('eager', 'e1', Date.now() - 1, { n: 1 }, { onClaimable });
      assert.ok(claimed, 'called before schedule resolved');
      assert.deepEqual(
        (await claimed).map((c) => [c.id, c.payload, c.attempts]),
        [['e1', { n: 1 }, 1]],
      );
    }),
  );

  test(
    'pub/sub: every subscriber gets each message until it unsubscribes',
    withStore(async (a, b) => {
      const seen: unknown[] = [];
      const other: unknown[] = [];
      const off = await b.pubsub.subscribe('user:alice', (m) => seen.push(m));
      const off2 = await a.pubsub.subscribe('user:alice', (m) => other.push(m));
      await a.pubsub.publish('user:alice', { type: 'request', id: 'r1' });
      await a.pubsub.publish('user:bob', { type: 'request', id: 'r2' });
      await eventually(async () => seen.length === 1 && other.length === 1);
      assert.deepEqual(seen, [{ type: 'request', id: 'r1' }]);
      await off();
      await a.pubsub.publish('user:alice', { type: 'settled', id: 'r1' });
      await eventually(async () => other.length === 2);
      await sleep(50);
      assert.equal(seen.length, 1, 'no message after unsubscribing');
      await off2();
    }),
  );

  test(
    'ready() reports a working store',
    withStore(async (s) => {
      const health = await s.ready();
      assert.equal(health.ok, true);
      assert.equal(health.kind, s.kind);
      assert.equal(s.stats().kind, s.kind);
    }),
  );
}
