/**
 * OpenID Provider metadata: lists exactly what this provider implements.
 * @see https://openid.net/specs/openid-connect-discovery-1_0.html#ProviderMetadata
 * @see https://www.rfc-editor.org/rfc/rfc8414#section-2
 */
import type { RequestHandler } from 'express';
import type { ProviderContext } from '../context.ts';
import { grantTypes } from '../grants/index.ts';
import { CLIENT_AUTH_METHODS, CLIENT_ASSERTION_ALGS } from '../middleware/authenticate_client.ts';
import { ID_TOKEN_ALGS } from '../models/client.ts';
import { scopeClaims, scopeDescriptions } from '../defaults.ts';
import { acrValuesSupported } from '../acr.ts';
import { RESPONSE_MODES, SUPPORTED_RESPONSE_TYPES } from './authorization/response_types.ts';
import { deviceMetadata } from './device_authorization.ts';
import { cibaMetadata } from '../ciba/metadata.ts';
import { checkSessionMetadata } from './check_session.ts';
import { authorizationDetailsMetadata } from '../authorization_details/metadata.ts';

/** The metadata document (also used by tests and the CLI). */
export async function discoveryDocument(ctx: ProviderContext): Promise<Record<string, unknown>> {
  const { issuer } = ctx.config;
  const u = ctx.urls;
  const grants = [...grantTypes.keys()];
  if (SUPPORTED_RESPONSE_TYPES.some((r) => r !== 'code')) grants.push('implicit');
  return {
    issuer,
    authorization_endpoint: u.authorization,
    token_endpoint: u.token,
    userinfo_endpoint: u.userinfo,
    jwks_uri: u.jwks,
    introspection_endpoint: u.introspection,
    revocation_endpoint: u.revocation,
    end_session_endpoint: u.endSession,
    scopes_supported: Object.keys(scopeDescriptions),
    response_types_supported: [...SUPPORTED_RESPONSE_TYPES],
    response_modes_supported: [...RESPONSE_MODES],
    grant_types_supported: grants,
    subject_types_supported: ['public'],
    id_token_signing_alg_values_supported: [...ID_TOKEN_ALGS],
    token_endpoint_auth_methods_supported: [...CLIENT_AUTH_METHODS],
    token_endpoint_auth_signing_alg_values_supported: [...CLIENT_ASSERTION_ALGS],
    introspection_endpoint_auth_methods_supported: CLIENT_AUTH_METHODS.filter((m) => m !== 'none'),
    introspection_endpoint_auth_signing_alg_values_supported: [...CLIENT_ASSERTION_ALGS],
    revocation_endpoint_auth_methods_supported: [...CLIENT_AUTH_METHODS],
    revocation_endpoint_auth_signing_alg_values_supported: [...CLIENT_ASSERTION_ALGS],
    code_challenge_methods_supported: ['S256'],
    claims_supported: [
      'sub',
      'iss',
      'aud',
      'exp',
      'iat',
      'auth_time',
      'nonce',
      'acr',
      'amr',
      'sid',
      'azp',
      'at_hash',
      'c_hash',
      's_hash',
      ...new Set(Object.values(scopeClaims).flat()),
    ],
    claim_types_supported: ['normal'],
    claims_parameter_supported: false,
    request_parameter_supported: false,
    request_uri_parameter_supported: false,
    prompt_values_supported: ['none', 'login', 'consent'],
    acr_values_supported: acrValuesSupported(),
    authorization_response_iss_parameter_supported: true,
    frontchannel_logout_supported: false,
    backchannel_logout_supported: true,
    backchannel_logout_session_supported: true,
    ...Object.assign({}, ...(await Promise.all(extraMetadata.map((f) => f(ctx))))),
  };
}

/** Features that live in their own modules contribute their metadata here (CIBA, device flow, sessions, RAR). */
const extraMetadata: ReadonlyArray<(ctx: ProviderContext) => Record<string, unknown> | Promise<Record<string, unknown>>> = [
  deviceMetadata,
  cibaMetadata,
  checkSessionMetadata,
  authorizationDetailsMetadata,
];

export function discoveryEndpoint(ctx: ProviderContext): RequestHandler {
  return async (_req, res) => {
    res.set('Cache-Control', 'public, max-age=300').json(await discoveryDocument(ctx));
  };
}
