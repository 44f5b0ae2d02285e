/**
 * The stored CIBA authentication request, keyed by its `auth_req_id`, and the delegation token
 * ids that point back at it. A request lives `expiresIn` plus `defaults.expiredRequestGrace`
 * so that late polls get expired_token rather than invalid_grant.
 * @see https://openid.net/specs/openid-client-initiated-backchannel-authentication-core-1_0.html#rfc.section.7.3
 */
import type { DELIVERY_MODES } from '../models/client.ts';
import type { PollableRequest } from '../grants/pollable.ts';
import { defaults } from '../defaults.ts';
import type { AuthorizationDetail } from '../../shared/authorization_details.ts';
import type { CallbackStatus } from '../../shared/auth-channel.ts';

export type DeliveryMode = (typeof DELIVERY_MODES)[number];

export interface CibaRequest extends PollableRequest {
  /** The user the request is for. */
  readonly sub: string;
  readonly scope: string;
  readonly mode: DeliveryMode;
  /** Id of the delegation bearer token; also the correlation id in logs (it is not a secret). */
  readonly jti: string;
  /** Epoch seconds. */
  readonly createdAt: number;
  /** What the delegation told the entity: the user has not yet consented to these scopes. */
  readonly consentRequired: boolean;
  readonly bindingMessage?: string;
  /** The request's acr_values, else the client's default_acr_values (ciba/acr_values.ts). */
  readonly acrValues?: string;
  /** RFC 9396 details the user is asked to approve; granted as they are on approval. */
  readonly authorizationDetails?: readonly AuthorizationDetail[];
  /** Bearer token for the client notification endpoint (ping and push). */
  readonly notificationToken?: string;
  /** Number matching: the number returned to the client and sent to the entity. */
  readonly bindingNumber?: string;
  /** The anti-fatigue window this request's slot was reserved with (seconds); absent when the limit was off for it. */
  readonly fatigueWindow?: number;
  /** Set once the client withdrew the request: whether the entity has been told yet (ciba/withdraw.ts). */
  readonly withdrawal?: { readonly entityTold: boolean };
  /** Set once approved. */
  readonly grantId?: string;
  /**
   * The callback status whose decision this request recorded (answered 200): the entity's retry
   * of that same callback, whose first answer it never heard, is answered 200 again and changes
   * nothing (endpoints/ciba_callback.ts). Absent when the provider refused or overruled it.
   */
  readonly acceptedCallback?: CallbackStatus;
}

/** Points a delegation token (by `jti`) at its request; consumed by the one accepted callback. */
export interface CibaDelegation {
  readonly authReqId: string;
  /**
   * hashSecret of the delegation token as signed: a callback presenting exactly this token is
   * ours without a signature check (endpoints/ciba_callback.ts). Absent on records stored before
   * it existed: their callbacks are verified by signature, as any other token.
   */
  readonly tokenHash?: string;
}

/** Seconds the record of a request expiring at `expiresAt` must still live. */
export function recordTtl(expiresAt: number, nowMs = Date.now()): number {
  return Math.max(1, Math.ceil(expiresAt - nowMs / 1000) + defaults.expiredRequestGrace);
}
