/**
 * Counters, slots, leases and the scheduler on Redis: each operation is one command (SET NX PX,
 * SET PX GET, ZCOUNT) or one Lua script (scripts.ts), so it is atomic across every node.
 */
import { randomId } from '../../random.ts';
import type { ClaimedItem, CounterState, Counters, HitOptions, Lease, Leases, Reservation, ScheduleOptions, Scheduler, Slots, WriteOptions } from '../store.ts';
import type { RedisConnection } from './connection.ts';

const token = () => randomId(16);
const opt = (n: number | undefined) => (n === undefined ? '' : String(Math.max(1, Math.round(n))));
const state = ([count, pttl]: [number, number]): CounterState => ({ count: Number(count), resetInMs: Math.max(0, Number(pttl)) });

export class RedisCounters implements Counters {
  constructor(
    private readonly conn: RedisConnection,
    private readonly key: (name: string) => string,
  ) {}

  async hit(key: string, options: HitOptions = {}): Promise<CounterState> {
    const reply = (await this.conn.script('nodHit', this.key(key), opt(options.windowMs), opt(options.limit), opt(options.blockMs))) as [number, number];
    return state(reply);
  }

  async peek(key: string): Promise<CounterState> {
    return state((await this.conn.script('nodPeek', this.key(key))) as [number, number]);
  }

  async reset(key: string): Promise<void> {
    await this.conn.run((c) => c.del(this.key(key)));
  }

  async stamp(key: string, ttlMs: number): Promise<number | undefined> {
    const previous = await this.conn.run((c) => c.set(this.key(key), String(Date.now()), 'PX', Math.max(1, Math.round(ttlMs)), 'GET'));
    return previous === null ? undefined : Number(previous);
  }
}

export class RedisSlots implements Slots {
  constructor(
    private readonly conn: RedisConnection,
    private readonly key: (name: string) => string,
  ) {}

  async reserve(key: string, member: string, options: { limit: number; until: number }): Promise<Reservation> {
    const [reserved, active, next] = (await this.conn.script('nodReserve', this.key(key), member, Math.round(options.until), options.limit, Date.now())) as [
      number,
      number,
      string,
    ];
    return { reserved: reserved === 1, active: Number(active), ...(next !== '' ? { nextFreeAt: Number(next) } : {}) };
  }

  async setUntil(key: string, member: string, until: number): Promise<void> {
    await this.conn.script('nodSetUntil', this.key(key), member, Math.round(until), Date.now());
  }

  async release(key: string, member: string): Promise<void> {
    await this.conn.run((c) => c.zrem(this.key(key), member));
  }

  async count(key: string): Promise<number> {
    return this.conn.run((c) => c.zcount(this.key(key), `(${Date.now()}`, '+inf'));
  }
}

export class RedisLeases implements Leases {
  constructor(
    private readonly conn: RedisConnection,
    private readonly key: (name: string) => string,
  ) {}

  async acquire(name: string, ttlMs: number): Promise<Lease | undefined> {
    const lease = { name, token: token() };
    const ok = await this.conn.run((c) => c.set(this.key(name), lease.token, 'PX', Math.max(1, Math.round(ttlMs)), 'NX'));
    return ok === 'OK' ? lease : undefined;
  }

  async renew(lease: Lease, ttlMs: number): Promise<boolean> {
    return (await this.conn.script('nodRenew', this.key(lease.name), lease.token, Math.max(1, Math.round(ttlMs)))) === 1;
  }

  async release(lease: Lease): Promise<boolean> {
    return (await this.conn.script('nodRelease', this.key(lease.name), lease.token)) === 1;
  }
}

export class RedisScheduler implements Scheduler {
  constructor(
    private readonly conn: RedisConnection,
    private readonly key: (name: string) => string,
  ) {}

  /** The four keys of a queue: due times, payloads, claim tokens, attempts. */
  private keys(queue: string): [string, string, string, string] {
    return [this.key(`${queue}:due`), this.key(`${queue}:payload`), this.key(`${queue}:token`), this.key(`${queue}:attempts`)];
  }

  async schedule(queue: string, id: string, at: number, payload?: unknown, options?: ScheduleOptions): Promise<void> {
    await this.conn.script('nodSchedule', ...this.keys(queue), id, Math.round(at), payload === undefined ? '' : JSON.stringify(payload));
    options?.onClaimable?.();
  }

  async cancel(queue: string, id: string): Promise<boolean> {
    return (await this.conn.script('nodCancel', ...this.keys(queue), id)) === 1;
  }

  async claim(queue: string, options: { limit: number; leaseMs: number }): Promise<ClaimedItem[]> {
    const tokens = Array.from({ length: options.limit }, token);
    const rows = (await this.conn.script('nodClaim', ...this.keys(queue), Date.now(), options.limit, Math.round(options.leaseMs), ...tokens)) as Array<
      [string, string, number, string, string]
    >;
    return rows.map(([id, payload, attempts, due, t]) => ({
      queue,
      id,
      payload: payload === '' ? undefined : JSON.parse(payload),
      attempts: Number(attempts),
      dueAt: Number(due),
      token: t,
    }));
  }

  /** One script, durable when it answers: `durable: false` changes nothing here. */
  async complete(item: ClaimedItem, _options?: Pick<WriteOptions, 'durable'>): Promise<boolean> {
    return (await this.conn.script('nodComplete', ...this.keys(item.queue), item.id, item.token)) === 1;
  }

  async retry(item: ClaimedItem, at: number): Promise<boolean> {
    const [due, , tokens] = this.keys(item.queue);
    return (await this.conn.script('nodMove', due, tokens, item.id, item.token, Math.round(at), '1')) === 1;
  }

  async extend(item: ClaimedItem, leaseMs: number): Promise<boolean> {
    const [due, , tokens] = this.keys(item.queue);
    return (await this.conn.script('nodMove', due, tokens, item.id, item.token, Date.now() + Math.round(leaseMs), '0')) === 1;
  }

  async next(queue: string): Promise<number | undefined> {
    const [, score] = await this.conn.run((c) => c.zrange(this.keys(queue)[0], '0', '0', 'WITHSCORES'));
    return score === undefined ? undefined : Number(score);
  }
}
