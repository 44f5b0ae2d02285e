/**
 * Withdrawal of a pending CIBA request by the client that made it (a Nod extension): the client
 * revokes its `auth_req_id` at the revocation endpoint with `token_type_hint=auth_req_id`. The
 * request ends as `withdrawn` (polls then get access_denied) and the entity is told over the
 * channel, with a bearer token for the same delegation (the same claims, `jti` included, signed
 * again: the token itself is not stored) and `{"status": "WITHDRAWN"}`, so that the user's
 * devices stop asking.
 *
 * Only a pending, unexpired request of that client is withdrawn; anything else changes nothing
 * (RFC 7009: the client gets 200 either way). The move is the one compare-and-set of the status
 * that a decision also makes (decide.ts settleRequest): whichever comes first wins, on any node,
 * and an answered request is never withdrawn. The entity's callback for a request withdrawn
 * first is refused.
 * @see https://www.rfc-editor.org/rfc/rfc7009#section-2.2
 */
import { WITHDRAWN_CHANNEL_STATUS, type WithdrawalNotice } from '../../shared/auth-channel.ts';
import type { ProviderContext } from '../context.ts';
import { cibaPolicy } from './policy.ts';
import { notifyClient } from './notify.ts';
import { signDelegationToken } from './delegation.ts';
import { settleRequest } from './decide.ts';

/** What later polls are told. */
export const WITHDRAWN_DESCRIPTION = 'the client withdrew the request';

/**
 * Withdraws request `authReqId` if it is `clientId`'s, pending and unexpired, in one
 * compare-and-set. `unknown` when there is no such request at all (the revocation endpoint then
 * tries the other kinds of token); `kept` when it changed nothing.
 */
export async function withdrawRequest(ctx: ProviderContext, authReqId: string, clientId: string): Promise<'withdrawn' | 'kept' | 'unknown'> {
  const now = Date.now();
  const moved = await settleRequest(
    ctx,
    authReqId,
    { status: 'withdrawn', description: WITHDRAWN_DESCRIPTION },
    (r) => r.clientId === clientId && now < r.expiresAt * 1000,
  );
  if (moved.outcome === 'missing') return 'unknown';
  if (moved.outcome === 'unchanged') return 'kept';
  // Queued durably with the withdrawal's own effect; one node tells the entity (lifecycle.ts).
  await ctx.ciba.queueWithdrawalNotice(authReqId);
  return 'withdrawn';
}

/**
 * Tells the entity, with the retries of a ping (run by the node that claimed the notice); once it
 * answered, or refused for good, the request no longer owes the notice. `interrupted` when the
 * node stopped midway (the notice is sent again).
 */
export async function tellEntityOfWithdrawal(ctx: ProviderContext, authReqId: string, stop: AbortSignal): Promise<'done' | 'interrupted'> {
  const request = await ctx.models.cibaRequests.find(authReqId);
  if (request?.status !== 'withdrawn' || request.withdrawal?.entityTold !== false || Date.now() >= request.expiresAt * 1000) return 'done';
  const body: WithdrawalNotice = { status: WITHDRAWN_CHANNEL_STATUS };
  const token = await signDelegationToken(ctx, { jti: request.jti, clientId: request.clientId, sub: request.sub, exp: request.expiresAt });
  const sent = await notifyClient(
    ctx,
    await cibaPolicy(ctx),
    { kind: 'withdrawal', url: ctx.config.authChannelUrl, token, body: { ...body }, jti: request.jti, clientId: request.clientId },
    stop,
  );
  if (sent === 'interrupted') return sent;
  await ctx.models.cibaRequests.update(authReqId, (r) =>
    r?.status === 'withdrawn' && r.withdrawal?.entityTold === false ? { ...r, withdrawal: { entityTold: true } } : undefined,
  );
  ctx.events.emit('backchannel_authentication.withdrawal_told', { authReqId, ok: sent === 'sent' });
  return 'done';
}
