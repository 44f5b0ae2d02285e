/**
 * Nod's extension of the HTTP Authentication Channel: the provider withdraws a request its
 * client no longer needs by POSTing `{"status": "WITHDRAWN"}` to the delegation path with a
 * bearer token for that delegation. The token is verified like a delegation's (trusted issuer,
 * signature, audience, expiry); its issuer and `jti` name the request (a `jti` is single use per
 * issuer), and its `sub` must be the request's. Only the issuer can sign such a token. The
 * answer is 200 with the request's status (withdrawn, or how it had already ended); 404 when no
 * request matches. Keycloak never sends this; an entity that does not know it is unaffected.
 * @see ../../shared/auth-channel.ts
 */
import type { JWTPayload } from 'jose';
import type { ServerContext } from '../context.ts';
import { NotFound } from '../errors.ts';
import type { PendingRequest } from '../models.ts';
import type { RequestLifecycle } from '../requests/lifecycle.ts';

/** Withdraws the request of the delegation a verified token from `issuer` names (by `jti`, checked against `sub`). */
export async function withdrawByToken(ctx: ServerContext, lifecycle: RequestLifecycle, issuer: string, claims: JWTPayload): Promise<PendingRequest> {
  const r = (await ctx.models.requests.findBy('jti', String(claims.jti)))
    .map(({ value }) => value)
    .find((x) => x.issuer === issuer && (x.sub === undefined || x.sub === claims.sub));
  if (!r) throw new NotFound('no request was delegated with this token');
  return lifecycle.withdraw(r);
}
