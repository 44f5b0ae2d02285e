/** OAuth wire types the provider answers with and the clients read. Protocol snake_case names, readonly. Errors: ErrorResponse in errors.ts; the provider↔entity contract: auth-channel.ts. */
import type { AuthorizationDetail } from './authorization_details.ts';

/** Successful backchannel authentication response. */
export interface BackchannelAuthenticationResponse {
  readonly auth_req_id: string;
  readonly expires_in: number;
  readonly interval?: number;
  /** Number matching: the two-digit number the client shows beside its binding message. */
  readonly binding_number?: string;
}

/** Token endpoint success response. */
export interface TokenResponse {
  readonly access_token: string;
  readonly token_type: 'Bearer';
  readonly expires_in: number;
  readonly scope?: string;
  readonly id_token?: string;
  readonly refresh_token?: string;
  /** RFC 9396 §7: the authorization details granted. */
  readonly authorization_details?: readonly AuthorizationDetail[];
}
