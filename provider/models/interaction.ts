/**
 * A pending authorization request: validated at the authorization endpoint and kept while the
 * user signs in and consents (TTL `interactionTtl`).
 */
import type { AuthorizationDetail } from '../../shared/authorization_details.ts';
import type { ResponseMode } from '../endpoints/authorization/response_types.ts';

/** A validated authorization request, with the protocol's values already normalized. */
export interface AuthorizationRequest {
  readonly clientId: string;
  readonly redirectUri: string;
  /** Normalized (tokens sorted): `code`, `code id_token`, ... */
  readonly responseType: string;
  readonly responseMode: ResponseMode;
  /** Space-separated scopes, already checked against the client. */
  readonly scope: string;
  readonly state?: string;
  readonly nonce?: string;
  readonly codeChallenge?: string;
  readonly codeChallengeMethod?: 'S256';
  readonly prompt: readonly string[];
  readonly maxAge?: number;
  readonly loginHint?: string;
  /** RFC 9396 details the user is asked to approve (always shown on the consent page). */
  readonly authorizationDetails?: readonly AuthorizationDetail[];
}

export interface Interaction {
  readonly request: AuthorizationRequest;
  /** The user must sign in (again) before the request continues. */
  readonly loginRequired: boolean;
  /** With loginRequired: the session that was present when the request arrived and does not count. */
  readonly staleSid?: string;
}
