/**
 * Userinfo, GET and POST, with a bearer access token (header, or form body on POST).
 * @see https://openid.net/specs/openid-connect-core-1_0.html#UserInfo
 * @see https://www.rfc-editor.org/rfc/rfc6750#section-2
 */
import type { RequestHandler, Request } from 'express';
import { InvalidRequest, InvalidToken, InsufficientScope, type OAuthError } from '../../shared/errors.ts';
import type { ProviderContext } from '../context.ts';
import { verifyAccessToken } from '../tokens/verify_access_token.ts';
import { claimsForScopes } from '../tokens/claims.ts';
import { toParams } from '../middleware/params.ts';

function bearer(req: Request): string {
  const header = req.headers.authorization;
  const fromBody = req.method === 'POST' && req.is('application/x-www-form-urlencoded') ? toParams(req.body).access_token : undefined;
  if (header && fromBody) throw new InvalidRequest('send the access token in one place only');
  if (header) {
    const m = /^Bearer ([A-Za-z0-9\-._~+/]+=*)$/i.exec(header);
    if (!m) throw withChallenge(new InvalidToken('malformed Authorization header'));
    return m[1]!;
  }
  if (fromBody) return fromBody;
  const e = new InvalidToken('an access token is required');
  e.headers['WWW-Authenticate'] = 'Bearer realm="nod"';
  throw e;
}

function withChallenge(e: OAuthError): OAuthError {
  e.headers['WWW-Authenticate'] = `Bearer realm="nod", error="${e.error}", error_description="${e.description}"`;
  return e;
}

export function userinfoEndpoint(ctx: ProviderContext): RequestHandler {
  return async (req, res) => {
    const claims = await verifyAccessToken(ctx, bearer(req));
    if (!claims || claims.gid === undefined) throw withChallenge(new InvalidToken('the access token is invalid, expired or revoked'));
    const scopes = claims.scope.split(' ');
    if (!scopes.includes('openid')) throw withChallenge(new InsufficientScope('the access token was not issued for openid'));
    const user = await ctx.models.users.find(claims.sub);
    if (!user) throw withChallenge(new InvalidToken('the user no longer exists'));
    res.set('Cache-Control', 'no-store').json(claimsForScopes(user, scopes));
  };
}
