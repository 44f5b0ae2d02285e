/**
 * The bench's child processes (bench/lib/child.ts): a call the child never answers fails after
 * the call deadline, so a stuck server or load process stops the run instead of hanging it.
 */
import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import { test } from '../helpers/node-test.ts';
import { spawnChild } from '../../bench/lib/child.ts';

const FIXTURES = fileURLToPath(new URL('./fixtures/', import.meta.url));

test('a call the child never answers fails after the call deadline; the child still answers others', { timeout: 60_000 }, async () => {
  const child = await spawnChild<{ pid: number }>('silent_child.ts', {}, { benchDir: FIXTURES, callTimeoutMs: 300 });
  try {
    const started = Date.now();
    await assert.rejects(child.call('never'), /silent_child\.ts: never gave no answer within 0\.3 s/);
    assert.ok(Date.now() - started < 5_000, 'the deadline did not hold');
    assert.deepEqual(await child.call('echo', { a: 1 }), { a: 1 });
  } finally {
    await child.stop();
  }
});
