/**
 * The ping or push notification of a decided (or expired) request, sent by the one node that
 * claimed it (lifecycle.ts): ping POSTs `{auth_req_id}`, push POSTs the token response (or the
 * error) itself. Tokens pushed to nobody are revoked.
 * @see https://openid.net/specs/openid-client-initiated-backchannel-authentication-core-1_0.html#rfc.section.10.2
 * @see https://openid.net/specs/openid-client-initiated-backchannel-authentication-core-1_0.html#rfc.section.10.3
 */
import type { ProviderContext } from '../context.ts';
import type { Client } from '../models/client.ts';
import { issueTokenSet, revokeGrant } from '../tokens/issue.ts';
import { cibaPolicy } from './policy.ts';
import { notifyClient } from './notify.ts';
import type { CibaRequest } from './request.ts';

/** The push body: the token response plus auth_req_id, or the error (a request still pending has expired). */
async function pushBody(ctx: ProviderContext, client: Client, authReqId: string, request: CibaRequest): Promise<Record<string, unknown> | undefined> {
  if (request.status === 'denied')
    return { auth_req_id: authReqId, error: 'access_denied', error_description: request.denyDescription ?? 'the user denied the request' };
  if (request.status === 'pending') return { auth_req_id: authReqId, error: 'expired_token', error_description: 'the request expired before the user decided' };
  const grant = request.grantId ? await ctx.models.grants.find(request.grantId) : undefined;
  if (!grant) return undefined;
  const tokens = await issueTokenSet(ctx, { client, grant, scope: request.scope, authReqId });
  return { ...tokens, auth_req_id: authReqId };
}

/**
 * How a delivery ended: `done`; `tokens_pushed`, done too, but a repeat (after a crash, before the
 * queue item's removal is durable) would mint and push a second token set, so the removal must be
 * durable at once; `interrupted` when the node stopped midway (it is sent again later).
 */
export type Delivered = 'done' | 'tokens_pushed' | 'interrupted';

/** Sends the notification owed for `authReqId`; `interrupted` when `signal` aborted it (it is sent again later). */
export async function deliverOutcome(ctx: ProviderContext, authReqId: string, signal: AbortSignal): Promise<Delivered> {
  const request = await ctx.models.cibaRequests.find(authReqId);
  if (!request || request.mode === 'poll' || !request.notificationToken) return 'done';
  const client = await ctx.models.clients.find(request.clientId);
  const url = client?.backchannel_client_notification_endpoint;
  if (!client || !url) return 'done';
  // This may run before the decision is durable (lifecycle.ts starts a delivery as soon as it is
  // queued): a ping may go out before it, a pushed result (tokens above all) only after it.
  if (request.mode === 'push') await ctx.store.flush();
  const body = request.mode === 'ping' ? { auth_req_id: authReqId } : await pushBody(ctx, client, authReqId, request);
  if (!body) return 'done';
  const sent = await notifyClient(
    ctx,
    await cibaPolicy(ctx),
    { kind: request.mode, url, token: request.notificationToken, body, jti: request.jti, clientId: client.client_id },
    signal,
  );
  if (sent === 'interrupted') return sent;
  // Tokens nobody received must not stay valid.
  if (sent === 'failed' && request.mode === 'push' && request.grantId) await revokeGrant(ctx, request.grantId);
  ctx.events.emit('backchannel_authentication.delivered', {
    authReqId,
    jti: request.jti,
    clientId: client.client_id,
    mode: request.mode,
    ok: sent === 'sent',
    status: request.status,
  });
  return sent === 'sent' && 'access_token' in body ? 'tokens_pushed' : 'done';
}
