/**
 * The contract between the authentication entity (server/) and the device app (device-app/).
 * Both sides import these types; paths are relative to the entity's base URL.
 *
 * Authentication: after enrollment the app holds a device session token and sends it as
 * `Authorization: Bearer <device_token>` on every /api call, and as the first WebSocket message.
 * Decisions are additionally signed with the device's non-extractable P-256 key (ES256 JWS).
 * Errors are the one ErrorResponse shape (shared/errors.ts) with a code from ENTITY_API_ERRORS
 * or an OAuth code (invalid_request, invalid_token).
 */

import type { AuthorizationDetail } from './authorization_details.ts';
import type { PasskeyAssertion } from './passkey-api.ts';

export const ENTITY_API = {
  /** GET: public bootstrap for the app. */
  config: '/api/config',
  /** POST: enroll this device (Authorization: Bearer <provider access token>) → 201 EnrollResponse. GET: DeviceInfo[] of the user. */
  devices: '/api/devices',
  /** PATCH {name} → DeviceInfo / DELETE → 204: one device of the signed-in user (DELETE of the own device = sign out). */
  device: (id: string) => `/api/devices/${encodeURIComponent(id)}`,
  /** GET: pending requests for the device's user (DeviceRequest[], oldest first). */
  requests: '/api/requests',
  /** GET: one request (pending or settled, while it is remembered). */
  request: (id: string) => `/api/requests/${encodeURIComponent(id)}`,
  /** POST: the user's decision on a request. */
  decision: (id: string) => `/api/requests/${encodeURIComponent(id)}/decision`,
  /** PUT {subscription: PushSubscriptionJSON} → PushStatus / DELETE → 204: this device's Web Push subscription. GET: PushStatus. */
  push: '/api/push',
  /** POST: send a test notification to this device. */
  pushTest: '/api/push/test',
  /** WebSocket endpoint. */
  ws: '/ws',
} as const;

/** GET /api/config */
export interface EntityConfig {
  /** The provider the app signs in at (authorization code + PKCE). */
  readonly issuer: string;
  /** The app's public client id at that provider. */
  readonly client_id: string;
  /** Scope the app requests at sign-in. */
  readonly scope: string;
  /** VAPID public key (base64url) for PushManager.subscribe. */
  readonly vapid_public_key: string;
  /** Where the app sends a TV's user code: the provider's device verification page. */
  readonly device_verification_uri?: string;
}

/** Longest device name, in characters (after trimming): the entity refuses longer, the app's field stops there. */
export const DEVICE_NAME_MAX_LENGTH = 64;

/** POST /api/devices body. */
export interface EnrollRequest {
  /** A name the user recognises, e.g. "Alice's Pixel" (1 to DEVICE_NAME_MAX_LENGTH characters). */
  readonly name: string;
  /** The device's public key, JWK of an EC P-256 key (kty, crv, x, y). */
  readonly public_key: { readonly kty: 'EC'; readonly crv: 'P-256'; readonly x: string; readonly y: string };
}

/** POST /api/devices answer (201). */
export interface EnrollResponse {
  readonly device_id: string;
  /** Bearer token for /api and /ws; shown once. */
  readonly device_token: string;
  /** Epoch seconds when the device session expires (renewed on use). */
  readonly expires_at: number;
  readonly user: { readonly sub: string; readonly username: string; readonly name?: string };
}

/** One of the user's devices (GET /api/devices). */
export interface DeviceInfo {
  readonly device_id: string;
  readonly name: string;
  readonly created_at: number;
  readonly last_seen_at?: number;
  readonly push: boolean;
  /** True for the device making the call. */
  readonly current: boolean;
  /** The device holds a passkey registered by the app (it can approve requests that ask for acr phr). */
  readonly passkey?: boolean;
}

/** Where a request stands: pending until the first decision or expiry settles it. */
export const REQUEST_STATUSES = ['pending', 'approved', 'denied', 'cancelled', 'expired', 'withdrawn'] as const;
export type RequestStatus = (typeof REQUEST_STATUSES)[number];

/** A backchannel authentication request as the app shows it. */
export interface DeviceRequest {
  readonly id: string;
  readonly status: RequestStatus;
  readonly binding_message?: string;
  /** Space-separated scope as requested. */
  readonly scope: string;
  /** The scopes in plain words, in request order. */
  readonly scopes: ReadonlyArray<{ readonly scope: string; readonly description: string }>;
  readonly acr_values?: string;
  readonly is_consent_required: boolean;
  /** Requesting client: display name (client_name when the provider sent one, else azp). */
  readonly client: string;
  readonly client_id?: string;
  readonly issuer: string;
  readonly created_at: number;
  /** Epoch seconds. */
  readonly expires_at: number;
  /** Set once settled: which device decided (when one did). */
  readonly decided_by?: string;
  /** RFC 9396 authorization details (a payment, account access...), shown first. */
  readonly authorization_details?: readonly AuthorizationDetail[];
  /** Set once settled by a device: its name then, for "Approved on Pixel 8". */
  readonly decided_on?: string;
  /** Set once settled, when there is more to say than the status (e.g. `wrong_number`). */
  readonly reason?: SettleReason;
  /**
   * Number matching: the numbers to offer, the right one among them, in the order to show.
   * Which one is right is never sent to the app; the entity checks the pick.
   */
  readonly number_choices?: readonly string[];
}

/** Reasons for a denial: "This wasn't me" → UNAUTHORIZED; "I changed my mind" → CANCELLED (auth-channel.ts CALLBACK_STATUS). */
export const DENY_REASONS = ['not_me', 'changed_mind'] as const;
export type DenyReason = (typeof DENY_REASONS)[number];

/** Why a request ended as it did: the user's deny reason, or `wrong_number` (a number-matching pick that was not the client's number). */
export type SettleReason = DenyReason | 'wrong_number';

/**
 * POST /api/requests/:id/decision body: `signed` is a compact JWS, ES256, made with the device
 * key, whose payload is a DecisionPayload. The entity checks the signature with the enrolled
 * public key, that `request_id` is the path's id, that `iat` is within 60 s, and then each
 * decision check (server/decisions/): a number-matching request needs `number` in the payload.
 */
export interface DecisionRequest {
  readonly signed: string;
}

export interface DecisionPayload {
  readonly request_id: string;
  readonly device_id: string;
  readonly decision: 'approve' | 'deny';
  readonly reason?: DenyReason;
  /** Number matching: the number the user tapped (required to approve such a request; covered by the signature). */
  readonly number?: string;
  /** Epoch seconds. */
  readonly iat: number;
  /**
   * shared/shown.ts: the hash of exactly what the screen showed. Required to approve a request
   * that carries authorization_details or asks for acr phr; checked whenever present.
   */
  readonly shown_hash?: string;
  /** The WebAuthn assertion of an approval that asks for acr phr (shared/passkey-api.ts). */
  readonly passkey?: PasskeyAssertion;
}

/** Answer to a decision (200); 409 already_settled or 410 expired (ENTITY_API_ERRORS) otherwise. */
export interface DecisionResponse {
  readonly id: string;
  readonly status: RequestStatus;
  /** Set when a decision check changed the answer: `wrong_number` (the picked number was not the client's, so the request was denied and flagged). */
  readonly reason?: SettleReason;
}

/** GET /api/push */
export interface PushStatus {
  readonly subscribed: boolean;
  readonly last_push_at?: number;
  readonly last_error?: string;
}

/** Web Push payload (small: details are fetched over the API). */
export interface PushPayload {
  readonly type: 'request' | 'settled' | 'test';
  readonly request_id?: string;
  readonly title: string;
  readonly body?: string;
}

/** WebSocket messages from the app. The first must be `auth` within 10 s. */
export type ClientMessage = { readonly type: 'auth'; readonly device_token: string } | { readonly type: 'pong' };

/** WebSocket messages from the entity, in order per connection. */
export type ServerMessage =
  | { readonly type: 'ready'; readonly device_id: string }
  | { readonly type: 'request'; readonly request: DeviceRequest }
  | {
      readonly type: 'settled';
      readonly id: string;
      readonly status: RequestStatus;
      readonly decided_by?: string;
      readonly decided_on?: string;
      readonly reason?: SettleReason;
    }
  | { readonly type: 'ping' }
  | { readonly type: 'error'; readonly error: string; readonly error_description?: string };

/** Error codes of the entity's API beyond the OAuth ones, with their HTTP status. */
export const ENTITY_API_ERRORS = {
  /** 404: no such resource, or not visible to this device's user. */
  notFound: 'not_found',
  /** 409: the request was already decided (here or on another device). */
  alreadySettled: 'already_settled',
  /** 410: the request expired before the decision arrived. */
  expired: 'expired',
  /** 400: a decision whose signature, request id, device or freshness does not check out. */
  invalidDecision: 'invalid_decision',
  /** 409: this device already holds a passkey (remove it first; shared/passkey-api.ts). */
  passkeyExists: 'passkey_exists',
  /** 400: approving a number-matching request needs the picked number inside the signed decision; nothing was settled. */
  numberRequired: 'number_required',
} as const;
