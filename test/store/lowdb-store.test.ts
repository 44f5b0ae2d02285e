import { test } from '../helpers/node-test.ts';
import assert from 'node:assert/strict';
import { cpSync, existsSync, mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { LowdbStore } from '../../shared/store/lowdb-store.ts';
import { DataDirLockedError } from '../../shared/store/lock.ts';
import { tempDir } from '../helpers/provider.ts';

/** Runs `fn` with a fresh data directory, removed afterwards whatever happens. */
async function inTempDir(fn: (dir: string) => Promise<void>): Promise<void> {
  const dir = tempDir();
  try {
    await fn(dir);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const open = (dir: string) => LowdbStore.open({ dir, name: 'test', sweepIntervalMs: 0 });

test('records survive a restart of the store', async () => {
  await inTempDir(async (dir) => {
    let store = await open(dir);
    await store.collection<{ v: number }>('Thing').put('a', { v: 1 });
    await store.collection<{ v: number; grantId: string }>('Token', { indexes: ['grantId'] }).put('t1', { v: 2, grantId: 'g' }, { expiresIn: 3600 });
    await store.close();
    store = await open(dir);
    assert.deepEqual(await store.collection('Thing').find('a'), { v: 1 });
    const tokens = await store.collection('Token', { indexes: ['grantId'] }).findBy('grantId', 'g');
    assert.equal(tokens.length, 1);
    assert.equal(tokens[0]!.id, 't1');
    await store.close();
  });
});

test('a burst of concurrent durable writes is one journal append, and all of it survives a reopen', async () => {
  await inTempDir(async (dir) => {
    let store = await open(dir);
    const c = store.collection<{ n: number }>('Burst');
    await Promise.all(Array.from({ length: 500 }, (_, n) => c.put(`k${n}`, { n })));
    const writes = store.stats().writes;
    assert.ok(writes <= 3, `500 concurrent upserts took ${writes} commits`);
    const lines = readFileSync(join(dir, 'test.journal'), 'utf8').trim().split('\n');
    assert.equal(lines.length, writes, 'one journal line per commit');
    assert.equal(lines.flatMap((l) => [JSON.parse(l)].flat()).length, 500, 'holding every changed record');
    await store.close();
    store = await open(dir);
    const all = await store.collection<{ n: number }>('Burst').list();
    assert.equal(all.length, 500);
    assert.equal(all.find((r) => r.id === 'k499')?.value.n, 499);
    await store.close();
  });
});

test('a durable put resolves only after its batch is on disk', async () => {
  await inTempDir(async (dir) => {
    const store = await open(dir);
    await store.collection<{ x: string }>('D').put('id', { x: 'persisted' });
    assert.match(readFileSync(join(dir, 'test.journal'), 'utf8'), /persisted/);
    await store.close();
  });
});

test('expired records are invisible at once and swept from memory and files', async () => {
  await inTempDir(async (dir) => {
    let store = await open(dir);
    let c = store.collection<{ big: string }>('Exp');
    await Promise.all(Array.from({ length: 200 }, (_, i) => c.put(`e${i}`, { big: 'x'.repeat(500) }, { expiresIn: 1 })));
    await c.put('keep', { big: 'keep' });
    await store.close();
    const before = statSync(join(dir, 'test.json')).size;
    store = await open(dir);
    c = store.collection<{ big: string }>('Exp');
    await new Promise((r) => setTimeout(r, 1100));
    assert.equal(await c.find('e1'), undefined, 'expired record still visible');
    assert.equal(await store.sweep(), 200);
    await store.flush();
    await store.compacted(); // the new snapshot is written behind the commits
    assert.equal(store.stats().records, 1);
    const running = store.stats().fileBytes ?? 0;
    assert.ok(running < before / 10, `files did not shrink while running: ${before} -> ${running}`);
    await store.close();
    const after = statSync(join(dir, 'test.json')).size;
    assert.ok(after < before / 10, `file did not shrink: ${before} -> ${after}`);
    assert.equal(statSync(join(dir, 'test.journal')).size, 0, 'a closed store leaves everything in the snapshot');
  });
});

test('a second process cannot open a locked data directory', async () => {
  await inTempDir(async (dir) => {
    const store = await open(dir);
    await assert.rejects(open(dir), DataDirLockedError);
    await store.close();
    const again = await open(dir);
    await again.close();
  });
});

test('the data files are private (0600) and a leftover temporary file from a crash is harmless', async () => {
  await inTempDir(async (dir) => {
    let store = await open(dir);
    await store.collection<{ secret: string }>('S').put('a', { secret: 'hash' });
    assert.equal(statSync(join(dir, 'test.journal')).mode & 0o777, 0o600);
    await store.close();
    assert.equal(statSync(join(dir, 'test.json')).mode & 0o777, 0o600);
    // A crash mid-snapshot leaves a torn temporary file; the snapshot itself is untouched.
    writeFileSync(join(dir, '.test.json.tmp'), '{"S":{"a":{"p":{"sec');
    store = await open(dir);
    assert.deepEqual(await store.collection('S').find('a'), { secret: 'hash' });
    await store.collection<{ secret: string }>('S').put('b', { secret: 'x' });
    await store.close();
    assert.ok(!existsSync(join(dir, '.test.json.tmp')), 'temporary file left behind after a snapshot');
  });
});

test('a torn last journal line (crash mid-append) is dropped; everything before it is kept', async () => {
  await inTempDir(async (dir) => {
    let store = await open(dir);
    const c = store.collection<{ v: number }>('T');
    await c.put('a', { v: 1 });
    await c.put('b', { v: 2 });
    // Simulate a crash: the process dies without close, halfway through appending a line.
    const journal = join(dir, 'test.journal');
    writeFileSync(journal, `${readFileSync(journal, 'utf8')}{"c":"T","i":"c","r":{"p":{"v"`);
    rmSync(join(dir, 'test.lock'));
    const torn: Array<[string, number]> = [];
    store = await LowdbStore.open({ dir, name: 'test', sweepIntervalMs: 0, onTornTail: (file, bytes) => torn.push([file, bytes]) });
    assert.deepEqual(torn, [[journal, '{"c":"T","i":"c","r":{"p":{"v"'.length]], 'the dropped tail is reported');
    const t = store.collection<{ v: number }>('T');
    assert.deepEqual(
      (await t.list()).map((r) => [r.id, r.value.v]),
      [
        ['a', 1],
        ['b', 2],
      ],
    );
    await t.put('c', { v: 3 });
    await store.close();
    store = await open(dir);
    assert.equal((await store.collection('T').list()).length, 3);
    await store.close();
  });
});

test('a commit cut short mid-append is dropped whole, never applied in part', async () => {
  await inTempDir(async (dir) => {
    let store = await open(dir);
    const c = store.collection<{ v: number }>('T');
    await c.put('a', { v: 1 });
    await Promise.all([c.put('a', { v: 2 }), c.put('b', { v: 2 })]);
    await store.flush();
    rmSync(join(dir, 'test.lock'));
    // A SIGKILL mid-write: the second commit's line ends after its first record.
    const journal = join(dir, 'test.journal');
    const [first, second] = readFileSync(journal, 'utf8').trim().split('\n');
    assert.ok(second?.startsWith('['), 'a commit of two records is one line');
    writeFileSync(journal, `${first}\n${second.slice(0, second.indexOf('},{') + 1)},`);
    store = await open(dir);
    assert.deepEqual(
      (await store.collection<{ v: number }>('T').list()).map((r) => [r.id, r.value.v]),
      [['a', 1]],
    );
    await store.close();
  });
});

test('the journal is compacted into the snapshot once it outgrows it, and nothing is lost', async () => {
  await inTempDir(async (dir) => {
    let store = await LowdbStore.open({ dir, name: 'test', sweepIntervalMs: 0, minCompactBytes: 2048 });
    const c = store.collection<{ n: number; pad: string }>('C');
    for (let n = 0; n < 60; n++) await c.put(`k${n % 10}`, { n, pad: 'p'.repeat(100) });
    assert.ok(statSync(join(dir, 'test.journal')).size <= 2048 + 200, 'journal kept growing past the compaction threshold');
    await store.compacted();
    assert.ok(existsSync(join(dir, 'test.json')), 'no snapshot was written');
    // Crash without close: snapshot + journal must still give the latest state.
    rmSync(join(dir, 'test.lock'));
    store = await open(dir);
    const all = await store.collection<{ n: number }>('C').list();
    assert.equal(all.length, 10);
    assert.deepEqual(
      all.map((r) => r.value.n).sort((a, b) => a - b),
      [50, 51, 52, 53, 54, 55, 56, 57, 58, 59],
    );
    await store.close();
  });
});

test('non-durable changes are committed lazily, without a commit of their own per change', async () => {
  await inTempDir(async (dir) => {
    const store = await LowdbStore.open({ dir, name: 'test', sweepIntervalMs: 0, lazyCommitMs: 100 });
    const c = store.collection<{ polledAt: number }>('P');
    await c.put('r', { polledAt: 0 });
    const before = store.stats().writes;
    for (let i = 1; i <= 50; i++) await c.put('r', { polledAt: i }, { durable: false });
    assert.equal(store.stats().writes, before, 'a non-durable change waited for its own commit');
    // Wait for the lazy commit (its timer may run late on a loaded machine), then check there was one.
    for (const deadline = Date.now() + 5000; store.stats().writes === before && Date.now() < deadline; ) await new Promise((r) => setTimeout(r, 20));
    assert.equal(store.stats().writes, before + 1, 'the lazy changes were committed once');
    assert.match(readFileSync(join(dir, 'test.journal'), 'utf8'), /"polledAt":50/);
    await store.close();
  });
});

test('flush makes changes written with durable: false durable at once, without waiting for the lazy timer', async () => {
  await inTempDir(async (dir) => {
    const store = await LowdbStore.open({ dir, name: 'test', sweepIntervalMs: 0, lazyCommitMs: 60_000 });
    const c = store.collection<{ x: string }>('F');
    await c.put('a', { x: 'lazy-one' }, { durable: false });
    const taken = await c.consume('a', { durable: false });
    assert.equal(taken.outcome, 'consumed');
    await store.flush();
    const journal = readFileSync(join(dir, 'test.journal'), 'utf8');
    assert.match(journal, /lazy-one/);
    assert.match(journal.trim().split('\n').at(-1)!, /"c":\d+/, 'the consumed mark is on disk');
    await store.close();
  });
});

test('flush, whatever the commit chain is doing (idle, a commit in flight, a batch waiting for its turn), resolves only with every earlier change on disk, and keeps a burst in one commit', async () => {
  await inTempDir(async (dir) => {
    const store = await LowdbStore.open({ dir, name: 'test', sweepIntervalMs: 0, lazyCommitMs: 60_000 });
    const c = store.collection<{ x: string }>('F');
    const journal = () => readFileSync(join(dir, 'test.journal'), 'utf8');
    const lines = () => journal().trim().split('\n').filter(Boolean).length;
    // Idle: the flush starts its commit at once.
    await c.put('idle', { x: 'idle-1' }, { durable: false });
    await store.flush();
    assert.match(journal(), /idle-1/);
    // A commit in flight: the flushed change goes into the batch after it.
    const inFlight = c.put('flight', { x: 'flight-1' });
    await new Promise((r) => setImmediate(r));
    await c.put('after', { x: 'after-1' }, { durable: false });
    await store.flush();
    assert.match(journal(), /flight-1/);
    assert.match(journal(), /after-1/);
    await inFlight;
    // A batch waiting for its turn of the event loop: the flush starts it.
    const waiting = c.put('waiting', { x: 'waiting-1' });
    await Promise.resolve();
    await Promise.resolve();
    await c.put('joins', { x: 'joins-1' }, { durable: false });
    await store.flush();
    assert.match(journal(), /waiting-1/);
    assert.match(journal(), /joins-1/);
    await waiting;
    // A burst of durable writes with a flush among them is still one commit.
    const before = lines();
    await Promise.all([...Array.from({ length: 100 }, (_, n) => c.put(`b${n}`, { x: `burst-${n}` })), store.flush(), c.put('last', { x: 'burst-last' })]);
    assert.equal(lines(), before + 1, 'the burst and the flush among it were one journal append');
    assert.match(journal(), /burst-last/);
    await store.close();
    const reopened = await open(dir);
    for (const id of ['idle', 'flight', 'after', 'waiting', 'joins', 'b99', 'last']) assert.ok(await reopened.collection('F').find(id), id);
    await reopened.close();
  });
});

test('a non-durable consume is carried by the durable write that follows it: one commit for both', async () => {
  await inTempDir(async (dir) => {
    let store = await open(dir);
    const markers = store.collection<{ n: number }>('Marker');
    const records = store.collection<{ state: string }>('Record');
    await Promise.all([markers.put('m', { n: 1 }), records.put('r', { state: 'pending' })]);
    const before = store.stats().writes;
    const taken = await markers.consume('m', { durable: false });
    assert.equal(taken.outcome, 'consumed');
    await records.put('r', { state: 'decided' });
    assert.equal(store.stats().writes, before + 1, 'one commit carried the mark and the record');
    assert.equal((await markers.consume('m')).outcome, 'already_consumed', 'single use holds at once');
    await store.close();
    store = await open(dir);
    assert.equal((await store.collection('Marker').consume('m')).outcome, 'already_consumed', 'the mark survived a reopen');
    await store.close();
  });
});

test('a lazy completion rides on the next durable write; after a crash, an item claimed and not completed durably is due again at once', async () => {
  await inTempDir(async (dir) => {
    const first = await LowdbStore.open({ dir, name: 'test', sweepIntervalMs: 0, lazyCommitMs: 60_000 });
    let second: LowdbStore | undefined;
    try {
      const { scheduler } = first;
      await Promise.all(['a', 'b', 'c'].map((id) => scheduler.schedule('q', id, Date.now() - 1, { id })));
      const claimed = new Map((await scheduler.claim('q', { limit: 10, leaseMs: 60_000 })).map((item) => [item.id, item] as const));
      assert.equal(claimed.size, 3);
      const writes = first.stats().writes;
      assert.equal(await scheduler.complete(claimed.get('a')!, { durable: false }), true);
      assert.equal(first.stats().writes, writes, 'no commit of its own');
      assert.deepEqual(await scheduler.claim('q', { limit: 10, leaseMs: 60_000 }), [], 'a is gone at once, b and c are claimed');
      await first.collection<{ v: number }>('T').put('x', { v: 1 });
      // b's completion comes after the last durable write, c is never completed: the process dies.
      assert.equal(await scheduler.complete(claimed.get('b')!, { durable: false }), true);
      rmSync(join(dir, 'test.lock'));
      second = await open(dir);
      const again = await second.scheduler.claim('q', { limit: 10, leaseMs: 60_000 });
      assert.deepEqual(
        again.map((item) => [item.id, item.attempts, item.payload]).sort(),
        [
          ['b', 2, { id: 'b' }],
          ['c', 2, { id: 'c' }],
        ],
        'a stays done; b and c are worked again',
      );
    } finally {
      await second?.close();
      await first.close();
    }
  });
});

test('a scheduled item can be claimed before its commit, and schedule resolves only once it is durable', async () => {
  await inTempDir(async (dir) => {
    const store = await open(dir);
    try {
      const journal = join(dir, 'test.journal');
      const onDisk = () => (existsSync(journal) ? readFileSync(journal, 'utf8') : '');
      let claimed: string[] = [];
      let diskThen = '';
      const scheduled = store.scheduler.schedule('q', 'early', Date.now() - 1, undefined, {
        onClaimable: () => {
          diskThen = onDisk();
          void store.scheduler.claim('q', { limit: 1, leaseMs: 60_000 }).then((items) => {
            claimed = items.map((item) => item.id);
          });
        },
      });
      await scheduled;
      assert.deepEqual(claimed, ['early'], 'claimed from memory');
      assert.doesNotMatch(diskThen, /"early"/, 'before its commit');
      assert.match(onDisk(), /"i":"early"/, 'durable when schedule resolved');
    } finally {
      await store.close();
    }
  });
});

test('files written before records had revisions still load: each record gets one, metadata apart', async () => {
  await inTempDir(async (dir) => {
    writeFileSync(
      join(dir, 'test.json'),
      JSON.stringify({ Code: { a: { p: { grantId: 'g' }, c: 1700000000 }, b: { p: { grantId: 'h' }, e: Date.now() + 60_000 } } }),
    );
    const store = await open(dir);
    assert.equal(store.created, false);
    const a = await store.collection<{ grantId: string }>('Code').get('a');
    assert.deepEqual(a?.value, { grantId: 'g' });
    assert.equal(a?.meta.consumedAt, 1700000000);
    const b = await store.collection<{ grantId: string }>('Code').get('b');
    assert.ok(b && b.meta.revision !== a!.meta.revision && b.meta.expiresAt! > Date.now() / 1000);
    assert.equal((await store.collection('Code').consume('a')).outcome, 'already_consumed');
    await store.close();
  });
});

test('a snapshot is written behind the commits: a durable write during a compaction does not wait for it, and a crash then loses nothing', async () => {
  await inTempDir(async (dir) => {
    let store = await open(dir);
    const c = store.collection<{ n: number; pad: string }>('Big');
    // One batch of 30,000 records: its journal line passes the 1 MiB threshold, so its commit starts a compaction.
    await Promise.all(Array.from({ length: 30_000 }, (_, n) => c.put(`r${n}`, { n, pad: 'p'.repeat(60) })));
    const order: string[] = [];
    await Promise.all([c.put('late', { n: -1, pad: '' }).then(() => order.push('write')), store.compacted().then(() => order.push('snapshot'))]);
    assert.deepEqual(order, ['write', 'snapshot'], 'the durable write waited for the snapshot');
    assert.ok(!existsSync(join(dir, 'test.journal.old')), 'the retired journal was not deleted after the snapshot');
    // Crash without close: snapshot + journal hold everything.
    rmSync(join(dir, 'test.lock'));
    store = await open(dir);
    const again = store.collection<{ n: number }>('Big');
    assert.equal((await again.list()).length, 30_001);
    assert.deepEqual(await again.find('late'), { n: -1, pad: '' });
    await store.close();
  });
});

/** Where a compaction folds the journal into the snapshot: on the event loop (small stores) or in a worker thread. */
const FOLDS = { 'on the event loop': {}, 'in a worker thread': { inlineFoldBytes: 0 } } as const;

for (const [where, fold] of Object.entries(FOLDS))
  test(`a compaction cut short by a crash (retired journal still on disk) is replayed in order, whichever snapshot made it; folded ${where}`, async () => {
    const line = (i: string, r: object | null) => JSON.stringify({ c: 'C', i, r });
    // Before the crash: a=1 in the old snapshot; the retired journal sets b=1 and a=2; the new journal deletes a and sets c=1.
    const retired = `${[line('b', { p: { v: 1 }, r: 2 }), line('a', { p: { v: 2 }, r: 3 })].join('\n')}\n`;
    const journal = `${[line('a', null), line('c', { p: { v: 1 }, r: 4 })].join('\n')}\n`;
    const snapshots = {
      'the old snapshot (crash before the new one was renamed in)': { C: { a: { p: { v: 1 }, r: 1 } } },
      'the new snapshot (crash before the retired journal was deleted)': { C: { a: { p: { v: 2 }, r: 3 }, b: { p: { v: 1 }, r: 2 } } },
    };
    for (const [label, snapshot] of Object.entries(snapshots)) {
      await inTempDir(async (dir) => {
        writeFileSync(join(dir, 'test.json'), JSON.stringify(snapshot));
        writeFileSync(join(dir, 'test.journal.old'), retired);
        writeFileSync(join(dir, 'test.journal'), journal);
        const reopen = () => LowdbStore.open({ dir, name: 'test', sweepIntervalMs: 0, ...fold });
        let store = await reopen();
        const state = async () => Object.fromEntries((await store.collection<{ v: number }>('C').list()).map((r) => [r.id, r.value.v]));
        assert.deepEqual(await state(), { b: 1, c: 1 }, label);
        // The next commit finishes the compaction: one snapshot, no retired journal.
        await store.collection<{ v: number }>('C').put('d', { v: 1 });
        await store.compacted();
        assert.ok(!existsSync(join(dir, 'test.journal.old')), `${label}: the retired journal is still there`);
        await store.close();
        store = await reopen();
        assert.deepEqual(await state(), { b: 1, c: 1, d: 1 }, `${label}, after a restart`);
        await store.close();
      });
    }
  });

for (const [where, fold] of Object.entries(FOLDS))
  test(`a finished compaction is reported with the snapshot's size, its time and where it ran; folded ${where}`, async () => {
    await inTempDir(async (dir) => {
      const reports: Array<{ file: string; bytes: number; ms: number; in: string }> = [];
      const store = await LowdbStore.open({
        dir,
        name: 'test',
        sweepIntervalMs: 0,
        minCompactBytes: 2048,
        ...fold,
        onCompacted: (file, done) => reports.push({ file, ...done }),
      });
      const c = store.collection<{ n: number; pad: string }>('C');
      for (let n = 0; n < 30; n++) await c.put(`k${n}`, { n, pad: 'p'.repeat(100) });
      await store.compacted();
      assert.ok(reports.length >= 1, 'no compaction was reported');
      const last = reports.at(-1)!;
      assert.equal(last.file, join(dir, 'test.json'));
      assert.equal(last.in, where === 'in a worker thread' ? 'worker' : 'event loop');
      assert.equal(last.bytes, statSync(join(dir, 'test.json')).size);
      assert.ok(last.ms >= 0);
      await store.close();
    });
  });

for (const [where, fold] of Object.entries(FOLDS))
  test(`a snapshot that cannot be written loses nothing: the retired journal stays, commits go on, a later try finishes it; folded ${where}`, async () => {
    await inTempDir(async (dir) => {
      const failures: string[] = [];
      const options = { dir, name: 'test', sweepIntervalMs: 0, minCompactBytes: 4096, compactionRetryMs: 200, ...fold };
      let store = await LowdbStore.open({ ...options, onCompactionFailed: (_file, e) => failures.push(e.message) });
      const c = store.collection<{ n: number; pad: string }>('C');
      // The snapshot's temporary file cannot be created (a directory holds its name): every snapshot write fails.
      mkdirSync(join(dir, '.test.json.tmp'));
      for (let n = 0; n < 40; n++) await c.put(`k${n}`, { n, pad: 'p'.repeat(300) });
      await store.compacted();
      assert.ok(failures.length >= 1, 'no compaction was tried');
      assert.ok(existsSync(join(dir, 'test.journal.old')), 'the retired journal was not kept');
      // Commits go on meanwhile, into the new journal; a crash now keeps everything (the files as they are, opened elsewhere).
      for (let n = 40; n < 60; n++) await c.put(`k${n}`, { n, pad: 'p'.repeat(300) });
      const copy = `${dir}-copy`;
      try {
        cpSync(dir, copy, { recursive: true, filter: (src) => !src.endsWith('test.lock') && !src.endsWith('.test.json.tmp') });
        const crashed = await LowdbStore.open({ ...options, dir: copy, onCompactionFailed: () => undefined });
        assert.equal((await crashed.collection('C').list()).length, 60, 'a write was lost while snapshots failed');
        await crashed.close();
      } finally {
        rmSync(copy, { recursive: true, force: true });
      }
      rmSync(join(dir, '.test.json.tmp'), { recursive: true });
      // The next try, after the pause, succeeds.
      await new Promise((r) => setTimeout(r, 300));
      await c.put('k60', { n: 60, pad: '' });
      await store.compacted();
      assert.ok(!existsSync(join(dir, 'test.journal.old')), 'the retired journal was not deleted once a snapshot was written');
      await store.close();
      store = await open(dir);
      assert.equal((await store.collection('C').list()).length, 61);
      await store.close();
    });
  });
