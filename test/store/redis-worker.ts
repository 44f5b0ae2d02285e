/**
 * A second node for redis-nodes.test.ts: opens the same Redis store, says `ready`, waits for
 * `go` on stdin, then races the test process: claims and completes scheduled items and consumes
 * codes, and prints what it won as one JSON line.
 * Usage: tsx redis-worker.ts <url> <prefix> <codes>
 */
import { once } from 'node:events';
import { RedisStore } from '../../shared/store/redis/redis-store.ts';
import { drainQueue } from './drain.ts';

const [url, prefix, codes] = process.argv.slice(2) as [string, string, string];
const store = await RedisStore.open({ url, prefix, name: 'nodes' });
process.stdout.write('ready\n');
await once(process.stdin, 'data');
const [claimed, consumed] = await Promise.all([
  drainQueue(store, 'work'),
  Promise.all(
    Array.from({ length: Number(codes) }, async (_, i) =>
      (await store.collection('Code').consume(`code${i}`)).outcome === 'consumed' ? `code${i}` : undefined,
    ),
  ),
]);
process.stdout.write(`${JSON.stringify({ claimed, consumed: consumed.filter(Boolean) })}\n`);
await store.close();
process.exit(0);
