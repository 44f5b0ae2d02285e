/**
 * Token introspection for authenticated clients: access tokens and refresh tokens.
 * Only confidential clients may introspect: a public client's id is no secret, so letting it in
 * would let anyone probe tokens. Inactive, unknown and revoked tokens answer `{active: false}`.
 * @see https://www.rfc-editor.org/rfc/rfc7662
 */
import type { ProviderContext } from '../context.ts';
import type { FormEndpoint } from '../middleware/form_endpoint.ts';
import { InvalidClient } from '../../shared/errors.ts';
import { authenticateClient } from '../middleware/authenticate_client.ts';
import { required } from '../middleware/params.ts';
import { verifyAccessToken } from '../tokens/verify_access_token.ts';
import { defined } from '../../shared/defined.ts';

export function introspectionEndpoint(ctx: ProviderContext): FormEndpoint {
  return async ({ params, authorization, ip }) => {
    const client = await authenticateClient(ctx, params, authorization, ctx.urls.introspection, ip);
    if (client.token_endpoint_auth_method === 'none') throw new InvalidClient('public clients cannot use introspection');
    const token = required(params, 'token');
    const hint = params.token_type_hint;
    if (hint !== 'refresh_token') {
      const at = await verifyAccessToken(ctx, token);
      if (at) {
        return {
          body: {
            active: true,
            token_type: 'Bearer',
            client_id: at.client_id,
            scope: at.scope,
            sub: at.sub,
            iss: at.iss,
            aud: at.aud,
            exp: at.exp,
            iat: at.iat,
            jti: at.jti,
            ...(at.gid !== undefined ? { username: (await ctx.models.users.find(at.sub))?.username } : {}),
            ...defined({ acr: at.acr }),
            // RFC 9396 §9.2
            ...(at.authorization_details ? { authorization_details: at.authorization_details } : {}),
          },
        };
      }
    }
    const found = await ctx.models.refreshTokens.get(token);
    const rt = found?.value;
    const grant = found && rt && found.meta.consumedAt === undefined ? await ctx.models.grants.find(rt.grantId) : undefined;
    if (found && rt && grant) {
      return {
        body: {
          active: true,
          token_type: 'refresh_token',
          client_id: rt.clientId,
          scope: rt.scope,
          sub: rt.sub,
          iss: ctx.config.issuer,
          exp: found.meta.expiresAt,
          ...(grant.authorizationDetails ? { authorization_details: grant.authorizationDetails } : {}),
        },
      };
    }
    return { body: { active: false } };
  };
}
