/**
 * Counters, slots, leases and the scheduler of the embedded store, kept as rows of internal
 * collections (names starting with `~`), so they expire, are swept and survive a restart like
 * records. Each operation reads and writes memory in one synchronous step (atomic in this
 * process). Counters, slots and leases are written lazily (losing the last second of them in a
 * crash only relaxes a limit); scheduled items are durable, claims lazy (a lost claim makes the
 * item due again), completions durable unless asked otherwise (a lost one makes the item due again).
 */
import { randomId } from '../random.ts';
import type { LowdbCollection, Row } from './lowdb-collection.ts';
import type { ClaimedItem, CounterState, Counters, HitOptions, Lease, Leases, Reservation, ScheduleOptions, Scheduler, Slots, WriteOptions } from './store.ts';
import { defined } from '../defined.ts';
import { DueIndex } from './due-index.ts';

const now = () => Date.now();
const token = () => randomId(16);

/** Gives the primitives their internal collections. */
export type InternalCollections = (name: string) => LowdbCollection<object>;

function state(row: Row | undefined): CounterState {
  if (!row) return { count: 0, resetInMs: 0 };
  return { count: (row.p.n as number) ?? 0, resetInMs: row.e !== undefined ? Math.max(0, row.e - now()) : 0 };
}

export class LowdbCounters implements Counters {
  constructor(private readonly rows: LowdbCollection<object>) {}

  async hit(key: string, options: HitOptions = {}): Promise<CounterState> {
    const at = now();
    const row = this.rows.liveRow(key);
    const count = ((row?.p.n as number | undefined) ?? 0) + 1;
    let e = row ? row.e : options.windowMs !== undefined ? at + options.windowMs : undefined;
    if (options.limit !== undefined && options.blockMs !== undefined && count === options.limit + 1) e = at + options.blockMs;
    const next: Row = { p: { n: count }, r: 0, ...defined({ e }) };
    void this.rows.setRow(key, next, false);
    return state(next);
  }

  async peek(key: string): Promise<CounterState> {
    return state(this.rows.liveRow(key));
  }

  async reset(key: string): Promise<void> {
    void this.rows.removeRow(key, false);
  }

  async stamp(key: string, ttlMs: number): Promise<number | undefined> {
    const at = now();
    const previous = this.rows.liveRow(key)?.p.t as number | undefined;
    void this.rows.setRow(key, { p: { t: at }, e: at + ttlMs, r: 0 }, false);
    return previous;
  }
}

export class LowdbSlots implements Slots {
  constructor(private readonly rows: LowdbCollection<object>) {}

  /** The live members of `key` (member → until), expired ones dropped. */
  private members(key: string): Record<string, number> {
    const at = now();
    const all = (this.rows.liveRow(key)?.p.m ?? {}) as Record<string, number>;
    return Object.fromEntries(Object.entries(all).filter(([, until]) => until > at));
  }

  private save(key: string, members: Record<string, number>): void {
    const ends = Object.values(members);
    if (ends.length === 0) void this.rows.removeRow(key, false);
    else void this.rows.setRow(key, { p: { m: members }, e: Math.max(...ends), r: 0 }, false);
  }

  async reserve(key: string, member: string, options: { limit: number; until: number }): Promise<Reservation> {
    const members = this.members(key);
    const active = Object.keys(members).length;
    if (member in members || active < options.limit) {
      members[member] = options.until;
      this.save(key, members);
      return { reserved: true, active: Object.keys(members).length };
    }
    return { reserved: false, active, nextFreeAt: Math.min(...Object.values(members)) };
  }

  async setUntil(key: string, member: string, until: number): Promise<void> {
    const members = this.members(key);
    if (!(member in members)) return;
    if (until <= now()) delete members[member];
    else members[member] = until;
    this.save(key, members);
  }

  async release(key: string, member: string): Promise<void> {
    const members = this.members(key);
    if (!(member in members)) return;
    delete members[member];
    this.save(key, members);
  }

  async count(key: string): Promise<number> {
    return Object.keys(this.members(key)).length;
  }
}

export class LowdbLeases implements Leases {
  constructor(private readonly rows: LowdbCollection<object>) {}

  async acquire(name: string, ttlMs: number): Promise<Lease | undefined> {
    if (this.rows.liveRow(name)) return undefined;
    const lease = { name, token: token() };
    void this.rows.setRow(name, { p: { t: lease.token }, e: now() + ttlMs, r: 0 }, false);
    return lease;
  }

  async renew(lease: Lease, ttlMs: number): Promise<boolean> {
    if (this.rows.liveRow(lease.name)?.p.t !== lease.token) return false;
    void this.rows.setRow(lease.name, { p: { t: lease.token }, e: now() + ttlMs, r: 0 }, false);
    return true;
  }

  async release(lease: Lease): Promise<boolean> {
    if (this.rows.liveRow(lease.name)?.p.t !== lease.token) return false;
    void this.rows.removeRow(lease.name, false);
    return true;
  }
}

/** A scheduled item as stored: due time, payload, the current claim and its count. */
interface Item {
  at: number;
  payload?: unknown;
  token?: string;
  attempts: number;
}

export class LowdbScheduler implements Scheduler {
  /** Each queue's items by due time (built from its rows when the queue is first used; every change of its rows goes through here). */
  private readonly indexes = new Map<string, DueIndex>();

  constructor(private readonly queues: InternalCollections) {}

  private rows(queue: string): LowdbCollection<object> {
    return this.queues(`~queue:${queue}`);
  }

  private index(queue: string): DueIndex {
    let index = this.indexes.get(queue);
    if (!index) {
      index = new DueIndex();
      for (const [id, row] of this.rows(queue).rows) index.set(id, (row.p as unknown as Item).at);
      this.indexes.set(queue, index);
    }
    return index;
  }

  /** Writes item `id` of `queue` and files it under its due time. */
  private put(queue: string, id: string, item: Item, durable: boolean): Promise<void> {
    this.index(queue).set(id, item.at);
    return this.rows(queue).setRow(id, { p: item as unknown as Record<string, unknown>, r: 0 }, durable);
  }

  private remove(queue: string, id: string, durable: boolean): Promise<void> {
    this.index(queue).delete(id);
    return this.rows(queue).removeRow(id, durable);
  }

  private held(item: ClaimedItem): Item | undefined {
    const stored = this.rows(item.queue).liveRow(item.id)?.p as Item | undefined;
    return stored?.token === item.token ? stored : undefined;
  }

  async schedule(queue: string, id: string, at: number, payload?: unknown, options?: ScheduleOptions): Promise<void> {
    const durable = this.put(queue, id, { at, attempts: 0, ...defined({ payload }) }, true);
    options?.onClaimable?.();
    await durable;
  }

  async cancel(queue: string, id: string): Promise<boolean> {
    if (!this.rows(queue).row(id)) return false;
    await this.remove(queue, id, true);
    return true;
  }

  async claim(queue: string, options: { limit: number; leaseMs: number }): Promise<ClaimedItem[]> {
    const at = now();
    const rows = this.rows(queue);
    const index = this.index(queue);
    const due: Array<[string, Item]> = [];
    // Taken off the index first, filed under their claim's end afterwards: none comes up twice.
    for (let first = index.first(); first && first.at <= at && due.length < options.limit; first = index.first()) {
      const row = rows.row(first.id);
      index.delete(first.id);
      if (row) due.push([first.id, row.p as unknown as Item]);
    }
    return due.map(([id, item]) => {
      const claimed: Item = { ...item, token: token(), attempts: item.attempts + 1, at: at + options.leaseMs };
      void this.put(queue, id, claimed, false);
      return { queue, id, payload: item.payload, attempts: claimed.attempts, dueAt: item.at, token: claimed.token! };
    });
  }

  async complete(item: ClaimedItem, options?: Pick<WriteOptions, 'durable'>): Promise<boolean> {
    if (!this.held(item)) return false;
    await this.remove(item.queue, item.id, options?.durable !== false);
    return true;
  }

  async retry(item: ClaimedItem, at: number): Promise<boolean> {
    const held = this.held(item);
    if (!held) return false;
    const { token: _t, ...rest } = held;
    await this.put(item.queue, item.id, { ...rest, at }, true);
    return true;
  }

  async extend(item: ClaimedItem, leaseMs: number): Promise<boolean> {
    const held = this.held(item);
    if (!held) return false;
    void this.put(item.queue, item.id, { ...held, at: now() + leaseMs }, false);
    return true;
  }

  async next(queue: string): Promise<number | undefined> {
    return this.index(queue).first()?.at;
  }
}
