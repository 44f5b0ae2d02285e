/**
 * The contract between the provider and the authentication entity: Keycloak's CIBA HTTP
 * Authentication Channel, plus Nod's optional extensions. Both sides import it; nothing else
 * spells these paths, fields or statuses.
 *
 * 1. Provider → entity: `POST <delegation URI>` (default path DELEGATION_PATH),
 *    `Authorization: Bearer <DelegationTokenClaims signed by the provider>`, JSON DelegationRequest.
 *    The entity answers 201 DelegationAccepted once the request is stored; anything else fails it.
 * 2. Entity → provider: `POST {iss}` + CIBA_CALLBACK_PATH with the same bearer token and a
 *    CallbackRequest; the provider answers 200 `{}`. Errors are the one ErrorResponse shape.
 * 3. Nod's extension, provider → entity: `POST <delegation URI>` with a bearer token for the same
 *    delegation (the same claims, `jti` included, signed again) and a WithdrawalNotice, when the
 *    client withdrew the request; the entity answers 200 WithdrawalAnswer.
 * @see https://www.keycloak.org/docs/latest/server_admin/#_client_initiated_backchannel_authentication_grant
 */
import { InvalidRequest } from './errors.ts';
import { checkAuthorizationDetailsValue, type AuthorizationDetail } from './authorization_details.ts';
import { BINDING_NUMBER_PATTERN } from './ciba-extensions.ts';
import { defined } from './defined.ts';

/** Where the entity (server/) receives delegations by default (`NOD_DELEGATION_PATH`). */
export const DELEGATION_PATH = '/ciba/delegation';
/** The callback, relative to the issuer: the same as Keycloak's, so an entity works with both. */
export const CIBA_CALLBACK_PATH = '/protocol/openid-connect/ext/ciba/auth/callback';

/** The user's decision, as the callback carries it. UNAUTHORIZED and CANCELLED both end as access_denied. */
export const CALLBACK_STATUS = {
  /** The user approved. */
  approved: 'SUCCEED',
  /** The user denied: "this wasn't me". */
  denied: 'UNAUTHORIZED',
  /** The user denied: "I changed my mind". */
  cancelled: 'CANCELLED',
} as const;
export type CallbackStatus = (typeof CALLBACK_STATUS)[keyof typeof CALLBACK_STATUS];
export const CALLBACK_STATUSES: readonly CallbackStatus[] = Object.values(CALLBACK_STATUS);

/** Keycloak's five fields: an entity must work with these alone. */
export interface KeycloakDelegationFields {
  /** The user, as the client named them (Keycloak: the username). */
  readonly login_hint: string;
  /** Space-separated scope. */
  readonly scope: string;
  readonly is_consent_required: boolean;
  readonly binding_message?: string;
  readonly acr_values?: string;
}

/**
 * Nod's optional extensions to the delegation body. Keycloak never sends them, so the entity
 * and the app must not depend on any; add new ones here, with their limit in DELEGATION_LIMITS
 * and their check in parseDelegationRequest.
 */
export interface DelegationExtensions {
  /** The requesting client's id (else the token's `azp`). */
  readonly client_id?: string;
  /** The requesting client's display name. */
  readonly client_name?: string;
  /**
   * RFC 9396 authorization details the user is asked to approve (a payment...), checked by the
   * provider; the entity applies the same structural checks and size limit (authorization_details.ts).
   */
  readonly authorization_details?: readonly AuthorizationDetail[];
  /**
   * Number matching (ciba-extensions.ts): the two-digit number the client shows, as a string
   * ("42"). The entity offers it among decoys and checks the user's pick; it never reaches a
   * notification.
   */
  readonly binding_number?: string;
}

/** Body the provider POSTs to the entity. */
export interface DelegationRequest extends KeycloakDelegationFields, DelegationExtensions {}

/** Longest value the entity accepts per field, in characters; a longer one is invalid_request. */
export const DELEGATION_LIMITS = {
  login_hint: 256,
  binding_message: 256,
  scope: 2048,
  acr_values: 2048,
  client_id: 256,
  client_name: 256,
  binding_number: 2,
} as const satisfies Record<Exclude<keyof DelegationRequest, 'is_consent_required' | 'authorization_details'>, number>;

/** The entity's 201 answer to a delegation. */
export interface DelegationAccepted {
  /** The entity's own id of the request. */
  readonly id: string;
  /** Epoch seconds: the delegation token's `exp`. */
  readonly expires_at: number;
}

/**
 * Claims of the delegation bearer token (a JWS by the issuer's key, in its JWKS). `aud` is the
 * issuer, as Keycloak does; `jti` is single use at the entity and at the callback; `exp` is the
 * request's expiry. Our provider always sends `sub` and `azp`; Keycloak's token may lack them.
 */
export interface DelegationTokenClaims {
  readonly iss: string;
  readonly aud: string;
  readonly jti: string;
  readonly sub?: string;
  readonly azp?: string;
  readonly iat: number;
  readonly exp: number;
}

/** Body the entity POSTs to the provider's callback. */
export interface CallbackRequest {
  readonly status: CallbackStatus;
  /**
   * Nod extension, on SUCCEED: how the user approved. `acr` is "phr" after a verified passkey
   * assertion with user verification; `amr` then lists the methods, space-separated ("hwk user").
   * Both are strings: Keycloak's callback reader takes extra members as strings only.
   */
  readonly acr?: string;
  readonly amr?: string;
}

/** Longest `acr` and `amr` a callback may carry, and the shape of one amr value (RFC 8176 names). */
export const CALLBACK_LIMITS = { acr: 256, amr: 256 } as const;
const AMR_VALUE = /^[A-Za-z0-9_.-]{1,32}$/;
/** Nod's withdrawal notice (3. above): the `status` of its body. */
export const WITHDRAWN_CHANNEL_STATUS = 'WITHDRAWN';

/** Body of the withdrawal notice. */
export interface WithdrawalNotice {
  readonly status: typeof WITHDRAWN_CHANNEL_STATUS;
}

/** The entity's 200 answer to a withdrawal notice: the request's status now (withdrawn, or how it had already ended). */
export interface WithdrawalAnswer {
  readonly id: string;
  readonly status: string;
}

/** Whether a body POSTed to the delegation path is a withdrawal notice rather than a delegation. */
export function isWithdrawalNotice(raw: unknown): raw is WithdrawalNotice {
  return typeof raw === 'object' && raw !== null && (raw as { status?: unknown }).status === WITHDRAWN_CHANNEL_STATUS;
}

type Fields = Record<string, unknown>;

function asObject(raw: unknown): Fields {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) throw new InvalidRequest('expected a JSON object body (Content-Type: application/json)');
  return raw as Fields;
}

/** An optional string field: absent or null is undefined; anything else must be a string within its limit. */
function optional(body: Fields, name: keyof typeof DELEGATION_LIMITS): string | undefined {
  const v = body[name];
  const max = DELEGATION_LIMITS[name];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'string' || v.length > max) throw new InvalidRequest(`${name} must be a string of at most ${max} characters`);
  return v;
}

/** Validates a delegation body (the entity's side); unknown extra fields are ignored. Throws InvalidRequest. */
export function parseDelegationRequest(raw: unknown): DelegationRequest {
  const body = asObject(raw);
  const login_hint = body.login_hint;
  if (typeof login_hint !== 'string' || !login_hint.trim() || login_hint.length > DELEGATION_LIMITS.login_hint) {
    throw new InvalidRequest('login_hint is required: a non-empty string');
  }
  const scope = body.scope;
  if (typeof scope !== 'string' || scope.length > DELEGATION_LIMITS.scope) throw new InvalidRequest('scope is required: a space-separated string');
  const consent = body.is_consent_required;
  if (typeof consent !== 'boolean') throw new InvalidRequest('is_consent_required is required: a boolean');
  const out: { -readonly [K in keyof DelegationRequest]: DelegationRequest[K] } = {
    login_hint: login_hint.trim(),
    scope: scope.split(' ').filter(Boolean).join(' '),
    is_consent_required: consent,
  };
  for (const name of ['binding_message', 'acr_values', 'client_id', 'client_name'] as const) {
    const v = optional(body, name);
    if (v !== undefined) out[name] = v;
  }
  if (body.authorization_details !== undefined && body.authorization_details !== null) {
    const checked = checkAuthorizationDetailsValue(body.authorization_details);
    if ('problem' in checked) throw new InvalidRequest(checked.problem);
    out.authorization_details = checked.details;
  }
  const number = body.binding_number;
  if (number !== undefined && number !== null) {
    if (typeof number !== 'string' || !BINDING_NUMBER_PATTERN.test(number))
      throw new InvalidRequest('binding_number must be a two-digit number (10-99) as a string');
    out.binding_number = number;
  }
  return out;
}

/** Validates a callback body (the provider's side): `{"status": "SUCCEED" | "UNAUTHORIZED" | "CANCELLED"}`. Throws InvalidRequest. */
export function parseCallbackRequest(raw: unknown): CallbackRequest {
  const status = (raw as { status?: unknown } | undefined)?.status;
  if (typeof status !== 'string' || !(CALLBACK_STATUSES as readonly string[]).includes(status)) {
    throw new InvalidRequest(`the body must be JSON {"status": ${CALLBACK_STATUSES.map((s) => `"${s}"`).join(' | ')}}`);
  }
  const { acr, amr } = raw as { acr?: unknown; amr?: unknown };
  if (acr !== undefined && (typeof acr !== 'string' || acr.length > CALLBACK_LIMITS.acr)) throw new InvalidRequest('acr must be a string');
  if (amr !== undefined && (typeof amr !== 'string' || amr.length > CALLBACK_LIMITS.amr || !amr.split(' ').every((v) => AMR_VALUE.test(v)))) {
    throw new InvalidRequest('amr must be a space-separated string of authentication method references');
  }
  return { status: status as CallbackStatus, ...defined({ acr, amr }) };
}
