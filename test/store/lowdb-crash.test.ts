/**
 * The lowdb store under SIGKILL, compactions included: a child process writes durable puts as fast
 * as it can with a compaction threshold so small that a new snapshot is written every few dozen
 * writes; it is killed again and again, half of the time at the moment a compaction has retired
 * the journal (`test.journal.old` appeared) and is writing the snapshot, the other half at a
 * random moment. After every kill the store must open, and every key must hold its last
 * acknowledged value or a later one (a write on its way may have landed; none may be lost).
 */
import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { LowdbStore } from '../../shared/store/lowdb-store.ts';
import { test } from '../helpers/node-test.ts';
import { tempDir } from '../helpers/provider.ts';

const CHILD = fileURLToPath(new URL('./lowdb-crash-child.ts', import.meta.url));
const KILLS = 12;

/** Runs the writer until `kill` says so; resolves with what it acknowledged and whether it died mid-compaction. */
async function runOnce(dir: string, first: number, atCompaction: boolean, acked: Map<string, number>): Promise<{ midCompaction: boolean }> {
  const child: ChildProcess = spawn(process.execPath, ['--import', 'tsx', CHILD, dir, String(first)], { stdio: ['ignore', 'pipe', 'pipe'] });
  const stderr: string[] = [];
  child.stderr!.on('data', (d: Buffer) => stderr.push(d.toString()));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  let timer: NodeJS.Timeout | undefined;
  try {
    const ready = new Promise<void>((resolve, reject) => {
      createInterface({ input: child.stdout! }).on('line', (line) => {
        if (line === 'ready') return resolve();
        const [, key, n] = line.split(' ');
        if (key && n) acked.set(key, Math.max(acked.get(key) ?? -1, Number(n)));
      });
      child.once('exit', (code) => reject(new Error(`the writer exited (${code}) before it was ready: ${stderr.join('').slice(-1500)}`)));
    });
    await ready;
    const retired = join(dir, 'test.journal.old');
    let midCompaction = false;
    await new Promise<void>((resolve) => {
      const started = Date.now();
      const randomAt = started + 150 + Math.random() * 400;
      timer = setInterval(() => {
        const compacting = existsSync(retired);
        // At a compaction (given up after 3 s without one: then a plain kill), or at a random moment.
        if ((atCompaction && compacting) || (!atCompaction && Date.now() >= randomAt) || Date.now() - started > 3000) {
          midCompaction = compacting;
          child.kill('SIGKILL');
          resolve();
        }
      }, 1);
    });
    await exited;
    return { midCompaction };
  } finally {
    clearInterval(timer);
    child.kill('SIGKILL');
    await exited;
  }
}

test('SIGKILL at any moment, also while a snapshot is written, loses no acknowledged write', { timeout: 120_000 }, async () => {
  const dir = tempDir('nod-lowdb-crash-');
  const acked = new Map<string, number>();
  let midCompaction = 0;
  try {
    for (let k = 0; k < KILLS; k++) {
      const run = await runOnce(dir, k * 1_000_000, k % 2 === 0, acked);
      if (run.midCompaction) midCompaction++;
      const store = await LowdbStore.open({ dir, name: 'test', sweepIntervalMs: 0 });
      try {
        const c = store.collection<{ n: number }>('K');
        for (const [key, n] of acked) {
          const found = await c.find(key);
          assert.ok(found && found.n >= n, `kill ${k + 1}${run.midCompaction ? ' (mid-compaction)' : ''}: ${key} holds ${found?.n}, acknowledged ${n}`);
        }
      } finally {
        await store.close();
      }
    }
    assert.ok(midCompaction >= 2, `only ${midCompaction} of ${KILLS} kills landed while a snapshot was written`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
