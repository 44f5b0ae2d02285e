/**
 * A small in-memory limiter for places where guessing is possible (passwords, user codes,
 * CIBA requests per user). Fixed window per key; once `max` is reached the key is blocked for
 * `blockMs`. Memory is bounded by the keys active in the last window.
 */
export interface RateLimitOptions {
  /** Window length in ms. */
  readonly windowMs: number;
  /** Hits allowed per window. */
  readonly max: number;
  /** How long a key stays blocked after reaching max (default: the rest of the window). */
  readonly blockMs?: number;
}

export interface RateLimitResult {
  readonly allowed: boolean;
  /** Hits left in the window after this one. */
  readonly remaining: number;
  /** When allowed is false: ms until the key may try again. */
  readonly retryAfterMs: number;
}

interface Entry {
  start: number;
  count: number;
  blockedUntil: number;
}

export class RateLimiter {
  private readonly entries = new Map<string, Entry>();
  private lastSweep = Date.now();
  constructor(private readonly options: RateLimitOptions) {}

  /** Counts one attempt for `key`. */
  hit(key: string, now = Date.now()): RateLimitResult {
    this.sweep(now);
    let e = this.entries.get(key);
    if (e && e.blockedUntil > now) return { allowed: false, remaining: 0, retryAfterMs: e.blockedUntil - now };
    if (!e || now - e.start >= this.options.windowMs) {
      e = { start: now, count: 0, blockedUntil: 0 };
      this.entries.set(key, e);
    }
    e.count++;
    if (e.count > this.options.max) {
      e.blockedUntil = now + (this.options.blockMs ?? this.options.windowMs - (now - e.start));
      return { allowed: false, remaining: 0, retryAfterMs: e.blockedUntil - now };
    }
    return { allowed: true, remaining: this.options.max - e.count, retryAfterMs: 0 };
  }

  /** Whether `key` is blocked now, without counting. */
  check(key: string, now = Date.now()): RateLimitResult {
    const e = this.entries.get(key);
    if (e && e.blockedUntil > now) return { allowed: false, remaining: 0, retryAfterMs: e.blockedUntil - now };
    const used = e && now - e.start < this.options.windowMs ? e.count : 0;
    return { allowed: used < this.options.max, remaining: Math.max(0, this.options.max - used), retryAfterMs: 0 };
  }

  /** Forgets `key` (e.g. after a successful login). */
  reset(key: string): void {
    this.entries.delete(key);
  }

  private sweep(now: number): void {
    if (now - this.lastSweep < this.options.windowMs) return;
    this.lastSweep = now;
    for (const [k, e] of this.entries) if (e.blockedUntil <= now && now - e.start >= this.options.windowMs) this.entries.delete(k);
  }
}
