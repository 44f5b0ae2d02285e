/**
 * The one place a component's Store is chosen and opened, from `NOD_STORE`:
 * unset or `lowdb` → the embedded lowdb store in the data directory (the default);
 * `redis://[user:password@]host:port[/db]` or `rediss://…` → Redis, shared by every node, with
 * keys under `NOD_STORE_PREFIX` (default `nod:`).
 */
import { envInt, envString } from '../env.ts';
import type { Logger } from '../log.ts';
import { type CompactionDone, DEFAULT_COMPACT_BYTES, LowdbStore } from './lowdb-store.ts';
import { RedisStore } from './redis/redis-store.ts';
import type { Store } from './store.ts';
import { defined } from '../defined.ts';

/** Which store a component uses: part of the provider's and the entity's configuration. */
export interface StoreConfig {
  /** `lowdb`, or a `redis://` / `rediss://` URL (`NOD_STORE`). */
  readonly url: string;
  /** Key prefix in Redis (`NOD_STORE_PREFIX`), so several deployments can share one server. */
  readonly prefix: string;
  /** lowdb: the journal is folded into a new snapshot once it is larger than this and than the snapshot, bytes (`NOD_STORE_COMPACT_BYTES`). */
  readonly compactBytes?: number;
}

/** The store settings from the environment; a malformed NOD_STORE stops the start with a message. */
export function loadStoreConfig(env: NodeJS.ProcessEnv = process.env): StoreConfig {
  const url = envString('NOD_STORE', 'lowdb', env).trim() || 'lowdb';
  const prefix = envString('NOD_STORE_PREFIX', 'nod:', env);
  if (url !== 'lowdb') {
    let parsed: URL;
    try {
      parsed = new URL(url);
    } catch {
      throw new TypeError('NOD_STORE must be lowdb or a redis://[user:password@]host:port[/db] (or rediss://) URL');
    }
    if (parsed.protocol !== 'redis:' && parsed.protocol !== 'rediss:') throw new TypeError('NOD_STORE must be lowdb or a redis:// or rediss:// URL');
    if (!/^\/?\d*$/.test(parsed.pathname)) throw new TypeError('NOD_STORE: the path of a Redis URL is the database number, e.g. redis://host:6379/0');
  }
  if (!/^[A-Za-z0-9:_.{}-]{0,64}$/.test(prefix)) throw new TypeError('NOD_STORE_PREFIX: up to 64 characters of letters, digits and : _ . - { }');
  const compactBytes = envInt('NOD_STORE_COMPACT_BYTES', DEFAULT_COMPACT_BYTES, env);
  if (compactBytes < 4096) throw new TypeError('NOD_STORE_COMPACT_BYTES: at least 4096');
  return { url, prefix, compactBytes };
}

export interface OpenStoreOptions {
  /** NOD_STORE and NOD_STORE_PREFIX (the `store` member of the provider's and the entity's configuration). */
  readonly store: StoreConfig;
  /** The data directory (lowdb files; with Redis, only files to import from an older version). */
  readonly dataDir: string;
  /** `provider` or `server`: the lowdb file name and the Redis namespace under the prefix. */
  readonly name: string;
  /** How often expired records are swept (lowdb) or the listings of expired ones (Redis, by one node), ms (0: never). */
  readonly sweepIntervalMs?: number;
  /**
   * Where `store.unavailable` and `store.recovered` are logged (a networked store going away and
   * coming back), and `store.journal_tail_dropped` (lowdb: a torn last journal line, left by a
   * crash mid-append, was dropped on open).
   */
  readonly log?: Logger;
}

/** Opens the configured store: lowdb (locks the data directory) or Redis (waits for it to answer). */
export async function openStore(options: OpenStoreOptions): Promise<Store> {
  const { url, prefix } = options.store;
  const { log } = options;
  if (url === 'lowdb') {
    return LowdbStore.open({
      dir: options.dataDir,
      name: options.name,
      ...defined({ sweepIntervalMs: options.sweepIntervalMs, minCompactBytes: options.store.compactBytes }),
      ...(log
        ? {
            onTornTail: (file: string, bytes: number) => log.warn('store.journal_tail_dropped', { file, bytes }),
            onCompactionFailed: (file: string, e: Error) => log.error('store.compaction_failed', { file, error: e.message }),
            onCompacted: (file: string, done: CompactionDone) => log.info('store.compacted', { file, ...done }),
          }
        : {}),
    });
  }
  return RedisStore.open({
    url,
    prefix,
    name: options.name,
    ...defined({ sweepIntervalMs: options.sweepIntervalMs }),
    ...(log
      ? { onStateChange: (state: 'unavailable' | 'recovered', detail: string) => log[state === 'unavailable' ? 'warn' : 'info'](`store.${state}`, { detail }) }
      : {}),
  });
}
