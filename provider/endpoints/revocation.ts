/**
 * Token revocation. A refresh token revokes its whole grant (and so the access tokens issued
 * from it); an access token is deny-listed until it expires. Tokens of other clients and unknown
 * tokens are ignored with 200, as the RFC requires.
 * @see https://www.rfc-editor.org/rfc/rfc7009#section-2
 */
import type { RequestHandler } from 'express';
import type { ProviderContext } from '../context.ts';
import { authenticateClient } from '../middleware/authenticate_client.ts';
import { requestParams, required } from '../middleware/params.ts';
import { verifyAccessToken } from '../tokens/verify_access_token.ts';
import { revokeGrant } from '../tokens/issue.ts';
import { nowSeconds } from '../../shared/time.ts';

export function revocationEndpoint(ctx: ProviderContext): RequestHandler {
  return async (req, res) => {
    const params = requestParams(req);
    const client = await authenticateClient(ctx, params, req.headers.authorization, ctx.urls.revocation);
    const token = required(params, 'token');
    const rt = await ctx.models.refreshTokens.find(token);
    if (rt) {
      if (rt.clientId === client.client_id) await revokeGrant(ctx, rt.grantId);
    } else {
      const at = await verifyAccessToken(ctx, token);
      if (at && at.client_id === client.client_id) {
        await ctx.models.revocations.put(`jti:${at.jti}`, { kind: 'jti', at: nowSeconds() }, { expiresIn: Math.max(1, (at.exp ?? 0) - nowSeconds()) });
      }
    }
    res.set('Cache-Control', 'no-store').status(200).end();
  };
}
