/**
 * The end of a CIBA request: the entity's decision (approve or deny) or expiry. Records the
 * outcome, then delivers it by the client's mode: poll waits for the client, ping notifies it,
 * push sends the tokens (or the error) itself. Delivery runs after the entity got its answer.
 * @see https://openid.net/specs/openid-client-initiated-backchannel-authentication-core-1_0.html#rfc.section.10
 */
import type { ProviderContext } from '../context.ts';
import type { Client } from '../models/client.ts';
import type { User } from '../models/user.ts';
import { defaults } from '../defaults.ts';
import { issueTokenSet, revokeGrant, saveGrant } from '../tokens/issue.ts';
import { nowSeconds } from '../../shared/time.ts';
import { cibaPolicy } from './policy.ts';
import { notifyClient } from './notify.ts';
import { rememberConsent } from './consent.ts';
import { recordTtl, saveCibaRequest, type CibaRequest } from './request.ts';

type Outcome = { readonly status: 'approved'; readonly grantId: string } | { readonly status: 'denied'; readonly description: string };

/** Stores the outcome; the first decided poll is never slow_down (lastPolledAt is cleared). */
async function recordOutcome(ctx: ProviderContext, authReqId: string, request: CibaRequest, outcome: Outcome): Promise<CibaRequest> {
  const { lastPolledAt: _l, ...rest } = request;
  const decided: CibaRequest =
    outcome.status === 'approved'
      ? { ...rest, status: 'approved', grantId: outcome.grantId }
      : { ...rest, status: 'denied', denyDescription: outcome.description };
  await saveCibaRequest(ctx, authReqId, decided);
  ctx.events.emit('backchannel_authentication.decided', { authReqId, jti: request.jti, clientId: request.clientId, sub: request.sub, status: decided.status });
  return decided;
}

/** SUCCEED: creates the grant (and consent, when it was asked for) and delivers. */
export async function approveRequest(ctx: ProviderContext, authReqId: string, request: CibaRequest, user: User): Promise<void> {
  const grant = await saveGrant(ctx, { sub: user.sub, clientId: request.clientId, scope: request.scope, authTime: nowSeconds(), acr: defaults.cibaAcr });
  if (request.consentRequired) await rememberConsent(ctx, user.sub, request.clientId, request.scope);
  const decided = await recordOutcome(ctx, authReqId, request, { status: 'approved', grantId: grant.grantId });
  if (decided.mode === 'push') await ctx.models.cibaRequests.consume(authReqId);
  await queueDelivery(ctx, authReqId, decided);
}

/** UNAUTHORIZED, CANCELLED, or a refusal by the provider: ends as access_denied, and delivers. */
export async function denyRequest(ctx: ProviderContext, authReqId: string, request: CibaRequest, description: string): Promise<void> {
  const decided = await recordOutcome(ctx, authReqId, request, { status: 'denied', description });
  if (decided.mode === 'push') await ctx.models.cibaRequests.consume(authReqId);
  await queueDelivery(ctx, authReqId, decided);
}

/**
 * Records the notification owed to a ping/push client durably, then delivers it in the
 * background: a restart in between resumes it (resumeCiba) instead of losing it.
 */
async function queueDelivery(ctx: ProviderContext, authReqId: string, request: CibaRequest): Promise<void> {
  if (request.mode === 'poll' || !request.notificationToken) return;
  await ctx.models.cibaOutbox.upsert(authReqId, { queuedAt: nowSeconds() }, recordTtl(request.expiresAt));
  void deliver(ctx, authReqId, request);
}

/** The push body: the token response plus auth_req_id, or the error. */
async function pushBody(ctx: ProviderContext, client: Client, authReqId: string, request: CibaRequest): Promise<Record<string, unknown> | undefined> {
  if (request.status === 'denied')
    return { auth_req_id: authReqId, error: 'access_denied', error_description: request.denyDescription ?? 'the user denied the request' };
  if (request.status === 'pending') return { auth_req_id: authReqId, error: 'expired_token', error_description: 'the request expired before the user decided' };
  const grant = request.grantId ? await ctx.models.grants.find(request.grantId) : undefined;
  if (!grant) return undefined;
  const tokens = await issueTokenSet(ctx, { client, grant, scope: request.scope, authReqId });
  return { ...tokens, auth_req_id: authReqId };
}

/** Ping or push delivery of a decided (or expired) request; poll clients come for it themselves. */
async function deliver(ctx: ProviderContext, authReqId: string, request: CibaRequest): Promise<void> {
  if (request.mode === 'poll' || !request.notificationToken) return;
  try {
    const client = await ctx.models.clients.find(request.clientId);
    const url = client?.backchannel_client_notification_endpoint;
    if (!client || !url) return;
    const body = request.mode === 'ping' ? { auth_req_id: authReqId } : await pushBody(ctx, client, authReqId, request);
    if (!body) return;
    const ok = await notifyClient(ctx, await cibaPolicy(ctx), {
      kind: request.mode,
      url,
      token: request.notificationToken,
      body,
      jti: request.jti,
      clientId: client.client_id,
    });
    // Tokens nobody received must not stay valid.
    if (!ok && request.mode === 'push' && request.grantId) await revokeGrant(ctx, request.grantId);
    ctx.events.emit('backchannel_authentication.delivered', {
      authReqId,
      jti: request.jti,
      clientId: client.client_id,
      mode: request.mode,
      ok,
      status: request.status,
    });
  } catch (e) {
    ctx.log.error('backchannel_authentication.delivery_error', { jti: request.jti, message: (e as Error).message });
  } finally {
    await ctx.models.cibaOutbox.destroy(authReqId).catch(() => undefined);
  }
}

/** At expiry, a request still pending ends: `.expired` is emitted and ping/push clients are told. */
export function watchExpiry(ctx: ProviderContext, authReqId: string, expiresAt: number): void {
  const timer = setTimeout(
    async () => {
      try {
        const request = await ctx.models.cibaRequests.find(authReqId);
        if (request?.status !== 'pending' || request.consumed !== undefined) return;
        ctx.events.emit('backchannel_authentication.expired', { authReqId, jti: request.jti, clientId: request.clientId, sub: request.sub });
        if (request.mode === 'push') await ctx.models.cibaRequests.consume(authReqId);
        await queueDelivery(ctx, authReqId, request);
      } catch (e) {
        ctx.log.debug('backchannel_authentication.expiry_error', { message: (e as Error).message });
      }
    },
    Math.max(0, expiresAt * 1000 - Date.now()) + 50,
  );
  timer.unref();
}

/**
 * After a (re)start: re-arms the expiry watch of every pending request (one that expired while
 * the provider was down ends at once) and resumes the ping/push notifications still owed.
 */
export async function resumeCiba(ctx: ProviderContext): Promise<void> {
  const owed = await ctx.models.cibaOutbox.all();
  for (const entry of owed) {
    const request = await ctx.models.cibaRequests.find(entry.id);
    if (request && request.status !== 'pending') void deliver(ctx, entry.id, request);
    else await ctx.models.cibaOutbox.destroy(entry.id);
  }
  for (const request of await ctx.models.cibaRequests.all()) {
    if (request.status === 'pending' && request.consumed === undefined) watchExpiry(ctx, request.id, request.expiresAt);
  }
  if (owed.length) ctx.log.info('backchannel_authentication.resumed', { notifications: owed.length });
}
