/**
 * Runs the component tests on Redis instead of lowdb: with `NOD_TEST_STORE=redis://host:port`,
 * every provider and entity a test starts uses that Redis, under a key prefix made from its data
 * directory (so each test's components are apart, and a restart on the same directory finds its
 * data again). Unset: the default store (lowdb in the data directory).
 *   NOD_TEST_STORE=redis://127.0.0.1:6390 node --import tsx --test test/ciba/*.test.ts
 */
import { createHash } from 'node:crypto';
import type { StoreConfig } from '../../shared/store/open.ts';

export function testStore(dataDir: string): { store?: StoreConfig } {
  const url = process.env.NOD_TEST_STORE;
  if (!url || url === 'lowdb') return {};
  return { store: { url, prefix: `test-${createHash('sha256').update(dataDir).digest('hex').slice(0, 12)}:` } };
}
