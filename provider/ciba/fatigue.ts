/**
 * Anti-fatigue: a user's phone must not buzz without end because some client (or an attacker
 * who knows a username) keeps asking. At most `policy.fatigueLimit` requests per user may be
 * pending or younger than `policy.fatigueWindow` seconds; beyond that the client gets
 * `too_many_requests` (429) with Retry-After. Counted from the stored requests themselves.
 */
import { TooManyRequests } from '../../shared/errors.ts';
import type { ProviderContext } from '../context.ts';
import type { CibaPolicy } from './policy.ts';

/** Throws too_many_requests when the user has reached the limit. */
export async function checkFatigue(ctx: ProviderContext, policy: CibaPolicy, sub: string): Promise<void> {
  const now = Date.now() / 1000;
  // Until when each request still counts: while young, and while pending and unexpired.
  const countsUntil = (await ctx.models.cibaRequests.findBy('sub', sub))
    .map((r) => Math.max(r.createdAt + policy.fatigueWindow, r.status === 'pending' ? r.expiresAt : 0))
    .filter((until) => until > now);
  if (countsUntil.length < policy.fatigueLimit) return;
  const retryAfter = Math.min(...countsUntil) - now;
  ctx.log.warn('backchannel_authentication.fatigue', { sub, active: countsUntil.length });
  throw new TooManyRequests('too many authentication requests for this user; try again later').retryAfter(retryAfter);
}
