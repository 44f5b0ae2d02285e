/** What the bench asks of a child's store, the same for the provider and the entity. */
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { Store } from '../../shared/store/store.ts';

export function storeProbes(store: Store, dataDir: string) {
  return {
    /** One durable write with everything held, timed by the store itself. */
    commitOnce: async () => {
      await store.collection<{ at: number }>('BenchProbe').put('probe', { at: Date.now() });
      return store.stats();
    },
    storeStats: () => store.stats(),
    /** Sizes of the files in the data directory. */
    files: () => Object.fromEntries(readdirSync(dataDir).map((f) => [f, statSync(join(dataDir, f)).size])),
    /** Sweeps expired records now and writes the result; returns how many went. */
    sweep: async () => {
      const removed = await store.sweep();
      await store.flush();
      return removed;
    },
  };
}
