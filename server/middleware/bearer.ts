/** Reads an RFC 6750 bearer token from the Authorization header. @see https://www.rfc-editor.org/rfc/rfc6750#section-2.1 */
import type { Request } from 'express';
import { InvalidToken, type OAuthError } from '../../shared/errors.ts';

/** Adds the RFC 6750 challenge to a 401. */
export function withChallenge(e: OAuthError, realm = 'nod-entity'): OAuthError {
  e.headers['WWW-Authenticate'] =
    e.status === 401 && e.error === 'invalid_token' && e.description
      ? `Bearer realm="${realm}", error="invalid_token", error_description="${e.description.replace(/"/g, "'")}"`
      : `Bearer realm="${realm}"`;
  return e;
}

/** The bearer token, or a 401 invalid_token with a challenge. */
export function bearerToken(req: Request): string {
  return bearerTokenOf(req.headers.authorization);
}

/** The bearer token of an Authorization header value, or a 401 invalid_token with a challenge. */
export function bearerTokenOf(header: string | undefined): string {
  if (!header) throw withChallenge(new InvalidToken('a bearer token is required'));
  const m = /^Bearer ([A-Za-z0-9\-._~+/]+=*)$/i.exec(header);
  if (!m) throw withChallenge(new InvalidToken('malformed Authorization header'));
  return m[1]!;
}
