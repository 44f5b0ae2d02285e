/**
 * The Store on Redis, for deployments of several nodes: every node of a provider (or of an
 * entity) opens the same URL and prefix and sees one store. Keys live under
 * `<prefix><name>:` (e.g. `nod:provider:`), so several deployments, and the provider and the
 * entity, can share one Redis. Durability follows the server's persistence settings (see the
 * README: `appendonly yes` with `appendfsync always` keeps every acknowledged write).
 */
import { StoreUnavailableError, type Collection, type CollectionOptions, type Store, type StoreHealth, type StoreStats } from '../store.ts';
import { RedisCollection } from './collection.ts';
import { RedisConnection, type RedisConnectionOptions } from './connection.ts';
import { RedisCounters, RedisLeases, RedisScheduler, RedisSlots } from './primitives.ts';
import { RedisPubSub } from './pubsub.ts';

export interface RedisStoreOptions extends RedisConnectionOptions {
  /** Deployment prefix, `NOD_STORE_PREFIX` (default `nod:`). */
  readonly prefix: string;
  /** The component: `provider` or `server`. */
  readonly name: string;
  /** How often one node of the deployment (whichever takes the lease) sweeps the listings, ms (0 or unset: never). */
  readonly sweepIntervalMs?: number;
}

export class RedisStore implements Store {
  readonly kind = 'redis' as const;
  readonly counters: RedisCounters;
  readonly slots: RedisSlots;
  readonly leases: RedisLeases;
  readonly scheduler: RedisScheduler;
  readonly pubsub: RedisPubSub;
  private readonly ns: string;
  private readonly collections = new Map<string, RedisCollection<object>>();
  private writes = 0;
  private lastWriteMs = 0;
  private closed = false;
  private sweepTimer: NodeJS.Timeout | undefined;

  private constructor(
    private readonly conn: RedisConnection,
    options: RedisStoreOptions,
    readonly created: boolean,
  ) {
    this.ns = `${options.prefix}${options.name}:`;
    const under = (kind: string) => (name: string) => `${this.ns}${kind}:${name}`;
    this.counters = new RedisCounters(conn, under('n'));
    this.slots = new RedisSlots(conn, under('s'));
    this.leases = new RedisLeases(conn, under('l'));
    this.scheduler = new RedisScheduler(conn, under('q'));
    this.pubsub = new RedisPubSub(conn, under('ps'));
  }

  /** Connects (waiting for Redis up to openTimeoutMs) and marks the namespace as created if it was new. */
  static async open(options: RedisStoreOptions): Promise<RedisStore> {
    const conn = await RedisConnection.open(options);
    try {
      const meta = `${options.prefix}${options.name}:meta`;
      const created = (await conn.run((c) => c.set(meta, JSON.stringify({ createdAt: Date.now() }), 'NX'))) === 'OK';
      const store = new RedisStore(conn, options, created);
      if (options.sweepIntervalMs) store.sweepEvery(options.sweepIntervalMs);
      return store;
    } catch (e) {
      await conn.close();
      throw e;
    }
  }

  collection<T extends object>(name: string, options: CollectionOptions = {}): Collection<T> {
    let c = this.collections.get(name);
    if (!c) {
      const recordPrefix = `${this.ns}r:${name}:`;
      c = new RedisCollection<object>(
        this.conn,
        name,
        {
          record: (id) => `${recordPrefix}${id}`,
          recordPrefix,
          indexPrefix: `${this.ns}i:${name}:`,
          list: `${this.ns}a:${name}`,
          revision: `${this.ns}rev`,
        },
        options,
        (ms) => {
          this.writes++;
          this.lastWriteMs = ms;
        },
      );
      this.collections.set(name, c);
    }
    return c as unknown as Collection<T>;
  }

  async ready(): Promise<StoreHealth> {
    if (this.closed) return { ok: false, kind: 'redis', detail: 'the store is closed' };
    if (!this.conn.connected) return { ok: false, kind: 'redis', detail: 'not connected to Redis' };
    const started = performance.now();
    try {
      await this.conn.run((c) => c.ping());
      return { ok: true, kind: 'redis', latencyMs: Math.round((performance.now() - started) * 10) / 10 };
    } catch (e) {
      return { ok: false, kind: 'redis', detail: e instanceof StoreUnavailableError ? e.message : String(e) };
    }
  }

  /** Redis acknowledges a write once applied; its persistence settings decide when it is on disk. */
  async flush(): Promise<void> {}

  /** Drops dead entries from the listings of the collections opened so far; Redis expires records (and idle index sets) itself. */
  async sweep(): Promise<number> {
    const now = Date.now();
    for (const name of this.collections.keys()) await this.conn.run((c) => c.zremrangebyscore(`${this.ns}a:${name}`, '-inf', now));
    return 0;
  }

  /**
   * Sweeps every `intervalMs` on one node of the deployment: the node that takes the sweep lease
   * (held for most of an interval, never released) sweeps; the others find it taken.
   */
  private sweepEvery(intervalMs: number): void {
    this.sweepTimer = setInterval(() => {
      void (async () => {
        if (await this.leases.acquire('sweep', intervalMs * 0.9)) await this.sweep();
      })().catch(() => undefined);
    }, intervalMs);
    this.sweepTimer.unref();
  }

  stats(): StoreStats {
    return { kind: 'redis', writes: this.writes, lastWriteMs: this.lastWriteMs };
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    clearInterval(this.sweepTimer);
    await this.pubsub.close();
    await this.conn.close();
  }
}
