/**
 * Verifies the provider access token the app presents at enrollment and resolves the user:
 * signature by the enroll issuer's JWKS, an access token (`typ` at+jwt per RFC 9068, or
 * Keycloak's `typ: Bearer` claim), unexpired, issued to the device app (`client_id`, or `azp`).
 *
 * Username mapping: the `preferred_username` claim of the token when present (Keycloak puts it
 * in access tokens); otherwise the issuer's userinfo endpoint is called with the token (which
 * also checks that the token was not revoked) and its `preferred_username` is used, with `sub`
 * required to match. `login_hint` is then matched against it case-insensitively.
 * @see https://www.rfc-editor.org/rfc/rfc9068#section-4
 * @see https://openid.net/specs/openid-connect-core-1_0.html#UserInfo
 */
import { decodeProtectedHeader } from 'jose';
import { InsufficientScope, InvalidToken, TemporarilyUnavailable } from '../../shared/errors.ts';
import type { ServerContext } from '../context.ts';
import { withChallenge } from '../middleware/bearer.ts';
import { defaults } from '../defaults.ts';
import { verifyIssuerToken } from './verify_issuer_token.ts';

export interface EnrollingUser {
  readonly issuer: string;
  readonly sub: string;
  readonly username: string;
  readonly name?: string;
}

export async function verifyEnrollmentToken(ctx: ServerContext, token: string): Promise<EnrollingUser> {
  const { issuer, payload } = await verifyIssuerToken(ctx.issuers, token, { issuers: [ctx.config.enrollIssuer], requiredClaims: ['sub'] }).catch((e) => {
    throw e instanceof InvalidToken ? withChallenge(e) : e;
  });
  const typ = decodeProtectedHeader(token).typ?.toLowerCase();
  const isAccessToken = typ === 'at+jwt' || typ === 'application/at+jwt' || payload.typ === 'Bearer';
  if (!isAccessToken) throw withChallenge(new InvalidToken('an access token is required (typ at+jwt)'));
  const client = payload.client_id ?? payload.azp;
  if (client !== ctx.config.appClientId) throw withChallenge(new InvalidToken(`the token was not issued to ${ctx.config.appClientId}`));
  const sub = payload.sub!;
  if (typeof payload.preferred_username === 'string' && payload.preferred_username) {
    return { issuer, sub, username: payload.preferred_username, ...(typeof payload.name === 'string' ? { name: payload.name } : {}) };
  }
  const { metadata } = await ctx.issuers.get(issuer);
  if (!metadata.userinfo_endpoint) throw new InsufficientScope('the token carries no preferred_username and the issuer has no userinfo endpoint');
  const res = await fetch(metadata.userinfo_endpoint, {
    headers: { authorization: `Bearer ${token}` },
    redirect: 'error',
    signal: AbortSignal.timeout(defaults.fetchTimeoutMs),
  }).catch(() => undefined);
  if (!res) throw new TemporarilyUnavailable('the issuer userinfo endpoint could not be reached');
  if (res.status === 401) throw withChallenge(new InvalidToken('the issuer no longer accepts this token'));
  if (!res.ok) throw withChallenge(new InvalidToken(`the issuer's userinfo answered ${res.status}`));
  const info = (await res.json().catch(() => ({}))) as Record<string, unknown>;
  if (info.sub !== sub) throw withChallenge(new InvalidToken('userinfo sub does not match the token'));
  if (typeof info.preferred_username !== 'string' || !info.preferred_username) {
    throw new InsufficientScope('the issuer released no preferred_username: sign in with scope profile');
  }
  return { issuer, sub, username: info.preferred_username, ...(typeof info.name === 'string' ? { name: info.name } : {}) };
}
