/**
 * Anti-fatigue: a user's phone must not buzz without end because some client (or an attacker
 * who knows a username) keeps asking. At most `policy.fatigueLimit` requests per user may be
 * pending or younger than `policy.fatigueWindow` seconds; beyond that the client gets
 * `too_many_requests` (429) with Retry-After. Each request holds a slot of the user's bounded
 * set in the store (reserved atomically, so a burst spread over several nodes cannot slip past
 * the limit) until the later of its expiry and the end of its window; a decision shortens that
 * to the end of the window.
 */
import { TooManyRequests } from '../../shared/errors.ts';
import type { ProviderContext } from '../context.ts';
import type { CibaPolicy } from './policy.ts';

const fatigueKey = (sub: string) => `fatigue:${sub}`;

/** Reserves a slot for request `authReqId` (created now, expiring at `expiresAt`, epoch s), or throws too_many_requests. */
export async function reserveFatigueSlot(ctx: ProviderContext, policy: CibaPolicy, sub: string, authReqId: string, expiresAt: number): Promise<void> {
  const now = Date.now();
  const until = Math.max(now + policy.fatigueWindow * 1000, expiresAt * 1000);
  const slot = await ctx.store.slots.reserve(fatigueKey(sub), authReqId, { limit: policy.fatigueLimit, until });
  if (slot.reserved) return;
  const retryAfter = ((slot.nextFreeAt ?? now + 1000) - now) / 1000;
  ctx.log.warn('backchannel_authentication.fatigue', { sub, active: slot.active });
  throw new TooManyRequests('too many authentication requests for this user; try again later').retryAfter(retryAfter);
}

/** Gives the slot back (the request was never accepted). */
export function releaseFatigueSlot(ctx: ProviderContext, sub: string, authReqId: string): Promise<void> {
  return ctx.store.slots.release(fatigueKey(sub), authReqId);
}

/** A decided request counts only until the end of its window (created at `createdAt`, epoch s). */
export function shortenFatigueSlot(ctx: ProviderContext, policy: CibaPolicy, sub: string, authReqId: string, createdAt: number): Promise<void> {
  return ctx.store.slots.setUntil(fatigueKey(sub), authReqId, (createdAt + policy.fatigueWindow) * 1000);
}
