/**
 * The embedded default Store: records live in memory; on disk they are a lowdb snapshot
 * (`<name>.json`, written atomically and fsynced by durable-json-file.ts) plus an append-only
 * journal (`<name>.journal`, journal.ts). Writes are group-committed: every change made in the
 * same turn of the event loop (and while a commit is in flight) goes into one journal append of
 * just the changed records, fdatasynced, and durable changes resolve only after it. When the
 * journal outgrows the snapshot, the snapshot is rewritten and the journal emptied, so the cost
 * of a commit follows what it changed and the files follow what is live.
 */
import { Low } from 'lowdb';
import { statSync } from 'node:fs';
import { join } from 'node:path';
import type { Collection, CollectionOptions, RecordMeta, Store, StoreStats, UpsertOptions } from './store.ts';
import { lockDataDir } from './lock.ts';
import { Journal, type JournalEntry } from './journal.ts';
import { DurableJsonFile } from './durable-json-file.ts';

interface Row {
  p: Record<string, unknown>;
  /** expiry, epoch ms */
  e?: number;
  /** consumed, epoch seconds */
  c?: number;
}
type FileShape = Record<string, Record<string, Row>>;

export interface LowdbStoreOptions {
  /** Data directory (created with mode 0700). */
  readonly dir: string;
  /** File base name: `<name>.json` and `<name>.lock`. */
  readonly name: string;
  /** How often expired records are swept, in ms (0 disables the timer). */
  readonly sweepIntervalMs?: number;
  /** Non-durable changes (poll timestamps) are committed at most this late, in ms. Default 1000. */
  readonly lazyCommitMs?: number;
  /** The journal is compacted into the snapshot once it exceeds max(this, snapshot size). Default 1 MiB. */
  readonly minCompactBytes?: number;
}

const now = () => Date.now();

/**
 * A deep copy of JSON-shaped data (what the store holds: it is written as JSON), about 5x
 * faster than structuredClone for the small records read on every request. `undefined`
 * properties are dropped, as JSON would.
 */
function copyJson(value: unknown): unknown {
  if (value === null || typeof value !== 'object') return value;
  if (Array.isArray(value)) return value.map(copyJson);
  const out: Record<string, unknown> = {};
  for (const key of Object.keys(value)) {
    const v = (value as Record<string, unknown>)[key];
    if (v !== undefined) out[key] = copyJson(v);
  }
  return out;
}

class LowdbCollection<T extends object> implements Collection<T> {
  readonly rows = new Map<string, Row>();
  private readonly indexes = new Map<string, Map<string, Set<string>>>();

  constructor(
    private readonly store: LowdbStore,
    readonly name: string,
    options: CollectionOptions,
  ) {
    for (const field of options.indexes ?? []) this.indexes.set(field, new Map());
  }

  load(rows: Record<string, Row>): void {
    for (const [id, row] of Object.entries(rows)) {
      this.rows.set(id, row);
      this.index(id, row.p);
    }
  }

  private index(id: string, payload: Record<string, unknown>): void {
    for (const [field, map] of this.indexes) {
      const value = payload[field];
      if (typeof value !== 'string') continue;
      let ids = map.get(value);
      if (!ids) map.set(value, (ids = new Set()));
      ids.add(id);
    }
  }

  private unindex(id: string, payload: Record<string, unknown>): void {
    for (const [field, map] of this.indexes) {
      const value = payload[field];
      if (typeof value !== 'string') continue;
      const ids = map.get(value);
      ids?.delete(id);
      if (ids?.size === 0) map.delete(value);
    }
  }

  private live(row: Row | undefined): row is Row {
    return row !== undefined && (row.e === undefined || row.e > now());
  }

  private view(row: Row): T & RecordMeta {
    const meta: { consumed?: number; expiresAt?: number } = {};
    if (row.c !== undefined) meta.consumed = row.c;
    if (row.e !== undefined) meta.expiresAt = Math.floor(row.e / 1000);
    // A payload field of the same name wins (pollable requests carry their own expiresAt,
    // shorter than the record's TTL, which includes the grace for late polls).
    return { ...meta, ...(copyJson(row.p) as T) };
  }

  async upsert(id: string, payload: T, expiresIn?: number, options?: UpsertOptions): Promise<void> {
    const old = this.rows.get(id);
    if (old) this.unindex(id, old.p);
    const row: Row = { p: copyJson(payload) as Record<string, unknown> };
    if (expiresIn !== undefined) row.e = now() + expiresIn * 1000;
    this.rows.set(id, row);
    this.index(id, row.p);
    this.store.touch(this.name, id);
    if (options?.durable === false) this.store.changedLazily();
    else await this.store.changed();
  }

  async find(id: string): Promise<(T & RecordMeta) | undefined> {
    const row = this.rows.get(id);
    return this.live(row) ? this.view(row) : undefined;
  }

  async consume(id: string): Promise<(T & RecordMeta) | undefined> {
    const row = this.rows.get(id);
    if (!this.live(row)) return undefined;
    const before = this.view(row);
    if (row.c === undefined) {
      row.c = Math.floor(now() / 1000);
      this.store.touch(this.name, id);
      await this.store.changed();
    }
    return before;
  }

  async destroy(id: string): Promise<void> {
    const row = this.rows.get(id);
    if (!row) return;
    this.remove(id, row);
    await this.store.changed();
  }

  remove(id: string, row: Row): void {
    this.rows.delete(id);
    this.unindex(id, row.p);
    this.store.touch(this.name, id);
  }

  row(id: string): Row | undefined {
    return this.rows.get(id);
  }

  private ids(index: string, value: string): string[] {
    const map = this.indexes.get(index);
    if (!map) throw new TypeError(`collection ${this.name} has no index ${index}`);
    return [...(map.get(value) ?? [])];
  }

  async findBy(index: string, value: string) {
    const out: Array<T & RecordMeta & { id: string }> = [];
    for (const id of this.ids(index, value)) {
      const row = this.rows.get(id);
      if (this.live(row)) out.push({ ...this.view(row), id });
    }
    return out;
  }

  async destroyBy(index: string, value: string): Promise<number> {
    const ids = this.ids(index, value);
    for (const id of ids) this.remove(id, this.rows.get(id)!);
    if (ids.length) await this.store.changed();
    return ids.length;
  }

  async all() {
    const out: Array<T & RecordMeta & { id: string }> = [];
    for (const [id, row] of this.rows) if (this.live(row)) out.push({ ...this.view(row), id });
    return out;
  }

  size(): number {
    return this.rows.size;
  }

  sweep(at: number): number {
    let removed = 0;
    for (const [id, row] of this.rows) {
      if (row.e !== undefined && row.e <= at) {
        this.remove(id, row);
        removed++;
      }
    }
    return removed;
  }

  dump(): Record<string, Row> {
    return Object.fromEntries(this.rows);
  }
}

export class LowdbStore implements Store {
  private readonly db: Low<FileShape>;
  private readonly collections = new Map<string, LowdbCollection<object>>();
  private loaded: FileShape = {};
  private pending: Promise<void> | undefined;
  private inFlight: Promise<void> = Promise.resolve();
  private timer: NodeJS.Timeout | undefined;
  private readonly release: () => void;
  private readonly file: string;
  private readonly journal: Journal<Row>;
  /** Records changed since the last commit, by collection. */
  private dirty = new Map<string, Set<string>>();
  private lazyTimer: NodeJS.Timeout | undefined;
  private readonly lazyCommitMs: number;
  private readonly minCompactBytes: number;
  private snapshotBytes = 0;
  /** Set when a sweep removed a large share of the records: the next commit writes a new snapshot. */
  private compactSoon = false;
  private writes = 0;
  private lastWriteMs = 0;
  private closed = false;

  private constructor(options: LowdbStoreOptions) {
    this.release = lockDataDir(options.dir, options.name);
    this.file = join(options.dir, `${options.name}.json`);
    this.db = new Low<FileShape>(new DurableJsonFile<FileShape>(this.file), {});
    this.journal = new Journal<Row>(join(options.dir, `${options.name}.journal`));
    this.lazyCommitMs = options.lazyCommitMs ?? 1000;
    this.minCompactBytes = options.minCompactBytes ?? 1024 * 1024;
  }

  /** Opens (and locks) the store in `dir`, loading what a previous run left. */
  static async open(options: LowdbStoreOptions): Promise<LowdbStore> {
    const store = new LowdbStore(options);
    let entries: Array<JournalEntry<Row>>;
    try {
      await store.db.read();
      entries = await store.journal.open();
    } catch (e) {
      await store.journal.close();
      store.release();
      throw e;
    }
    store.loaded = store.db.data ?? {};
    try {
      store.snapshotBytes = statSync(store.file).size;
    } catch {
      /* no snapshot yet */
    }
    // Replay the journal over the snapshot: each entry is a record's latest state.
    for (const { c, i, r } of entries) {
      const rows = (store.loaded[c] ??= {});
      if (r === null) delete rows[i];
      else rows[i] = r;
    }
    const interval = options.sweepIntervalMs ?? 30_000;
    if (interval > 0) {
      store.timer = setInterval(() => store.sweep(), interval);
      store.timer.unref();
    }
    return store;
  }

  collection<T extends object>(name: string, options: CollectionOptions = {}): Collection<T> {
    let c = this.collections.get(name);
    if (!c) {
      c = new LowdbCollection<object>(this, name, options);
      c.load(this.loaded[name] ?? {});
      delete this.loaded[name];
      this.collections.set(name, c);
    }
    return c as unknown as Collection<T>;
  }

  /** Notes that record `id` of `collection` changed (it goes into the next commit). */
  touch(collection: string, id: string): void {
    let ids = this.dirty.get(collection);
    if (!ids) this.dirty.set(collection, (ids = new Set()));
    ids.add(id);
  }

  /** Schedules a commit of what changed; resolves when the batch holding it is on disk. */
  changed(): Promise<void> {
    if (this.closed) return Promise.reject(new Error('store is closed'));
    if (!this.pending) {
      // The batch waits for the commit in flight, and gathers everything changed meanwhile.
      this.pending = this.inFlight.then(
        () =>
          new Promise<void>((resolve, reject) => {
            setImmediate(() => {
              this.pending = undefined;
              this.commit().then(resolve, reject);
            });
          }),
      );
      this.inFlight = this.pending.catch(() => undefined);
    }
    return this.pending;
  }

  /** For changes that may be lost in a crash: committed with the next batch, or within lazyCommitMs. */
  changedLazily(): void {
    if (this.closed || this.pending || this.lazyTimer) return;
    this.lazyTimer = setTimeout(() => {
      this.lazyTimer = undefined;
      if (!this.closed) this.changed().catch(() => undefined);
    }, this.lazyCommitMs);
    this.lazyTimer.unref();
  }

  private async commit(): Promise<void> {
    const started = performance.now();
    if (this.lazyTimer) {
      clearTimeout(this.lazyTimer);
      this.lazyTimer = undefined;
    }
    const dirty = this.dirty;
    this.dirty = new Map();
    const entries: Array<JournalEntry<Row>> = [];
    for (const [c, ids] of dirty) {
      const collection = this.collections.get(c)!;
      for (const i of ids) entries.push({ c, i, r: collection.row(i) ?? null });
    }
    await this.journal.append(entries);
    if (this.compactSoon || this.journal.size() > Math.max(this.minCompactBytes, this.snapshotBytes)) await this.compact();
    this.writes++;
    this.lastWriteMs = performance.now() - started;
  }

  /** Writes the whole state as the snapshot and empties the journal. Runs inside the commit chain. */
  private async compact(): Promise<void> {
    const data: FileShape = { ...this.loaded };
    for (const [name, c] of this.collections) data[name] = c.dump();
    this.db.data = data;
    await this.db.write();
    await this.journal.clear();
    this.compactSoon = false;
    try {
      this.snapshotBytes = statSync(this.file).size;
    } catch {
      /* just written */
    }
  }

  async flush(): Promise<void> {
    if (this.pending) await this.pending;
    await this.inFlight;
  }

  sweep(): number {
    const at = now();
    let removed = 0;
    let records = 0;
    for (const c of this.collections.values()) {
      removed += c.sweep(at);
      records += c.size();
    }
    // When a large share expired at once (a burst of requests ending), rewrite the snapshot so
    // the files shrink with what is live instead of carrying the dead records plus their deletions.
    if (removed > 0 && removed >= Math.max(100, records / 4)) this.compactSoon = true;
    if (removed && !this.closed) this.changed().catch(() => undefined);
    return removed;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    if (this.timer) clearInterval(this.timer);
    if (this.dirty.size) await this.changed();
    await this.flush();
    this.closed = true;
    if (this.lazyTimer) clearTimeout(this.lazyTimer);
    // Leave one self-contained snapshot behind (admin tools and backups read just that file).
    if (this.journal.size() > 0) await this.compact();
    await this.journal.close();
    this.release();
  }

  stats(): StoreStats {
    let records = 0;
    for (const c of this.collections.values()) records += c.size();
    let fileBytes = this.journal.size();
    try {
      fileBytes += statSync(this.file).size;
    } catch {
      /* not written yet */
    }
    return { records, writes: this.writes, lastWriteMs: this.lastWriteMs, fileBytes };
  }
}
