/**
 * PKCE at the authorization endpoint: S256 only (plain is refused, and so is a challenge
 * without a method, which would mean plain), required for public clients and clients
 * registered with require_pkce.
 * @see https://www.rfc-editor.org/rfc/rfc7636#section-4.3
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import { InvalidRequest } from '../../../shared/errors.ts';
import type { AuthorizationCheck } from './check.ts';

export const checkPkce: AuthorizationCheck = (client, params, draft) => {
  if (!draft.responseType!.split(' ').includes('code')) return;
  const challenge = params.code_challenge;
  const method = params.code_challenge_method;
  if (method !== undefined && method !== 'S256') throw new InvalidRequest(`code_challenge_method ${method} is not supported; use S256`);
  if (challenge === undefined) {
    if (method !== undefined) throw new InvalidRequest('code_challenge_method was sent without code_challenge');
    if (client.require_pkce || client.token_endpoint_auth_method === 'none') {
      throw new InvalidRequest('this client must use PKCE: send code_challenge and code_challenge_method=S256');
    }
    return;
  }
  if (method === undefined) throw new InvalidRequest('code_challenge_method is required (S256); the plain method is not supported');
  if (!/^[A-Za-z0-9_-]{43}$/.test(challenge)) throw new InvalidRequest('code_challenge must be the base64url SHA-256 of the code_verifier (43 characters)');
  draft.codeChallenge = challenge;
  draft.codeChallengeMethod = 'S256';
};

/** Whether `verifier` is well formed and hashes (S256) to `challenge`. @see https://www.rfc-editor.org/rfc/rfc7636#section-4.6 */
export function pkceMatches(verifier: string, challenge: string): boolean {
  if (!/^[A-Za-z0-9._~-]{43,128}$/.test(verifier)) return false;
  const computed = Buffer.from(createHash('sha256').update(verifier, 'ascii').digest('base64url'));
  const expected = Buffer.from(challenge);
  return computed.length === expected.length && timingSafeEqual(computed, expected);
}
