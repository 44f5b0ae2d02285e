/**
 * Response types and modes of the authorization endpoint.
 * @see https://openid.net/specs/oauth-v2-multiple-response-types-1_0.html
 * @see https://openid.net/specs/oauth-v2-form-post-response-mode-1_0.html
 */
/** `token` is the plain OAuth 2.0 implicit response (RFC 6749 §4.2): an access token, no ID token, no nonce. */
export const SUPPORTED_RESPONSE_TYPES = ['code', 'id_token', 'id_token token', 'code id_token', 'code token', 'code id_token token', 'token'] as const;
export const RESPONSE_MODES = ['query', 'fragment', 'form_post'] as const;
export type ResponseMode = (typeof RESPONSE_MODES)[number];

/** The canonical spelling of a response type: its values sorted (`token id_token` → `id_token token`). */
export function normalizeResponseType(value: string): string {
  return value.split(' ').filter(Boolean).sort().join(' ');
}

/** True when the response type delivers a token (access or ID) through the front channel. */
export function returnsTokens(responseType: string): boolean {
  const values = responseType.split(' ');
  return values.includes('token') || values.includes('id_token');
}

/** The default mode: query for `code`, fragment for anything returning tokens (Multiple Response Types §5). */
export function defaultResponseMode(responseType: string): ResponseMode {
  return returnsTokens(responseType) ? 'fragment' : 'query';
}
