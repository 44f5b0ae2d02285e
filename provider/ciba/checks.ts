/**
 * Single-purpose checks of a backchannel authentication request, composed in
 * endpoints/backchannel_authentication.ts. Each throws the spec's error code.
 * @see https://openid.net/specs/openid-client-initiated-backchannel-authentication-core-1_0.html#rfc.section.7.1
 * @see https://openid.net/specs/openid-client-initiated-backchannel-authentication-core-1_0.html#rfc.section.13
 */
import { AccessDenied, InvalidRequest, InvalidScope, UnauthorizedClient } from '../../shared/errors.ts';
import { CIBA_GRANT_TYPE } from '../../shared/constants.ts';
import { allowedScopes, type Client } from '../models/client.ts';
import { isLocked, type User } from '../models/user.ts';
import { spaceList, type Params } from '../middleware/params.ts';
import { defaults } from '../defaults.ts';
import { deliveryModeOf, type CibaPolicy } from './policy.ts';
import type { DeliveryMode } from './request.ts';

/**
 * The client must be registered for the CIBA grant type. Returns its delivery mode: its own, or
 * the policy's default when it registered none; a ping or push default needs the client's
 * notification endpoint, so a client without one is refused (unauthorized_client).
 */
export function assertCibaClient(client: Client, policy: CibaPolicy): DeliveryMode {
  if (!client.grant_types.includes(CIBA_GRANT_TYPE)) throw new UnauthorizedClient(`client is not registered for ${CIBA_GRANT_TYPE}`);
  const mode = deliveryModeOf(client, policy);
  if (mode !== 'poll' && !client.backchannel_client_notification_endpoint) {
    throw new UnauthorizedClient(
      `the provider's default token delivery mode is ${mode}, which needs a backchannel_client_notification_endpoint; this client registered none (register one, or backchannel_token_delivery_mode poll)`,
    );
  }
  return mode;
}

/** `scope` is required, must contain `openid`, and every value must be allowed for the client. */
export function checkScope(client: Client, params: Params): string {
  const scopes = [...new Set(spaceList(params.scope))];
  if (scopes.length === 0) throw new InvalidRequest('missing required parameter scope');
  if (!scopes.includes('openid')) throw new InvalidRequest('scope must contain openid');
  const bad = allowedScopes(client, scopes);
  if (bad.length) throw new InvalidScope(`scope not allowed for this client: ${bad.join(' ')}`);
  return scopes.join(' ');
}

export type Hint =
  | { readonly kind: 'login_hint'; readonly value: string }
  | { readonly kind: 'login_hint_token'; readonly value: string }
  | { readonly kind: 'id_token_hint'; readonly value: string };

/** Exactly one of login_hint, login_hint_token, id_token_hint. */
export function pickHint(params: Params): Hint {
  const given = (['login_hint', 'login_hint_token', 'id_token_hint'] as const).filter((k) => params[k] !== undefined);
  if (given.length !== 1) throw new InvalidRequest('send exactly one of login_hint, login_hint_token, id_token_hint');
  return { kind: given[0]!, value: params[given[0]!]! } as Hint;
}

/** The policy may turn hints off: one it does not accept is refused with invalid_request. */
export function checkHintAccepted(policy: CibaPolicy, hint: Hint): void {
  if (policy.acceptedHints.includes(hint.kind)) return;
  throw new InvalidRequest(`${hint.kind} is not accepted by this provider's CIBA policy (accepted: ${policy.acceptedHints.join(', ')})`);
}

/**
 * The request's lifetime in seconds: `requested_expiry` (a positive integer, as a number or a
 * numeric string) or the client's or policy's default, never above the policy maximum.
 */
export function checkRequestedExpiry(params: Params, client: Client, policy: CibaPolicy): number {
  const raw = params.requested_expiry;
  let expiresIn = client.ciba_expires_in ?? policy.expiresIn;
  if (raw !== undefined) {
    if (!/^[0-9]{1,9}$/.test(raw.trim()) || Number(raw) <= 0) throw new InvalidRequest('requested_expiry must be a positive integer (seconds)');
    expiresIn = Number(raw);
  }
  return Math.min(expiresIn, policy.maxExpiresIn);
}

/** RFC 6750 section 2.1 b64token. */
const B64TOKEN = /^[A-Za-z0-9\-._~+/]+=*$/;

/** Ping and push clients must send a client_notification_token (bearer syntax, at most 1024 characters). */
export function checkNotificationToken(mode: DeliveryMode, params: Params): string | undefined {
  const token = params.client_notification_token;
  if (mode === 'poll') return undefined;
  if (token === undefined) throw new InvalidRequest(`client_notification_token is required in ${mode} mode`);
  if (token.length > defaults.clientNotificationTokenMaxLength || !B64TOKEN.test(token)) {
    throw new InvalidRequest(`client_notification_token must be an RFC 6750 bearer token of at most ${defaults.clientNotificationTokenMaxLength} characters`);
  }
  return token;
}

/** A locked account (too many wrong passwords) cannot approve anything through CIBA. */
export function assertNotLocked(user: User): void {
  if (isLocked(user)) throw new AccessDenied('the user account is locked');
}
