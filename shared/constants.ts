/** Protocol identifiers, ports and ids shared by the provider, the entity, the app and the CLI (the provider↔entity contract is in auth-channel.ts). */

/** @see https://openid.net/specs/openid-client-initiated-backchannel-authentication-core-1_0.html#rfc.section.10.1 */
export const CIBA_GRANT_TYPE = 'urn:openid:params:grant-type:ciba';
/** @see https://www.rfc-editor.org/rfc/rfc8628#section-3.4 */
export const DEVICE_CODE_GRANT_TYPE = 'urn:ietf:params:oauth:grant-type:device_code';

/** Default ports users see; tests always use port 0. */
export const DEFAULT_PROVIDER_PORT = 3000;
export const DEFAULT_SERVER_PORT = 3001;

/** Public client id of the device app at the provider. */
export const DEVICE_APP_CLIENT_ID = 'nod-device-app';

/** ID token claim names used by CIBA push mode. */
export const CLAIM_AUTH_REQ_ID = 'urn:openid:params:jwt:claim:auth_req_id';
export const CLAIM_RT_HASH = 'urn:openid:params:jwt:claim:rt_hash';

/**
 * Phishing-resistant authentication (OpenID EAP ACR value `phr`): an approval made with a
 * WebAuthn assertion with user verification. Its ID tokens carry these `amr` values: `hwk`
 * (proof of possession of a hardware-secured key) and `user` (user presence and verification).
 * @see https://openid.net/specs/openid-connect-eap-acr-values-1_0.html#section-2.1
 * @see https://www.rfc-editor.org/rfc/rfc8176#section-2
 */
export const ACR_PHR = 'phr';
export const AMR_PHR = ['hwk', 'user'] as const;
