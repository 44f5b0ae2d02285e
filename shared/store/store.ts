/**
 * The storage interface every component programs against, designed around what must happen
 * exactly once when several processes share one store:
 *
 * - single use: {@link Collection.consume} (one winner, the others learn it was consumed);
 * - unique values: {@link Collection.insert} (insert-if-absent);
 * - status moves forward only: {@link Collection.replace} (compare-and-set on a revision) and
 *   {@link Collection.update} (a read-modify-write retried on conflict, built on it);
 * - limits in a time window: {@link Counters}, {@link Slots};
 * - work done by exactly one node: {@link Leases}, {@link Scheduler};
 * - wake-ups across nodes: {@link PubSub}.
 *
 * Records come back with their metadata apart ({@link StoredRecord}), never mixed into the value.
 * Two implementations: lowdb (embedded, one process, `lowdb-store.ts`) and Redis (`redis/`);
 * `open.ts` picks one from the configuration. Nothing above this interface may know which runs.
 */

/** Thrown by every store operation that gets no answer in time; answered with 503 by the error renderers. */
export { StoreUnavailableError } from '../errors.ts';

/** What the store knows about a record besides its value. */
export interface RecordMeta {
  /**
   * Changes with every write of the record (put, replace, update, consume); never reused for
   * another state of any record of the store, so a compare-and-set on it cannot be fooled by a
   * record that was deleted and created again.
   */
  readonly revision: number;
  /** Epoch seconds when the record expires, if it does. */
  readonly expiresAt?: number;
  /** Epoch seconds when the record was consumed, if it was. */
  readonly consumedAt?: number;
}

/** A record as read: its id, its value (exactly what was written), and its metadata. */
export interface StoredRecord<T> {
  readonly id: string;
  readonly value: T;
  readonly meta: RecordMeta;
}

export interface WriteOptions {
  /**
   * Seconds until the record expires. `put` and `insert` without it: the record never expires.
   * `replace` and `update` without it: the record keeps the expiry it has.
   */
  readonly expiresIn?: number;
  /**
   * When false the promise may resolve before the change is durable (lowdb writes it with the
   * next batch, within a second). Use it only for state that may be lost in a crash (poll
   * bookkeeping, last-seen times). Default true: resolves once the change is durable.
   */
  readonly durable?: boolean;
}

export interface ReplaceOptions extends WriteOptions {
  /** The revision the record must still have; otherwise nothing is written. */
  readonly ifRevision: number;
}

/** The answer of {@link Collection.consume}. */
export type ConsumeResult<T> =
  /** This call consumed the record: the caller is the one winner. `record` is as it was before. */
  | { readonly outcome: 'consumed'; readonly record: StoredRecord<T> }
  /** An earlier call consumed it (a replay, or a lost race): `record.meta.consumedAt` says when. */
  | { readonly outcome: 'already_consumed'; readonly record: StoredRecord<T> }
  /** No live record with that id (never existed, expired or deleted). */
  | { readonly outcome: 'missing' };

/** The answer of {@link Collection.update}. */
export type UpdateResult<T> =
  /** The change was written; `record` is the new state. */
  | { readonly outcome: 'updated'; readonly record: StoredRecord<T> }
  /** The change function declined (returned undefined); `record` is the current state. */
  | { readonly outcome: 'unchanged'; readonly record: StoredRecord<T> }
  /** No live record, and the change function declined to create one. */
  | { readonly outcome: 'missing' };

/**
 * A change for {@link Collection.update}: the new value, or undefined to leave the record as it
 * is. `current` is undefined when there is no live record (return a value to create it).
 * It must be synchronous and without side effects: it may run more than once (after a conflict).
 */
export type Change<T> = (current: T | undefined, meta: RecordMeta | undefined) => T | undefined;

/** Records of one kind, keyed by id, with a TTL each and declared secondary indexes. */
export interface Collection<T extends object> {
  /** The collection's name (stable: it is part of the stored keys). */
  readonly name: string;
  /** The live (unexpired) record with its metadata, or undefined. Consumed records are live. */
  get(id: string): Promise<StoredRecord<T> | undefined>;
  /** Shorthand for `(await get(id))?.value`, for readers that need no metadata. */
  find(id: string): Promise<T | undefined>;
  /**
   * Writes the record whatever is there (a consumed mark is cleared). For records with a single
   * writer (admin edits, freshly random ids); anything that may race uses insert, replace or update.
   * Resolves with the new metadata.
   */
  put(id: string, value: T, options?: WriteOptions): Promise<RecordMeta>;
  /** Creates the record only if there is no live one with that id; true when this call created it. */
  insert(id: string, value: T, options?: WriteOptions): Promise<boolean>;
  /**
   * Compare-and-set: writes the value only if the live record still has `ifRevision`; true when
   * written. The consumed mark is kept; without `expiresIn` so is the expiry.
   */
  replace(id: string, value: T, options: ReplaceOptions): Promise<boolean>;
  /**
   * Read-modify-write without lost updates: reads, applies `change`, and writes with a
   * compare-and-set, again from a fresh read if another writer came first. For guarded status
   * transitions, return undefined from `change` unless the current status allows the move.
   */
  update(id: string, change: Change<T>, options?: WriteOptions): Promise<UpdateResult<T>>;
  /**
   * Marks the record consumed in one atomic step: exactly one caller ever gets `consumed`. With
   * `durable: false` the answer may come before the mark is durable: only for a caller that makes
   * a durable write (or flushes) before it acknowledges anything, so that one commit carries both.
   */
  consume(id: string, options?: Pick<WriteOptions, 'durable'>): Promise<ConsumeResult<T>>;
  /** Deletes the record and its index entries; true when there was one. */
  delete(id: string): Promise<boolean>;
  /** Live records whose indexed field equals `value` (the index must be declared). */
  findBy(index: string, value: string): Promise<Array<StoredRecord<T>>>;
  /** Deletes every record whose indexed field equals `value`; returns how many. */
  deleteBy(index: string, value: string): Promise<number>;
  /** Every live record: admin listings and restart scans of small collections only. */
  list(): Promise<Array<StoredRecord<T>>>;
}

export interface CollectionOptions {
  /** Top-level string fields of the value to index for findBy / deleteBy; entries expire with their records. */
  readonly indexes?: readonly string[];
}

/** A counter's state. */
export interface CounterState {
  /** Hits in the current window (0 when none). */
  readonly count: number;
  /** Milliseconds until the counter resets (0 when it does not exist or never expires). */
  readonly resetInMs: number;
}

export interface HitOptions {
  /** The window: it starts at the first hit and lasts this long. Omitted: the counter never resets (a sequence). */
  readonly windowMs?: number;
  /** With blockMs: the number of hits allowed; the hit that first goes past it starts a block. */
  readonly limit?: number;
  /** When the count first goes past `limit`, the counter lives this long from that hit (instead of the rest of its window). */
  readonly blockMs?: number;
}

/**
 * Counters in a time window (rate limits, guessing limits, sequences) and last-seen stamps
 * (poll intervals). Keys are free-form strings; give each use its own prefix.
 */
export interface Counters {
  /** Adds one hit and returns the state after it, in one atomic step (exact under concurrency). */
  hit(key: string, options?: HitOptions): Promise<CounterState>;
  /** The state without counting. */
  peek(key: string): Promise<CounterState>;
  /** Forgets the counter or stamp (e.g. after a successful sign-in). */
  reset(key: string): Promise<void>;
  /**
   * Records now as the last time for `key`, kept `ttlMs`, and returns the time it replaces (epoch
   * ms) if that one was still kept: "was there a poll less than ttlMs ago?", atomically.
   */
  stamp(key: string, ttlMs: number): Promise<number | undefined>;
}

/** The answer of {@link Slots.reserve}. */
export interface Reservation {
  /** True when the member now holds a slot (also when it already held one). */
  readonly reserved: boolean;
  /** Live members after this call. */
  readonly active: number;
  /** When refused: epoch ms when the earliest live member ends. */
  readonly nextFreeAt?: number;
}

/**
 * Bounded sets of expiring members: "at most N active things per key" (anti-fatigue: requests
 * per user). Each member holds its slot until its own end time.
 */
export interface Slots {
  /** Adds `member` (ending at `until`, epoch ms) if fewer than `limit` members are live, atomically. */
  reserve(key: string, member: string, options: { readonly limit: number; readonly until: number }): Promise<Reservation>;
  /** Moves a member's end time (a time in the past releases it); nothing happens for a member not held. */
  setUntil(key: string, member: string, until: number): Promise<void>;
  /** Releases a member's slot. */
  release(key: string, member: string): Promise<void>;
  /** Live members of `key`. */
  count(key: string): Promise<number>;
}

/** A held lease: only the holder of `token` may renew or release it. */
export interface Lease {
  readonly name: string;
  readonly token: string;
}

/** Exclusive leases with a TTL (`SET NX PX`): one holder at a time; a holder that dies loses it when it runs out. */
export interface Leases {
  /** Takes the lease for `ttlMs` if nobody holds it; undefined when somebody does. */
  acquire(name: string, ttlMs: number): Promise<Lease | undefined>;
  /** Extends a lease still held by this token; false when it was lost. */
  renew(lease: Lease, ttlMs: number): Promise<boolean>;
  /** Gives a lease back if still held by this token; false when it was lost already. */
  release(lease: Lease): Promise<boolean>;
}

/** An item handed to one claimer by {@link Scheduler.claim}. */
export interface ClaimedItem {
  readonly queue: string;
  readonly id: string;
  /** What was scheduled with the item. */
  readonly payload: unknown;
  /** How many times the item was claimed, this claim included (retries and takeovers count). */
  readonly attempts: number;
  /** Epoch ms when the item was due. */
  readonly dueAt: number;
  /** Proof of this claim; complete, retry and extend need it. */
  readonly token: string;
}

export interface ScheduleOptions {
  /**
   * Called once the item can be claimed, at the latest just before schedule() resolves: on lowdb
   * at once (the item is in memory; the commit that makes it durable comes first in the one
   * journal, before anything written after this call), on Redis when the insert answered (which
   * is also when it is durable). For a worker that starts the work without waiting for the commit.
   */
  readonly onClaimable?: () => void;
}

/**
 * Due work done by exactly one node: items scheduled at a time (expiry watches, notification
 * outboxes, callback retries); nodes claim due items with a lease; an item whose claimer died is
 * claimed again once the lease ends. Items are durable.
 */
export interface Scheduler {
  /**
   * Schedules item `id` of `queue` at `at` (epoch ms), replacing any earlier schedule (and claim)
   * of it; resolves once the item is durable.
   */
  schedule(queue: string, id: string, at: number, payload?: unknown, options?: ScheduleOptions): Promise<void>;
  /** Removes an item; true when it was there. */
  cancel(queue: string, id: string): Promise<boolean>;
  /** Claims up to `limit` items due now, each for `leaseMs`: no other claim gets them meanwhile. */
  claim(queue: string, options: { readonly limit: number; readonly leaseMs: number }): Promise<ClaimedItem[]>;
  /**
   * Removes a claimed item (the work is done) if the claim still holds; false when it was lost.
   * With `durable: false` the removal may become durable after the promise resolves (lowdb: with
   * the next commit, within a second), though every node sees it at once: a crash before then
   * brings the item back, due at once, and its work is done again. Only for work that is safe to
   * repeat (what a claim that ran out already asks of it). Default true. On Redis the removal is
   * one command, durable when it answers, either way.
   */
  complete(item: ClaimedItem, options?: Pick<WriteOptions, 'durable'>): Promise<boolean>;
  /** Puts a claimed item back, due at `at` (epoch ms), if the claim still holds. */
  retry(item: ClaimedItem, at: number): Promise<boolean>;
  /** Extends a claim still held by `leaseMs` from now; false when it was lost. */
  extend(item: ClaimedItem, leaseMs: number): Promise<boolean>;
  /**
   * Epoch ms when the earliest item of `queue` is due (for a claimed item: when its claim runs
   * out), or undefined when the queue is empty: how long a worker may sleep.
   */
  next(queue: string): Promise<number | undefined>;
}

/** Messages between the nodes of one store (in-process for lowdb). At most once, no history. */
export interface PubSub {
  /** Sends a JSON-serialisable message to every subscriber of `channel`, on every node. */
  publish(channel: string, message: unknown): Promise<void>;
  /** Calls `handler` for every message on `channel`; resolves (subscribed) with a function that unsubscribes. */
  subscribe(channel: string, handler: (message: unknown) => void): Promise<() => Promise<void>>;
}

/** What /readyz reports about the store. */
export interface StoreHealth {
  readonly ok: boolean;
  readonly kind: StoreKind;
  /** Round trip of the check, ms. */
  readonly latencyMs?: number;
  /** Why not ok. */
  readonly detail?: string;
}

export type StoreKind = 'lowdb' | 'redis';

export interface Store {
  readonly kind: StoreKind;
  /** True when this open found no data at all: the store was created now (first start). */
  readonly created: boolean;
  /** The collection `name`; call it with the same options every time (models.ts does). */
  collection<T extends object>(name: string, options?: CollectionOptions): Collection<T>;
  readonly counters: Counters;
  readonly slots: Slots;
  readonly leases: Leases;
  readonly scheduler: Scheduler;
  readonly pubsub: PubSub;
  /** Checks the store answers now (for /readyz); never throws. */
  ready(): Promise<StoreHealth>;
  /** Resolves when every change made so far is durable, those written with `durable: false` included. */
  flush(): Promise<void>;
  /** Removes expired records and index entries now; returns how many records. Stores also do it by themselves. */
  sweep(): Promise<number>;
  /** Statistics for health checks and benchmarks (cheap, from memory). */
  stats(): StoreStats;
  /** Flushes, stops timers and connections, releases the data directory. */
  close(): Promise<void>;
}

export interface StoreStats {
  readonly kind: StoreKind;
  /** Records of collections held (lowdb: live or not yet swept; counters, slots, leases and queues not included); undefined where counting would cost a scan. */
  readonly records?: number;
  /** Durable writes (lowdb: group commits; Redis: write commands). */
  readonly writes: number;
  /** Duration of the last durable write (lowdb: commit; Redis: round trip), ms. */
  readonly lastWriteMs: number;
  /** Bytes on disk (lowdb only). */
  readonly fileBytes?: number;
}
