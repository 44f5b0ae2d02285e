/**
 * The due-time index of the embedded store's scheduler (shared/store/due-index.ts) against the
 * plain definition (every live item, sorted by due time), under a seeded random mix of sets,
 * moves and deletes large enough to rebuild the heap many times over.
 */
import assert from 'node:assert/strict';
import { DueIndex } from '../../shared/store/due-index.ts';
import { test } from '../helpers/node-test.ts';

/** A small seeded generator (mulberry32), so a failure can be replayed. */
function random(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

test('first() is always the earliest live item, whatever was moved or deleted before', () => {
  const next = random(15);
  const index = new DueIndex();
  const model = new Map<string, number>();
  for (let step = 0; step < 20_000; step++) {
    const id = `i${Math.floor(next() * 300)}`;
    const roll = next();
    if (roll < 0.55) {
      const at = Math.floor(next() * 1000);
      index.set(id, at);
      model.set(id, at);
    } else if (roll < 0.8) {
      index.delete(id);
      model.delete(id);
    } else {
      // What a claim does: take the earliest, file it later.
      const first = index.first();
      const earliest = Math.min(...model.values());
      assert.equal(first?.at, model.size ? earliest : undefined, `step ${step}`);
      if (first) {
        assert.equal(model.get(first.id), earliest);
        index.set(first.id, first.at + 500);
        model.set(first.id, first.at + 500);
      }
    }
    assert.equal(index.size, model.size);
  }
  const drained: number[] = [];
  for (let first = index.first(); first; first = index.first()) {
    drained.push(first.at);
    index.delete(first.id);
  }
  assert.deepEqual(
    drained,
    [...model.values()].sort((a, b) => a - b),
    'drained in due order',
  );
});

test('items due at the same time come out in the order they were set', () => {
  const index = new DueIndex();
  for (const id of ['c', 'a', 'b']) index.set(id, 5);
  index.set('c', 5);
  const order: string[] = [];
  for (let first = index.first(); first; first = index.first()) {
    order.push(first.id);
    index.delete(first.id);
  }
  assert.deepEqual(order, ['a', 'b', 'c']);
});
