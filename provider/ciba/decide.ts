/**
 * The end of a CIBA request: the entity's decision (approve or deny) or expiry. Records the
 * outcome, then delivers it by the client's mode: poll waits for the client, ping notifies it,
 * push sends the tokens (or the error) itself. Delivery runs after the entity got its answer.
 * @see https://openid.net/specs/openid-client-initiated-backchannel-authentication-core-1_0.html#rfc.section.10
 */
import type { ProviderContext } from '../context.ts';
import type { User } from '../models/user.ts';
import { InvalidGrant } from '../../shared/errors.ts';
import { saveGrant } from '../tokens/issue.ts';
import { nowSeconds } from '../../shared/time.ts';
import { pollStampKey } from '../grants/pollable.ts';
import type { UpdateResult, WriteOptions } from '../../shared/store/store.ts';
import { rememberConsent } from './consent.ts';
import { shortenFatigueSlot } from './fatigue.ts';
import type { CibaRequest } from './request.ts';
import type { Approval } from './approval_acr.ts';
import { CALLBACK_STATUS, type CallbackStatus } from '../../shared/auth-channel.ts';

type Outcome =
  | { readonly status: 'approved'; readonly grantId: string; readonly callback?: CallbackStatus }
  /** denied by the user (`callback` says how) or the provider; withdrawn by the client (withdraw.ts), which still owes the entity a notice. */
  | { readonly status: 'denied' | 'withdrawn'; readonly description: string; readonly callback?: CallbackStatus };

/**
 * Moves a pending request to its outcome: one guarded transition (pending → approved, denied or
 * withdrawn; never back, never twice), a compare-and-set whatever node it runs on. `allows` may
 * narrow it further (a withdrawal: only the client's own, unexpired request). The answer says
 * whether it moved (`updated`), was no longer pending or not allowed (`unchanged`), or does not
 * exist (`missing`). The first poll after it is never slow_down (the poll stamp is cleared), and
 * the request holds its anti-fatigue slot only to the end of its window.
 */
export async function settleRequest(
  ctx: ProviderContext,
  authReqId: string,
  outcome: Outcome,
  allows: (r: CibaRequest) => boolean = () => true,
  options?: Pick<WriteOptions, 'durable'>,
): Promise<UpdateResult<CibaRequest>> {
  const moved = await ctx.models.cibaRequests.update(
    authReqId,
    (r, meta): CibaRequest | undefined => {
      if (r?.status !== 'pending' || meta?.consumedAt !== undefined || !allows(r)) return undefined;
      const accepted = outcome.callback ? { acceptedCallback: outcome.callback } : {};
      if (outcome.status === 'approved') return { ...r, status: 'approved', grantId: outcome.grantId, ...accepted };
      if (outcome.status === 'denied') return { ...r, status: 'denied', denyDescription: outcome.description, ...accepted };
      return { ...r, status: 'withdrawn', denyDescription: outcome.description, withdrawal: { entityTold: false } };
    },
    options,
  );
  if (moved.outcome !== 'updated') return moved;
  const settled = moved.record.value;
  await Promise.all([ctx.store.counters.reset(pollStampKey(ctx.models.cibaRequests, authReqId)), shortenFatigueSlot(ctx, settled, authReqId)]);
  const fields = { authReqId, jti: settled.jti, clientId: settled.clientId, sub: settled.sub };
  if (settled.status === 'withdrawn') ctx.events.emit('backchannel_authentication.withdrawn', fields);
  else ctx.events.emit('backchannel_authentication.decided', { ...fields, status: settled.status });
  return moved;
}

/** settleRequest for the entity's decision: the decided request, or undefined when it was no longer pending. */
async function recordOutcome(ctx: ProviderContext, authReqId: string, outcome: Outcome): Promise<CibaRequest | undefined> {
  const moved = await settleRequest(ctx, authReqId, outcome, undefined, LATER);
  return moved.outcome === 'updated' ? moved.record.value : undefined;
}

const alreadyDecided = () => new InvalidGrant('the request was already decided');

/**
 * The writes of one decision (grant, outcome, consent, push consumption) are applied one after
 * the other, each visible before the next (on Redis too), and made durable together by
 * queueDelivery (the delivery's durable schedule, or a flush): one group commit per decision
 * instead of three or four in series, and nothing (the entity's 200, the client's ping) is
 * acknowledged before it.
 */
const LATER = { durable: false } as const;

/** SUCCEED: creates the grant, records the approval (and consent, when it was asked for) and delivers. */
export async function approveRequest(ctx: ProviderContext, authReqId: string, request: CibaRequest, user: User, approval: Approval): Promise<void> {
  const grant = await saveGrant(
    ctx,
    {
      sub: user.sub,
      clientId: request.clientId,
      scope: request.scope,
      authTime: nowSeconds(),
      acr: approval.acr,
      ...(approval.amr ? { amr: approval.amr } : {}),
      ...(request.authorizationDetails ? { authorizationDetails: request.authorizationDetails } : {}),
    },
    LATER,
  );
  const decided = await recordOutcome(ctx, authReqId, { status: 'approved', grantId: grant.grantId, callback: CALLBACK_STATUS.approved });
  if (!decided) {
    await ctx.models.grants.delete(grant.grantId);
    throw alreadyDecided();
  }
  if (request.consentRequired) await rememberConsent(ctx, user.sub, request.clientId, request.scope, LATER);
  if (decided.mode === 'push') await ctx.models.cibaRequests.consume(authReqId, LATER);
  await queueDelivery(ctx, authReqId, decided);
}

/** UNAUTHORIZED or CANCELLED (`callback`), or a refusal by the provider (none): ends as access_denied, and delivers. */
export async function denyRequest(ctx: ProviderContext, authReqId: string, description: string, callback?: CallbackStatus): Promise<void> {
  const decided = await recordOutcome(ctx, authReqId, { status: 'denied', description, ...(callback ? { callback } : {}) });
  if (!decided) throw alreadyDecided();
  if (decided.mode === 'push') await ctx.models.cibaRequests.consume(authReqId, LATER);
  await queueDelivery(ctx, authReqId, decided);
}

/**
 * Queues the notification owed to a ping/push client (durably; one node sends it, see
 * lifecycle.ts). Its durable write, or a flush when nothing is owed, also makes durable what the
 * caller wrote with durable: false before.
 */
async function queueDelivery(ctx: ProviderContext, authReqId: string, request: CibaRequest): Promise<void> {
  if (request.mode === 'poll' || !request.notificationToken) return ctx.store.flush();
  // Every write of the decision is made: its commit starts now (the flush) instead of after the
  // ping has gone out, so that it is done before the token request the ping brings, whose own
  // commit would otherwise queue behind it.
  await Promise.all([ctx.ciba.queueDelivery(authReqId), ctx.store.flush()]);
}

/**
 * The expiry of a request (run by one node, from its scheduled watch): a request still pending
 * ends, `.expired` is emitted, and ping/push clients are told. Safe to run twice.
 */
export async function expireRequest(ctx: ProviderContext, authReqId: string): Promise<void> {
  const found = await ctx.models.cibaRequests.get(authReqId);
  if (found?.value.status !== 'pending' || found.meta.consumedAt !== undefined) return;
  const request = found.value;
  if (Date.now() < request.expiresAt * 1000) return void (await ctx.ciba.watchExpiry(authReqId, request.expiresAt));
  ctx.events.emit('backchannel_authentication.expired', { authReqId, jti: request.jti, clientId: request.clientId, sub: request.sub });
  if (request.mode === 'push') await ctx.models.cibaRequests.consume(authReqId);
  await queueDelivery(ctx, authReqId, request);
}
