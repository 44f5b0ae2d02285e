/**
 * Response types and modes of the authorization endpoint.
 * @see https://openid.net/specs/oauth-v2-multiple-response-types-1_0.html
 * @see https://openid.net/specs/oauth-v2-form-post-response-mode-1_0.html
 */
export const SUPPORTED_RESPONSE_TYPES = ['code', 'id_token', 'id_token token', 'code id_token', 'code token', 'code id_token token'] as const;
export const RESPONSE_MODES = ['query', 'fragment', 'form_post'] as const;
