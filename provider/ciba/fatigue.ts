/**
 * Anti-fatigue: a user's phone must not buzz without end because some client (or an attacker
 * who knows a username) keeps asking. At most `policy.fatigueLimit` requests per user may be
 * pending or younger than `policy.fatigueWindow` seconds; beyond that the client gets
 * `too_many_requests` (429) with Retry-After. Counted from the stored requests themselves, plus
 * the requests of this process that passed the check and are not stored yet (so a burst of
 * concurrent requests cannot all slip under the limit).
 */
import { TooManyRequests } from '../../shared/errors.ts';
import type { ProviderContext } from '../context.ts';
import type { CibaPolicy } from './policy.ts';

const inFlight = new WeakMap<ProviderContext, Map<string, Set<string>>>();

/**
 * Reserves a slot for request `authReqId` of the user, or throws too_many_requests when the
 * slots are used up. Call the returned release once the request is stored (or abandoned).
 */
export async function reserveFatigueSlot(ctx: ProviderContext, policy: CibaPolicy, sub: string, authReqId: string): Promise<() => void> {
  const now = Date.now() / 1000;
  // Until when each request still counts: while young, and while pending and unexpired.
  const stored = (await ctx.models.cibaRequests.findBy('sub', sub))
    .map((r) => ({ id: r.id, until: Math.max(r.createdAt + policy.fatigueWindow, r.status === 'pending' ? r.expiresAt : 0) }))
    .filter((r) => r.until > now);
  const countsUntil = stored.map((r) => r.until);
  // No await between this count and the reservation below. A request being stored may already
  // be visible in the store: count each id once.
  let bySub = inFlight.get(ctx);
  if (!bySub) inFlight.set(ctx, (bySub = new Map()));
  const reserved = bySub.get(sub) ?? new Set<string>();
  const active = new Set([...stored.map((r) => r.id), ...reserved]).size;
  if (active < policy.fatigueLimit) {
    reserved.add(authReqId);
    bySub.set(sub, reserved);
    return () => {
      reserved.delete(authReqId);
      if (reserved.size === 0 && bySub.get(sub) === reserved) bySub.delete(sub);
    };
  }
  if (countsUntil.length === 0) countsUntil.push(now + 1);
  const retryAfter = Math.min(...countsUntil) - now;
  ctx.log.warn('backchannel_authentication.fatigue', { sub, active: countsUntil.length });
  throw new TooManyRequests('too many authentication requests for this user; try again later').retryAfter(retryAfter);
}
