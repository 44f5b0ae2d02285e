import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, rmSync, statSync, writeFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { LowdbStore } from '../../shared/store/lowdb-store.ts';
import { DataDirLockedError } from '../../shared/store/lock.ts';
import { tempDir } from '../helpers/provider.ts';

const open = (dir: string) => LowdbStore.open({ dir, name: 'test', sweepIntervalMs: 0 });

test('records survive a restart of the store', async () => {
  const dir = tempDir();
  try {
    let store = await open(dir);
    await store.collection<{ v: number }>('Thing').upsert('a', { v: 1 });
    await store.collection<{ v: number; grantId: string }>('Token', { indexes: ['grantId'] }).upsert('t1', { v: 2, grantId: 'g' }, 3600);
    await store.close();
    store = await open(dir);
    assert.deepEqual(await store.collection('Thing').find('a'), { v: 1 });
    const tokens = await store.collection('Token', { indexes: ['grantId'] }).findBy('grantId', 'g');
    assert.equal(tokens.length, 1);
    assert.equal(tokens[0]!.id, 't1');
    await store.close();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a burst of concurrent durable writes ends in one consistent file with few writes', async () => {
  const dir = tempDir();
  try {
    const store = await open(dir);
    const c = store.collection<{ n: number }>('Burst');
    await Promise.all(Array.from({ length: 500 }, (_, n) => c.upsert(`k${n}`, { n })));
    const writes = store.stats().writes;
    assert.ok(writes <= 3, `500 concurrent upserts took ${writes} file writes`);
    const onDisk = JSON.parse(readFileSync(join(dir, 'test.json'), 'utf8')) as Record<string, Record<string, { p: { n: number } }>>;
    assert.equal(Object.keys(onDisk.Burst!).length, 500);
    assert.equal(onDisk.Burst!.k499!.p.n, 499);
    await store.close();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a durable upsert resolves only after its batch is on disk', async () => {
  const dir = tempDir();
  try {
    const store = await open(dir);
    await store.collection<{ x: string }>('D').upsert('id', { x: 'persisted' });
    const onDisk = readFileSync(join(dir, 'test.json'), 'utf8');
    assert.match(onDisk, /persisted/);
    await store.close();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('expired records are invisible at once and swept from memory and file', async () => {
  const dir = tempDir();
  try {
    const store = await open(dir);
    const c = store.collection<{ big: string }>('Exp');
    await Promise.all(Array.from({ length: 200 }, (_, i) => c.upsert(`e${i}`, { big: 'x'.repeat(500) }, 1)));
    await c.upsert('keep', { big: 'keep' });
    const before = statSync(join(dir, 'test.json')).size;
    await new Promise((r) => setTimeout(r, 1100));
    assert.equal(await c.find('e1'), undefined, 'expired record still visible');
    assert.equal(store.sweep(), 200);
    await store.flush();
    assert.equal(c.size(), 1);
    const after = statSync(join(dir, 'test.json')).size;
    assert.ok(after < before / 10, `file did not shrink: ${before} -> ${after}`);
    await store.close();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('consume is atomic: only the first of concurrent consumers sees an unconsumed record', async () => {
  const dir = tempDir();
  try {
    const store = await open(dir);
    const c = store.collection<{ v: number }>('Code');
    await c.upsert('code', { v: 1 }, 60);
    const results = await Promise.all(Array.from({ length: 10 }, () => c.consume('code')));
    assert.equal(results.filter((r) => r && r.consumed === undefined).length, 1);
    assert.equal(results.filter((r) => r && r.consumed !== undefined).length, 9);
    await store.close();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('destroyBy removes every record of a secondary key', async () => {
  const dir = tempDir();
  try {
    const store = await open(dir);
    const c = store.collection<{ grantId: string }>('RT', { indexes: ['grantId'] });
    await Promise.all([c.upsert('a', { grantId: 'g1' }), c.upsert('b', { grantId: 'g1' }), c.upsert('c', { grantId: 'g2' })]);
    assert.equal(await c.destroyBy('grantId', 'g1'), 2);
    assert.deepEqual((await c.all()).map((r) => r.id), ['c']);
    assert.deepEqual(await c.findBy('grantId', 'g1'), []);
    await store.close();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a second process cannot open a locked data directory', async () => {
  const dir = tempDir();
  try {
    const store = await open(dir);
    await assert.rejects(open(dir), DataDirLockedError);
    await store.close();
    const again = await open(dir);
    await again.close();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('returned records are copies: mutating one does not change the store', async () => {
  const dir = tempDir();
  try {
    const store = await open(dir);
    const c = store.collection<{ list: string[] }>('Copy');
    await c.upsert('a', { list: ['x'] });
    const r = await c.find('a');
    r!.list.push('y');
    assert.deepEqual((await c.find('a'))!.list, ['x']);
    await store.close();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('the data file is private (0600) and a leftover temporary file from a crash is harmless', async () => {
  const dir = tempDir();
  try {
    let store = await open(dir);
    await store.collection<{ secret: string }>('S').upsert('a', { secret: 'hash' });
    await store.close();
    assert.equal(statSync(join(dir, 'test.json')).mode & 0o777, 0o600);
    // A crash mid-write leaves a torn temporary file; the data file itself is untouched.
    writeFileSync(join(dir, '.test.json.tmp'), '{"S":{"a":{"p":{"sec');
    store = await open(dir);
    assert.deepEqual(await store.collection('S').find('a'), { secret: 'hash' });
    await store.collection<{ secret: string }>('S').upsert('b', { secret: 'x' });
    assert.ok(!existsSync(join(dir, '.test.json.tmp')), 'temporary file left behind after a write');
    await store.close();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
