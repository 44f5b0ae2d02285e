/**
 * Guessing limits on user-code entry (RFC 8628 section 5.1): each browser gets a few free
 * mistakes, is then made to wait between tries, and after too many is refused for a while;
 * each network address has a larger budget against one guesser with many browsers.
 * Every refusal carries the seconds until the next try is allowed.
 * @see https://www.rfc-editor.org/rfc/rfc8628#section-5.1
 */
import { RateLimiter } from '../../shared/rate_limit.ts';
import { defaults } from '../defaults.ts';

/** Whether an attempt may go ahead now; when not, for how long it will still be refused. */
export interface GuessVerdict {
  readonly allowed: boolean;
  /** Seconds until the next attempt is allowed (0 when allowed now). */
  readonly retryAfter: number;
  /** `wait`: slowed down between tries; `blocked`: the limit was reached. */
  readonly reason?: 'wait' | 'blocked';
}

const seconds = (ms: number) => Math.max(1, Math.ceil(ms / 1000));

export class GuessLimit {
  // A limiter blocks on the hit after its max, so max-1 makes the max-th failure the one that blocks.
  private readonly browsers = new RateLimiter({
    windowMs: defaults.userCodeFailureWindow * 1000,
    max: defaults.userCodeMaxFailures - 1,
    blockMs: defaults.userCodeBlockTtl * 1000,
  });
  private readonly addresses = new RateLimiter({
    windowMs: defaults.userCodeFailureWindow * 1000,
    max: defaults.userCodeAddressMaxFailures - 1,
    blockMs: defaults.userCodeBlockTtl * 1000,
  });
  /** Browser key → epoch ms before which it must not try again (the slow-down phase). */
  private readonly notBefore = new Map<string, number>();

  /** Checks, without counting, whether `browser` at `address` may try a code now. */
  check(browser: string, address: string, now = Date.now()): GuessVerdict {
    for (const r of [this.browsers.check(browser, now), this.addresses.check(address, now)]) {
      // check() also reports "no hits left" without a block; only an actual block refuses.
      if (!r.allowed && r.retryAfterMs > 0) return { allowed: false, retryAfter: seconds(r.retryAfterMs), reason: 'blocked' };
    }
    const until = this.notBefore.get(browser);
    if (until !== undefined && until > now) return { allowed: false, retryAfter: seconds(until - now), reason: 'wait' };
    if (until !== undefined) this.notBefore.delete(browser);
    return { allowed: true, retryAfter: 0 };
  }

  /** Counts one wrong code; returns what the next attempt will face. */
  fail(browser: string, address: string, now = Date.now()): GuessVerdict {
    const byBrowser = this.browsers.hit(browser, now);
    const byAddress = this.addresses.hit(address, now);
    const blocked = [byBrowser, byAddress].filter((r) => !r.allowed).map((r) => r.retryAfterMs);
    if (blocked.length) return { allowed: false, retryAfter: seconds(Math.max(...blocked)), reason: 'blocked' };
    const failures = defaults.userCodeMaxFailures - 1 - byBrowser.remaining;
    if (failures <= defaults.userCodeFreeFailures) return { allowed: true, retryAfter: 0 };
    this.sweep(now);
    this.notBefore.set(browser, now + defaults.userCodeFailureDelay * 1000);
    return { allowed: false, retryAfter: defaults.userCodeFailureDelay, reason: 'wait' };
  }

  private sweep(now: number): void {
    if (this.notBefore.size < 10_000) return;
    for (const [k, until] of this.notBefore) if (until <= now) this.notBefore.delete(k);
  }
}

/** Words for "in N seconds/minutes" in refusal messages. */
export function inTime(secondsLeft: number): string {
  if (secondsLeft < 60) return `${secondsLeft} second${secondsLeft === 1 ? '' : 's'}`;
  const m = Math.ceil(secondsLeft / 60);
  return `${m} minute${m === 1 ? '' : 's'}`;
}
