/** Claims and completes items of a queue until it stays empty; returns the ids this caller did. */
import { setTimeout as sleep } from 'node:timers/promises';
import type { Store } from '../../shared/store/store.ts';

export async function drainQueue(store: Store, queue: string): Promise<string[]> {
  const done: string[] = [];
  for (let empty = 0; empty < 5; ) {
    const items = await store.scheduler.claim(queue, { limit: 3, leaseMs: 30_000 });
    if (items.length === 0) {
      empty++;
      await sleep(20);
      continue;
    }
    empty = 0;
    for (const item of items) if (await store.scheduler.complete(item)) done.push(item.id);
  }
  return done;
}
