/** The Store contract against the embedded lowdb store (a fresh data directory per test). */
import { describe } from 'node:test';
import { rmSync } from 'node:fs';
import { LowdbStore } from '../../shared/store/lowdb-store.ts';
import { tempDir } from '../helpers/provider.ts';
import { storeContract } from './contract.ts';

describe('lowdb store contract', () => {
  storeContract({
    async open() {
      const dir = tempDir('nod-store-');
      const store = await LowdbStore.open({ dir, name: 'contract', sweepIntervalMs: 0, lazyCommitMs: 50 });
      const close = store.close.bind(store);
      return Object.assign(store, {
        async close() {
          await close();
          rmSync(dir, { recursive: true, force: true });
        },
      });
    },
  });
});
