/**
 * Token revocation. A refresh token revokes its whole grant (and so the access tokens issued
 * from it); an access token is deny-listed until it expires; a CIBA `auth_req_id` (Nod's
 * extension, `token_type_hint=auth_req_id`) withdraws the pending request (ciba/withdraw.ts).
 * Tokens of other clients, unknown tokens and requests already answered are ignored with 200,
 * as the RFC requires. The hint orders the look-ups; every kind is tried (RFC 7009 section 2.1).
 * @see https://www.rfc-editor.org/rfc/rfc7009#section-2
 */
import type { ProviderContext } from '../context.ts';
import type { FormEndpoint } from '../middleware/form_endpoint.ts';
import type { Client } from '../models/client.ts';
import { authenticateClient } from '../middleware/authenticate_client.ts';
import { required } from '../middleware/params.ts';
import { verifyAccessToken } from '../tokens/verify_access_token.ts';
import { revokeGrant } from '../tokens/issue.ts';
import { nowSeconds } from '../../shared/time.ts';
import { withdrawRequest } from '../ciba/withdraw.ts';
import { AUTH_REQ_ID_TOKEN_TYPE } from '../../shared/ciba-extensions.ts';

/** One kind of token: true when `token` was of this kind (whether or not it belonged to the client). */
type Revoker = (ctx: ProviderContext, client: Client, token: string) => Promise<boolean>;

const revokeRefreshToken: Revoker = async (ctx, client, token) => {
  const rt = await ctx.models.refreshTokens.find(token);
  if (!rt) return false;
  if (rt.clientId === client.client_id) await revokeGrant(ctx, rt.grantId);
  return true;
};

const revokeAccessToken: Revoker = async (ctx, client, token) => {
  const at = await verifyAccessToken(ctx, token);
  if (!at) return false;
  if (at.client_id === client.client_id) {
    await ctx.models.revocations.put(`jti:${at.jti}`, { kind: 'jti', at: nowSeconds() }, { expiresIn: Math.max(1, (at.exp ?? 0) - nowSeconds()) });
  }
  return true;
};

const withdrawAuthReqId: Revoker = async (ctx, client, token) => (await withdrawRequest(ctx, token, client.client_id)) !== 'unknown';

/** Look-up order per token_type_hint; without (or with an unknown) hint, refresh tokens first. */
const ORDER: Readonly<Record<string, readonly Revoker[]>> = {
  refresh_token: [revokeRefreshToken, revokeAccessToken, withdrawAuthReqId],
  access_token: [revokeAccessToken, revokeRefreshToken, withdrawAuthReqId],
  [AUTH_REQ_ID_TOKEN_TYPE]: [withdrawAuthReqId, revokeRefreshToken, revokeAccessToken],
};

export function revocationEndpoint(ctx: ProviderContext): FormEndpoint {
  return async ({ params, authorization, ip }) => {
    const client = await authenticateClient(ctx, params, authorization, ctx.urls.revocation, ip);
    const token = required(params, 'token');
    for (const revoke of ORDER[params.token_type_hint ?? ''] ?? ORDER.refresh_token!) if (await revoke(ctx, client, token)) break;
    return {};
  };
}
