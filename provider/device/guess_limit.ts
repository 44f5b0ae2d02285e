/**
 * Guessing limits on user-code entry (RFC 8628 section 5.1): each browser gets a few free
 * mistakes, is then made to wait between tries, and after too many is refused for a while;
 * each network address has a larger budget against one guesser with many browsers.
 * Every refusal carries the seconds until the next try is allowed.
 * @see https://www.rfc-editor.org/rfc/rfc8628#section-5.1
 */
import { createHash } from 'node:crypto';
import { limitAddress } from '../../shared/http/limit_address.ts';
import type { CounterState, Counters } from '../../shared/store/store.ts';
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
/** Browser keys are CSRF tokens: only a hash of them goes into the store. */
const hashed = (browser: string) => createHash('sha256').update(browser).digest('base64url').slice(0, 22);
const keys = (browser: string, address: string) => {
  const b = hashed(browser);
  return { browser: `device-guess:browser:${b}`, address: `device-guess:address:${limitAddress(address)}`, wait: `device-guess:wait:${b}` };
};
// The hit that goes past `limit` starts the block, so limit = max - 1 makes the max-th failure the one that blocks.
const browserLimit = { windowMs: defaults.userCodeFailureWindow * 1000, limit: defaults.userCodeMaxFailures - 1, blockMs: defaults.userCodeBlockTtl * 1000 };
const addressLimit = {
  windowMs: defaults.userCodeFailureWindow * 1000,
  limit: defaults.userCodeAddressMaxFailures - 1,
  blockMs: defaults.userCodeBlockTtl * 1000,
};

/** Ms until the latest block of the two counters ends, or undefined when neither is blocked. */
function blockedFor(byBrowser: CounterState, byAddress: CounterState): number | undefined {
  const ends = [byBrowser.count > browserLimit.limit ? byBrowser.resetInMs : -1, byAddress.count > addressLimit.limit ? byAddress.resetInMs : -1];
  const longest = Math.max(...ends);
  return longest < 0 ? undefined : longest;
}

/**
 * The guessing limits of one provider, counted in its store (so every node counts together):
 * wrong codes per browser and per network address in a window, and a wait between tries past
 * the free ones.
 */
export class GuessLimit {
  constructor(private readonly counters: Counters) {}

  /** Checks, without counting, whether `browser` at `address` may try a code now. */
  async check(browser: string, address: string): Promise<GuessVerdict> {
    const k = keys(browser, address);
    const [byBrowser, byAddress, wait] = await Promise.all([this.counters.peek(k.browser), this.counters.peek(k.address), this.counters.peek(k.wait)]);
    const blocked = blockedFor(byBrowser, byAddress);
    if (blocked !== undefined) return { allowed: false, retryAfter: seconds(blocked), reason: 'blocked' };
    if (wait.count > 0) return { allowed: false, retryAfter: seconds(wait.resetInMs), reason: 'wait' };
    return { allowed: true, retryAfter: 0 };
  }

  /** Counts one wrong code; returns what the next attempt will face. */
  async fail(browser: string, address: string): Promise<GuessVerdict> {
    const k = keys(browser, address);
    const [byBrowser, byAddress] = await Promise.all([this.counters.hit(k.browser, browserLimit), this.counters.hit(k.address, addressLimit)]);
    const blocked = blockedFor(byBrowser, byAddress);
    if (blocked !== undefined) return { allowed: false, retryAfter: seconds(blocked), reason: 'blocked' };
    if (byBrowser.count <= defaults.userCodeFreeFailures) return { allowed: true, retryAfter: 0 };
    await this.counters.hit(k.wait, { windowMs: defaults.userCodeFailureDelay * 1000 });
    return { allowed: false, retryAfter: defaults.userCodeFailureDelay, reason: 'wait' };
  }
}

/** Words for "in N seconds/minutes" in refusal messages. */
export function inTime(secondsLeft: number): string {
  if (secondsLeft < 60) return `${secondsLeft} second${secondsLeft === 1 ? '' : 's'}`;
  const m = Math.ceil(secondsLeft / 60);
  return `${m} minute${m === 1 ? '' : 's'}`;
}
