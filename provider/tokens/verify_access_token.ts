/**
 * Verifies an access token this provider issued: signature, issuer, type, expiry, and that
 * neither the token nor its grant was revoked. Used by userinfo and introspection.
 */
import type { JWTPayload } from 'jose';
import type { ProviderContext } from '../context.ts';
import { defaults } from '../defaults.ts';
import type { AuthorizationDetail } from '../../shared/authorization_details.ts';

export interface AccessTokenClaims extends JWTPayload {
  readonly client_id: string;
  readonly scope: string;
  readonly gid?: string;
  readonly sub: string;
  readonly jti: string;
  readonly acr?: string;
  readonly authorization_details?: readonly AuthorizationDetail[];
}

/** The token's claims, or undefined when it is not (or no longer) valid. */
export async function verifyAccessToken(ctx: ProviderContext, token: string): Promise<AccessTokenClaims | undefined> {
  let payload: JWTPayload;
  try {
    ({ payload } = await ctx.keys.verify(token, { issuer: ctx.config.issuer, typ: 'at+jwt', algorithms: [defaults.accessTokenSigningAlg, 'RS256', 'ES256'] }));
  } catch {
    return undefined;
  }
  const claims = payload as AccessTokenClaims;
  if (typeof claims.jti !== 'string' || typeof claims.client_id !== 'string') return undefined;
  if (await ctx.models.revocations.find(`jti:${claims.jti}`)) return undefined;
  if (claims.gid !== undefined) {
    if (await ctx.models.revocations.find(`grant:${claims.gid}`)) return undefined;
    if (!(await ctx.models.grants.find(claims.gid))) return undefined;
  }
  return claims;
}
