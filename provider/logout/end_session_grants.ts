/**
 * What a logout ends besides the browser session: the grants made in it (found by their `sid`,
 * models/index.ts), by each client's `logout_ends_grants` (models/client_backchannel_logout.ts:
 * by default those without offline_access), with their refresh tokens, codes not yet redeemed and
 * (deny-listed) access tokens; and a logout token queued for every client of the session that
 * registered a backchannel_logout_uri. Runs before the session record is deleted: if it fails
 * midway, the user is still signed in and can sign out again.
 * @see https://openid.net/specs/openid-connect-backchannel-1_0.html#BCActions
 */
import type { ProviderContext } from '../context.ts';
import type { Client } from '../models/client.ts';
import type { Session } from '../models/index.ts';
import { publicSid } from '../interaction/sid.ts';
import { revokeGrant } from '../tokens/issue.ts';
import { randomId } from '../../shared/random.ts';

/** Whether a logout ends a grant of `client` with `scope`. */
export function endsAtLogout(client: Client | undefined, scope: string): boolean {
  const rule = client?.logout_ends_grants ?? 'online';
  return rule === 'all' || (rule === 'online' && !scope.split(' ').includes('offline_access'));
}

export interface EndedGrants {
  readonly revoked: number;
  readonly kept: number;
  readonly notices: number;
}

/** Ends the grants of the session stored under `sessionKey` and queues the back-channel logout notices. */
export async function endSessionGrants(ctx: ProviderContext, sessionKey: string, session: Session): Promise<EndedGrants> {
  const sid = publicSid(ctx, sessionKey);
  const [grants, codes] = await Promise.all([ctx.models.grants.findBy('sid', sid), ctx.models.codes.findBy('sid', sid)]);
  const clientIds = new Set([...session.clients, ...grants.map((g) => g.value.clientId), ...codes.map((c) => c.value.clientId)]);
  const clients = new Map<string, Client | undefined>(await Promise.all([...clientIds].map(async (id) => [id, await ctx.models.clients.find(id)] as const)));
  const ending = grants.filter((g) => endsAtLogout(clients.get(g.value.clientId), g.value.scope));
  const unredeemed = codes.filter((c) => c.meta.consumedAt === undefined && endsAtLogout(clients.get(c.value.clientId), c.value.grant.scope));
  await Promise.all([...ending.map((g) => revokeGrant(ctx, g.id)), ...unredeemed.map((c) => ctx.models.codes.delete(c.id))]);
  const notified = [...clients.values()].filter((c): c is Client => c?.backchannel_logout_uri !== undefined);
  await Promise.all(notified.map((c) => ctx.logout.queue({ clientId: c.client_id, sub: session.sub, sid, jti: randomId(16) })));
  const ended = { revoked: ending.length, kept: grants.length - ending.length, notices: notified.length };
  ctx.events.emit('logout.grants_ended', { sub: session.sub, ...ended });
  return ended;
}
