/**
 * The queue worker (shared/store/queue_worker.ts) on the embedded store: when an item's work
 * starts (at once with startBeforeDurable, else once the item is durable) and how the item is
 * removed when its work is done (lazily, unless the handler asks for a durable removal).
 */
import assert from 'node:assert/strict';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { LowdbStore } from '../../shared/store/lowdb-store.ts';
import { QueueWorker, type WorkOutcome } from '../../shared/store/queue_worker.ts';
import { captureLog } from '../helpers/log-capture.ts';
import { tempDir } from '../helpers/provider.ts';
import { Teardown } from '../helpers/teardown.ts';
import { after, test } from '../helpers/node-test.ts';

const teardown = new Teardown();
after(() => teardown.run());

/** A fresh store and a started worker on queue `q` whose handler records each item, whether it was on disk then, and answers `outcome`. */
async function setup(options: { startBeforeDurable: boolean; outcome?: WorkOutcome }) {
  const dir = teardown.add(tempDir(), (d) => rmSync(d, { recursive: true, force: true }));
  const store = teardown.add(await LowdbStore.open({ dir, name: 'worker', sweepIntervalMs: 0, lazyCommitMs: 60_000 }), (s) => s.close());
  const journal = join(dir, 'worker.journal');
  const handled: Array<{ id: string; onDisk: boolean }> = [];
  let done: () => void = () => undefined;
  const finished = new Promise<void>((resolve) => {
    done = resolve;
  });
  const worker = new QueueWorker({
    scheduler: store.scheduler,
    queue: 'q',
    concurrency: 4,
    leaseMs: 60_000,
    pollMs: 60_000,
    log: captureLog('test').log,
    startBeforeDurable: options.startBeforeDurable,
    async handle(item) {
      handled.push({ id: item.id, onDisk: existsSync(journal) && readFileSync(journal, 'utf8').includes(`"i":"${item.id}"`) });
      setImmediate(done);
      return options.outcome;
    },
  });
  teardown.add(worker, (w) => w.stop());
  worker.start();
  return { store, worker, handled, finished };
}

test('with startBeforeDurable the work starts before the item is on disk; without it, once it is', async () => {
  for (const startBeforeDurable of [true, false]) {
    const { worker, handled, finished } = await setup({ startBeforeDurable });
    await worker.schedule('i1', Date.now());
    await finished;
    assert.deepEqual(handled, [{ id: 'i1', onDisk: !startBeforeDurable }], `startBeforeDurable: ${startBeforeDurable}`);
    await worker.stop();
  }
});

test('a done item is removed without a commit of its own, unless the handler asks for a durable removal', async () => {
  for (const outcome of [undefined, { completeDurably: true } as const]) {
    const { store, worker, finished } = await setup({ startBeforeDurable: false, outcome });
    await worker.schedule('i1', Date.now());
    const writes = store.stats().writes;
    await finished;
    for (let i = 0; i < 50 && (await store.scheduler.next('q')) !== undefined; i++) await new Promise((r) => setTimeout(r, 10));
    assert.equal(await store.scheduler.next('q'), undefined, 'the item is gone');
    await new Promise((r) => setTimeout(r, 20));
    assert.equal(store.stats().writes, writes + (outcome ? 1 : 0), `commits after the work, outcome ${JSON.stringify(outcome)}`);
    await worker.stop();
  }
});
