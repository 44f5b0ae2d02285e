/** Wire types exchanged between components. Protocol snake_case names, readonly. */
import type { CallbackStatus } from './constants.ts';

/**
 * Body the provider POSTs to the authentication entity (Keycloak's HTTP Authentication Channel).
 * The first five fields are Keycloak's; the rest are optional extras from Nod's provider.
 */
export interface DelegationRequest {
  readonly login_hint: string;
  readonly scope: string;
  readonly is_consent_required: boolean;
  readonly binding_message?: string;
  readonly acr_values?: string;
  readonly client_id?: string;
  readonly client_name?: string;
}

/** Body the entity POSTs to the provider's callback endpoint. */
export interface CallbackRequest {
  readonly status: CallbackStatus;
}

/** JSON error body of every OAuth endpoint. */
export interface ErrorResponse {
  readonly error: string;
  readonly error_description?: string;
}

/** Successful backchannel authentication response. */
export interface BackchannelAuthenticationResponse {
  readonly auth_req_id: string;
  readonly expires_in: number;
  readonly interval?: number;
}

/** Token endpoint success response. */
export interface TokenResponse {
  readonly access_token: string;
  readonly token_type: 'Bearer';
  readonly expires_in: number;
  readonly scope?: string;
  readonly id_token?: string;
  readonly refresh_token?: string;
}
