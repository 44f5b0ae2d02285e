/** Protocol identifiers and fixed paths shared by the provider, the entity and the app. */

/** @see https://openid.net/specs/openid-client-initiated-backchannel-authentication-core-1_0.html#rfc.section.10.1 */
export const CIBA_GRANT_TYPE = 'urn:openid:params:grant-type:ciba';
/** @see https://www.rfc-editor.org/rfc/rfc8628#section-3.4 */
export const DEVICE_CODE_GRANT_TYPE = 'urn:ietf:params:oauth:grant-type:device_code';

/** The HTTP Authentication Channel callback, relative to the issuer (same as Keycloak's). */
export const CIBA_CALLBACK_PATH = '/protocol/openid-connect/ext/ciba/auth/callback';
/** Where the entity (server/) receives delegations by default. */
export const DELEGATION_PATH = '/ciba/delegation';

/** Default ports users see; tests always use port 0. */
export const DEFAULT_PROVIDER_PORT = 3000;
export const DEFAULT_SERVER_PORT = 3001;

/** Public client id of the device app at the provider. */
export const DEVICE_APP_CLIENT_ID = 'nod-device-app';

/** Decision statuses of the HTTP Authentication Channel callback. */
export const CALLBACK_STATUSES = ['SUCCEED', 'UNAUTHORIZED', 'CANCELLED'] as const;
export type CallbackStatus = (typeof CALLBACK_STATUSES)[number];

/** ID token claim names used by CIBA push mode. */
export const CLAIM_AUTH_REQ_ID = 'urn:openid:params:jwt:claim:auth_req_id';
export const CLAIM_RT_HASH = 'urn:openid:params:jwt:claim:rt_hash';
