/**
 * The embedded default Store: records live in memory; on disk they are a lowdb snapshot
 * (`<name>.json`, written atomically and fsynced by durable-json-file.ts) plus an append-only
 * journal (`<name>.journal`, journal.ts). Writes are group-committed: every change made in the
 * same turn of the event loop (and while a commit is in flight) goes into one journal append of
 * just the changed records, fdatasynced, and durable changes resolve only after it. When the
 * journal outgrows the snapshot, the snapshot is rewritten, so the cost of a commit follows what
 * it changed and the files follow what is live.
 *
 * Compaction does not hold up commits, nor the event loop: the journal is retired (renamed to
 * `<name>.journal.old`, a new one started: a few milliseconds inside the commit chain), and a
 * worker thread folds the retired journal into the snapshot on disk (snapshot_fold.ts: parse,
 * replay, stringify, write), while commits go on into the new journal. Building that JSON on the
 * event loop took 4 µs a record (0.4 s for 100,000), during which durable writes fell to a tenth
 * of their rate and waited up to 0.4 s (scratch measurement, 50 writers). Once the snapshot is
 * durable the retired journal is deleted. A restart replays snapshot, retired journal (if still
 * there), then journal: every entry is a record's whole state, so replaying a retired journal
 * over a snapshot that already holds it changes nothing.
 */
import { Low } from 'lowdb';
import { existsSync, statSync } from 'node:fs';
import { unlink } from 'node:fs/promises';
import { Worker } from 'node:worker_threads';
import { join } from 'node:path';
import type { Collection, CollectionOptions, Store, StoreHealth, StoreStats } from './store.ts';
import { lockDataDir } from './lock.ts';
import { Journal, readEntries, replayEntries, type JournalEntry } from './journal.ts';
import { DurableJsonFile } from './durable-json-file.ts';
import { foldJournal, type SnapshotShape } from './snapshot_fold.ts';
import { LowdbCollection, type Row, type RowHost } from './lowdb-collection.ts';
import { LowdbCounters, LowdbLeases, LowdbScheduler, LowdbSlots } from './lowdb-primitives.ts';
import { LocalPubSub } from './local-pubsub.ts';

/** The journal is folded into a new snapshot once it is larger than this and than the snapshot (`NOD_STORE_COMPACT_BYTES`). */
export const DEFAULT_COMPACT_BYTES = 1024 * 1024;

/**
 * Up to this many bytes (snapshot plus retired journal) a compaction folds them on the event
 * loop: a few milliseconds, less than starting a worker thread takes (about 100 ms here), which
 * would let a busy journal grow well past its threshold meanwhile.
 */
export const DEFAULT_INLINE_FOLD_BYTES = 1024 * 1024;

/** What a finished compaction reports. */
export interface CompactionDone {
  /** Size of the new snapshot. */
  readonly bytes: number;
  /** From the start of the fold to the retired journal's deletion. */
  readonly ms: number;
  /** Where the fold ran. */
  readonly in: 'event loop' | 'worker';
}

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
  /** Told when the journal ended in a torn line (a crash mid-append) that was dropped on open. */
  readonly onTornTail?: (file: string, bytes: number) => void;
  /** Told when writing a new snapshot failed (nothing is lost: the retired journal stays and a later commit tries again). */
  readonly onCompactionFailed?: (file: string, error: Error) => void;
  /** Told when a new snapshot is on disk (and the retired journal deleted). */
  readonly onCompacted?: (file: string, done: CompactionDone) => void;
  /** How long after a failed snapshot write the next is tried, ms. Default 10 s. */
  readonly compactionRetryMs?: number;
  /** Snapshot plus retired journal up to this many bytes are folded on the event loop, larger ones in a worker thread. Default 1 MiB. */
  readonly inlineFoldBytes?: number;
}

export class LowdbStore implements Store, RowHost {
  readonly kind = 'lowdb' as const;
  readonly created: boolean;
  readonly counters: LowdbCounters;
  readonly slots: LowdbSlots;
  readonly leases: LowdbLeases;
  readonly scheduler: LowdbScheduler;
  readonly pubsub = new LocalPubSub();
  /** The last revision handed out (above every revision in the files). */
  private revision = 0;
  private readonly db: Low<SnapshotShape>;
  private readonly collections = new Map<string, LowdbCollection<object>>();
  private loaded: SnapshotShape = {};
  private pending: Promise<void> | undefined;
  private inFlight: Promise<void> = Promise.resolve();
  /** A commit is writing (from its start to its end, compaction start included). */
  private committing = false;
  /** A caller waits for the next batch with all its changes made: it starts as soon as it may. */
  private urgent = false;
  /** Starts the next batch now; set while it only waits for its turn of the event loop. */
  private startPending: (() => void) | undefined;
  private timer: NodeJS.Timeout | undefined;
  private readonly release: () => void;
  private readonly file: string;
  private readonly journal: Journal<Row>;
  /** Where the journal goes while its entries are written into a new snapshot. */
  private readonly retired: string;
  /** The snapshot being written in the background, if one is. */
  private compacting: Promise<void> | undefined;
  /** A retired journal is on disk (a compaction has not finished, or failed): the next one must not retire another. */
  private retiredExists = false;
  /** After a failed snapshot write, the next try waits until then (epoch ms). */
  private compactAgainAt = 0;
  /** Records changed since the last commit, by collection. */
  private dirty = new Map<string, Set<string>>();
  private lazyTimer: NodeJS.Timeout | undefined;
  private readonly lazyCommitMs: number;
  private readonly minCompactBytes: number;
  private readonly onCompactionFailed: ((file: string, error: Error) => void) | undefined;
  private readonly onCompacted: ((file: string, done: CompactionDone) => void) | undefined;
  private readonly compactionRetryMs: number;
  private readonly inlineFoldBytes: number;
  private snapshotBytes = 0;
  /** Set when a sweep removed a large share of the records: the next commit writes a new snapshot. */
  private compactSoon = false;
  private writes = 0;
  private lastWriteMs = 0;
  private closed = false;

  private constructor(options: LowdbStoreOptions) {
    this.release = lockDataDir(options.dir, options.name);
    this.file = join(options.dir, `${options.name}.json`);
    const journal = join(options.dir, `${options.name}.journal`);
    this.retired = `${journal}.old`;
    this.created = !existsSync(this.file) && !existsSync(journal) && !existsSync(this.retired);
    this.db = new Low<SnapshotShape>(new DurableJsonFile<SnapshotShape>(this.file), {});
    this.journal = new Journal<Row>(journal);
    this.lazyCommitMs = options.lazyCommitMs ?? 1000;
    this.minCompactBytes = options.minCompactBytes ?? DEFAULT_COMPACT_BYTES;
    this.onCompactionFailed = options.onCompactionFailed;
    this.onCompacted = options.onCompacted;
    this.compactionRetryMs = options.compactionRetryMs ?? COMPACTION_RETRY_MS;
    this.inlineFoldBytes = options.inlineFoldBytes ?? DEFAULT_INLINE_FOLD_BYTES;
    const internal = (name: string) => this.collection<object>(name) as LowdbCollection<object>;
    this.counters = new LowdbCounters(internal('~counter'));
    this.slots = new LowdbSlots(internal('~slots'));
    this.leases = new LowdbLeases(internal('~lease'));
    this.scheduler = new LowdbScheduler(internal);
  }

  /** Opens (and locks) the store in `dir`, loading what a previous run left. */
  static async open(options: LowdbStoreOptions): Promise<LowdbStore> {
    const store = new LowdbStore(options);
    let entries: Array<JournalEntry<Row>>;
    try {
      await store.db.read();
      // A retired journal left by a compaction that did not finish: its entries come first.
      store.retiredExists = existsSync(store.retired);
      const retired = store.retiredExists ? (await readEntries<Row>(store.retired)).entries : [];
      entries = [...retired, ...(await store.journal.open())];
    } catch (e) {
      await store.journal.close();
      store.release();
      throw e;
    }
    if (store.journal.droppedBytes > 0) options.onTornTail?.(join(options.dir, `${options.name}.journal`), store.journal.droppedBytes);
    store.loaded = store.db.data ?? {};
    try {
      store.snapshotBytes = statSync(store.file).size;
    } catch {
      /* no snapshot yet */
    }
    replayEntries(store.loaded, entries);
    // Revisions handed out from now on are above every stored one (collections load lazily).
    for (const rows of Object.values(store.loaded)) for (const row of Object.values(rows)) store.revision = Math.max(store.revision, row.r ?? 0);
    // One process holds a lowdb store: a claim found now was left by one that died, so its item is due again at once.
    for (const [name, rows] of Object.entries(store.loaded)) {
      if (!name.startsWith('~queue:')) continue;
      for (const row of Object.values(rows)) {
        const item = row.p as { at: number; token?: string };
        if (item.token === undefined) continue;
        delete item.token;
        item.at = Math.min(item.at, Date.now());
      }
    }
    const interval = options.sweepIntervalMs ?? 30_000;
    if (interval > 0) {
      store.timer = setInterval(() => store.sweepNow(), interval);
      store.timer.unref();
    }
    return store;
  }

  nextRevision(): number {
    return ++this.revision;
  }

  recordChange(collection: string, id: string, durable: boolean): Promise<void> {
    this.touch(collection, id);
    if (durable) return this.changed();
    this.changedLazily();
    return Promise.resolve();
  }

  collection<T extends object>(name: string, options: CollectionOptions = {}): Collection<T> {
    let c = this.collections.get(name);
    if (!c) {
      if (this.closed) throw new Error('store is closed');
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
    if (!ids) {
      ids = new Set();
      this.dirty.set(collection, ids);
    }
    ids.add(id);
  }

  /**
   * Schedules a commit of what changed; resolves when the batch holding it is on disk. The batch
   * gathers what else changes until the next turn of the event loop (or until the commit in
   * flight is done). `now`: the caller has made all its changes and waits for them: the batch
   * starts at once when no commit is in flight (so that its write overlaps what the caller does
   * next, e.g. a token endpoint signing its tokens), else right after the one in flight, not a
   * turn of the event loop later.
   */
  changed(now = false): Promise<void> {
    if (this.closed) return Promise.reject(new Error('store is closed'));
    if (now) {
      this.urgent = true;
      if (!this.pending && !this.committing) return this.commitNow();
    }
    const batch = this.pending ?? this.nextBatch();
    if (now) this.startPending?.();
    return batch;
  }

  /** Starts a commit of what changed at once (nothing is in flight). */
  private commitNow(): Promise<void> {
    this.urgent = false;
    const done = this.commit();
    this.inFlight = done.catch(() => undefined);
    return done;
  }

  /** The batch after the commit in flight: it starts on the next turn of the event loop, or at once when urgent. */
  private nextBatch(): Promise<void> {
    const batch = this.inFlight.then(
      () =>
        new Promise<void>((resolve, reject) => {
          const start = () => {
            if (this.startPending !== start) return;
            this.startPending = undefined;
            this.pending = undefined;
            this.urgent = false;
            this.commit().then(resolve, reject);
          };
          this.startPending = start;
          if (this.urgent) start();
          else setImmediate(start);
        }),
    );
    this.pending = batch;
    this.inFlight = batch.catch(() => undefined);
    return batch;
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
    this.committing = true;
    try {
      await this.commitDirty();
    } finally {
      this.committing = false;
    }
  }

  private async commitDirty(): Promise<void> {
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
    try {
      await this.journal.append(entries);
    } catch (e) {
      // Nothing of this batch is known to be on disk: the next commit writes these records again
      // (their state then), so a later durable write still carries what was changed before it.
      for (const [c, ids] of dirty) for (const i of ids) this.touch(c, i);
      throw e;
    }
    const due = this.retiredExists || this.compactSoon || this.journal.size() > Math.max(this.minCompactBytes, this.snapshotBytes);
    if (due && !this.compacting && Date.now() >= this.compactAgainAt) await this.startCompaction();
    this.writes++;
    this.lastWriteMs = performance.now() - started;
  }

  /**
   * Starts a compaction from inside the commit chain: retires the journal (unless a retired one
   * is still on disk: then that one is folded in, and the journal goes on), then leaves the new
   * snapshot to be written behind the commits (`compacting`). A failure of either part leaves the
   * retired journal in place (a restart still replays it) and is tried again by a later commit;
   * it never fails the commit.
   */
  private async startCompaction(): Promise<void> {
    try {
      if (!this.retiredExists) {
        // Set first: however far the rotation gets, no later compaction may retire a journal
        // over this one (at worst it writes a snapshot and deletes a retired file that is not there).
        this.retiredExists = true;
        await this.journal.rotate(this.retired);
      }
    } catch (e) {
      this.compactionFailed(e as Error);
      return;
    }
    this.compacting = this.writeSnapshot().finally(() => (this.compacting = undefined));
  }

  /**
   * Folds the retired journal into the snapshot on disk (snapshot_fold.ts; in a worker thread
   * unless both are small), then deletes the retired journal it covers.
   */
  private async writeSnapshot(): Promise<void> {
    const started = performance.now();
    let done: CompactionDone | undefined;
    try {
      const small = this.snapshotBytes + sizeOf(this.retired) <= this.inlineFoldBytes;
      this.snapshotBytes = small ? await foldJournal(this.file, this.retired) : await foldInWorker(this.file, this.retired);
      await unlink(this.retired).catch((e: NodeJS.ErrnoException) => {
        if (e.code !== 'ENOENT') throw e;
      });
      this.retiredExists = false;
      this.compactSoon = false;
      done = { bytes: this.snapshotBytes, ms: Math.round(performance.now() - started), in: small ? 'event loop' : 'worker' };
    } catch (e) {
      this.compactionFailed(e as Error);
    }
    if (done) this.onCompacted?.(this.file, done);
  }

  /** Nothing is lost (the retired journal stays and is replayed on open); a commit after a pause tries again. */
  private compactionFailed(e: Error): void {
    this.compactAgainAt = Date.now() + this.compactionRetryMs;
    this.onCompactionFailed?.(this.file, e);
  }

  /**
   * Writes a snapshot of everything committed and waits for it (closing: one self-contained file
   * stays behind). A retired journal left by a compaction that failed is folded in first, then the
   * journal. When a fold fails, the files stay as they are: a restart replays them.
   */
  private async compact(): Promise<void> {
    await this.compacted();
    if (this.retiredExists) {
      await this.startCompaction();
      await this.compacted();
    }
    if (!this.retiredExists && this.journal.size() > 0) {
      await this.startCompaction();
      await this.compacted();
    }
  }

  /** Resolves when no snapshot is being written (tests, and close). */
  async compacted(): Promise<void> {
    while (this.compacting) await this.compacting;
  }

  async flush(): Promise<void> {
    // Changes written with durable: false wait for no timer here.
    if (this.dirty.size) await this.changed(true);
    else if (this.pending) await this.pending;
    await this.inFlight;
  }

  async sweep(): Promise<number> {
    return this.sweepNow();
  }

  /** Removes expired rows from memory now and commits their removal; returns how many. */
  sweepNow(): number {
    const at = Date.now();
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

  async ready(): Promise<StoreHealth> {
    return this.closed ? { ok: false, kind: 'lowdb', detail: 'the store is closed' } : { ok: true, kind: 'lowdb', latencyMs: 0 };
  }

  async close(): Promise<void> {
    if (this.closed) return;
    if (this.timer) clearInterval(this.timer);
    this.pubsub.clear();
    if (this.dirty.size) await this.changed();
    await this.flush();
    this.closed = true;
    if (this.lazyTimer) clearTimeout(this.lazyTimer);
    // Leave one self-contained snapshot behind (admin tools and backups read just that file).
    await this.compacted();
    if (this.journal.size() > 0 || this.retiredExists) await this.compact();
    await this.journal.close();
    this.release();
  }

  stats(): StoreStats {
    // Records of the collections; the rows of counters, slots, leases and queues (`~` names) are not records.
    let records = 0;
    for (const [name, c] of this.collections) if (!name.startsWith('~')) records += c.size();
    let fileBytes = this.journal.size();
    for (const file of [this.file, this.retired]) {
      try {
        fileBytes += statSync(file).size;
      } catch {
        /* not written yet, or no compaction under way */
      }
    }
    return { kind: 'lowdb', records, writes: this.writes, lastWriteMs: this.lastWriteMs, fileBytes };
  }
}

/** How long after a failed snapshot write the next is tried, ms. */
const COMPACTION_RETRY_MS = 10_000;

/** A file's size in bytes; 0 when it is not there (a retired journal whose rename never happened). */
function sizeOf(file: string): number {
  try {
    return statSync(file).size;
  } catch {
    return 0;
  }
}

const WORKER = new URL('./snapshot_worker.mjs', import.meta.url);

/** Runs foldJournal in a worker thread of its own; resolves with the new snapshot's size in bytes. */
function foldInWorker(file: string, retired: string): Promise<number> {
  return new Promise((resolve, reject) => {
    // No execArgv of ours: the worker registers tsx itself, whichever way this process loaded it.
    const worker = new Worker(WORKER, { workerData: { file, retired }, execArgv: [] });
    let bytes: number | undefined;
    worker.once('message', (m: { bytes: number }) => (bytes = m.bytes));
    worker.once('error', reject);
    worker.once('exit', (code) =>
      bytes !== undefined ? resolve(bytes) : reject(new Error(`the snapshot worker exited (${code}) without writing the snapshot`)),
    );
  });
}
