/**
 * Child of lowdb-crash.test.ts: opens the lowdb store in the directory it is given (small
 * compaction threshold) and writes for ever, 16 durable puts at a time over 64 keys, each value
 * the write's sequence number; prints `ack <key> <n>` once a put has resolved (it is then on
 * disk). The parent SIGKILLs it.
 *
 *   node --import tsx test/store/lowdb-crash-child.ts <dir> <first sequence number>
 */
import { LowdbStore } from '../../shared/store/lowdb-store.ts';

const [dir, first] = [process.argv[2]!, Number(process.argv[3] ?? 0)];
const store = await LowdbStore.open({ dir, name: 'test', sweepIntervalMs: 0, minCompactBytes: 4096 });
const c = store.collection<{ n: number; pad: string }>('K');
const pad = 'p'.repeat(1500);
process.stdout.write('ready\n');
for (let n = first; ; n += 16) {
  await Promise.all(
    Array.from({ length: 16 }, async (_, i) => {
      const key = `k${(n + i) % 64}`;
      await c.put(key, { n: n + i, pad });
      process.stdout.write(`ack ${key} ${n + i}\n`);
    }),
  );
}
