/**
 * The storage interface every component programs against, in the spirit of
 * node-oidc-provider's adapter: records with a TTL, keyed by id, grouped in named collections,
 * with declared secondary indexes. lowdb is the embedded default (`lowdb-store.ts`); a networked
 * implementation (Redis) can replace it without touching the flows above.
 */

/** Fields the store adds to every record it returns (a payload field of the same name takes precedence). */
export interface RecordMeta {
  /** Epoch seconds when the record was consumed, if it was. */
  readonly consumed?: number;
  /** Epoch seconds when the record expires, if it does. */
  readonly expiresAt?: number;
}

export interface UpsertOptions {
  /**
   * When false the promise resolves at once and the change is written with the next batch.
   * Use it only for state that may be lost in a crash (poll timestamps, counters).
   * Default true: the promise resolves after the batch holding this change is on disk.
   */
  readonly durable?: boolean;
}

export interface Collection<T extends object> {
  /** Inserts or replaces a record; `expiresIn` in seconds (omit for no expiry). */
  upsert(id: string, payload: T, expiresIn?: number, options?: UpsertOptions): Promise<void>;
  /** The live (unexpired) record, or undefined. */
  find(id: string): Promise<(T & RecordMeta) | undefined>;
  /**
   * Atomically marks the record consumed and returns it as it was before:
   * `consumed` set on the result means an earlier call consumed it (a replay).
   */
  consume(id: string): Promise<(T & RecordMeta) | undefined>;
  /** Deletes a record; resolves when durable. */
  destroy(id: string): Promise<void>;
  /** Live records whose indexed field equals value (the index must be declared). */
  findBy(index: string, value: string): Promise<Array<T & RecordMeta & { readonly id: string }>>;
  /** Deletes every record whose indexed field equals value; returns how many. */
  destroyBy(index: string, value: string): Promise<number>;
  /** Every live record (admin listings, small collections only). */
  all(): Promise<Array<T & RecordMeta & { readonly id: string }>>;
  /** Number of records held, live or not yet swept. */
  size(): number;
}

export interface CollectionOptions {
  /** Payload fields to index for `findBy` / `destroyBy`. */
  readonly indexes?: readonly string[];
}

export interface Store {
  collection<T extends object>(name: string, options?: CollectionOptions): Collection<T>;
  /** Resolves when every change made so far is on disk. */
  flush(): Promise<void>;
  /** Removes expired records now; returns how many. */
  sweep(): number;
  /** Flushes, stops timers and releases the data directory. */
  close(): Promise<void>;
  /** Statistics for health checks and benchmarks. */
  stats(): StoreStats;
}

export interface StoreStats {
  readonly records: number;
  readonly writes: number;
  readonly lastWriteMs: number;
  readonly fileBytes: number;
}
