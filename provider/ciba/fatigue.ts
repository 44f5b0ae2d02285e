/**
 * Anti-fatigue: a user's phone must not buzz without end because some client (or an attacker
 * who knows a username) keeps asking. At most `fatigueLimit` requests per user may be pending or
 * younger than `fatigueWindow` seconds; beyond that the client gets `too_many_requests` (429)
 * with Retry-After. Each request holds a slot of the user's bounded set in the store (reserved
 * atomically, so a burst spread over several nodes cannot slip past the limit) until the later
 * of its expiry and the end of its window; a decision or a withdrawal shortens that to the end
 * of the window. The limit and window are the client's own (`ciba_fatigue_limit`,
 * `ciba_fatigue_window`) or the CIBA policy's (policy.ts fatigueOf); a limit of 0 turns the
 * check off (no slot is held). The set is the user's, whichever client asks: it is the user's
 * phone that buzzes, so a client's limit says how many of the user's live requests its own
 * request may join.
 */
import { TooManyRequests } from '../../shared/errors.ts';
import type { ProviderContext } from '../context.ts';
import type { CibaPolicy } from './policy.ts';

const fatigueKey = (sub: string) => `fatigue:${sub}`;

/** The limit and window that apply to one request. */
export type Fatigue = Pick<CibaPolicy, 'fatigueLimit' | 'fatigueWindow'>;

/**
 * Reserves a slot for request `authReqId` (created now, expiring at `expiresAt`, epoch s), or
 * throws too_many_requests. Returns whether a slot is held (false when the limit is off).
 */
export async function reserveFatigueSlot(ctx: ProviderContext, fatigue: Fatigue, sub: string, authReqId: string, expiresAt: number): Promise<boolean> {
  if (fatigue.fatigueLimit === 0) return false;
  const now = Date.now();
  const until = Math.max(now + fatigue.fatigueWindow * 1000, expiresAt * 1000);
  const slot = await ctx.store.slots.reserve(fatigueKey(sub), authReqId, { limit: fatigue.fatigueLimit, until });
  if (slot.reserved) return true;
  const retryAfter = ((slot.nextFreeAt ?? now + 1000) - now) / 1000;
  ctx.log.warn('backchannel_authentication.fatigue', { sub, active: slot.active });
  throw new TooManyRequests('too many authentication requests for this user; try again later').retryAfter(retryAfter);
}

/** Gives the slot back (the request was never accepted). */
export function releaseFatigueSlot(ctx: ProviderContext, sub: string, authReqId: string): Promise<void> {
  return ctx.store.slots.release(fatigueKey(sub), authReqId);
}

/**
 * A settled request (decided or withdrawn) counts only until the end of its window (created at
 * `createdAt`, epoch s; `window` the seconds it was reserved with). Nothing to do without a window
 * (the limit was off for it).
 */
export async function shortenFatigueSlot(
  ctx: ProviderContext,
  request: { readonly sub: string; readonly createdAt: number; readonly fatigueWindow?: number },
  authReqId: string,
): Promise<void> {
  if (request.fatigueWindow === undefined) return;
  await ctx.store.slots.setUntil(fatigueKey(request.sub), authReqId, (request.createdAt + request.fatigueWindow) * 1000);
}
