/**
 * Registered clients, with RFC 7591 metadata names. `validateClientMetadata` is the one gate a
 * client definition passes (admin command, demo seed): a bad definition is refused with a
 * message that names the field and what is allowed.
 * @see https://www.rfc-editor.org/rfc/rfc7591#section-2
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { InvalidClientMetadata } from '../../shared/errors.ts';
import { CIBA_GRANT_TYPE, DEVICE_CODE_GRANT_TYPE } from '../../shared/constants.ts';
import { authorizationDetailsTypesMetadata } from './client_authorization_details_types.ts';
import { defaultAcrValuesMetadata } from './client_default_acr_values.ts';
import { backchannelLogoutMetadata, type BackchannelLogoutMetadata } from './client_backchannel_logout.ts';
import { NUMBER_MATCHING_METADATA } from '../../shared/ciba-extensions.ts';
import { defined } from '../../shared/defined.ts';

export const GRANT_TYPES = ['authorization_code', 'implicit', 'refresh_token', 'client_credentials', CIBA_GRANT_TYPE, DEVICE_CODE_GRANT_TYPE] as const;
export const RESPONSE_TYPES = ['code', 'id_token', 'id_token token', 'code id_token', 'code token', 'code id_token token', 'token'] as const;
export const AUTH_METHODS = ['client_secret_basic', 'client_secret_post', 'private_key_jwt', 'none'] as const;
export const ID_TOKEN_ALGS = ['RS256', 'ES256'] as const;
export const REQUEST_OBJECT_ALGS = ['RS256', 'PS256', 'ES256'] as const;
export const DELIVERY_MODES = ['poll', 'ping', 'push'] as const;

export interface Client extends Readonly<BackchannelLogoutMetadata> {
  readonly client_id: string;
  /** SHA-256 of the secret (hex); the secret itself is never stored. */
  readonly client_secret_hash?: string;
  readonly client_name?: string;
  readonly redirect_uris: readonly string[];
  readonly post_logout_redirect_uris: readonly string[];
  readonly grant_types: readonly string[];
  readonly response_types: readonly string[];
  readonly token_endpoint_auth_method: (typeof AUTH_METHODS)[number];
  /** Space-separated scopes the client may request. */
  readonly scope: string;
  readonly jwks?: { readonly keys: readonly Record<string, unknown>[] };
  readonly id_token_signed_response_alg: (typeof ID_TOKEN_ALGS)[number];
  /** Nod extension: PKCE required (always true for public clients). */
  readonly require_pkce: boolean;
  /** Absent: the CIBA policy's default mode applies (ciba/policy.ts); ping and push then need the notification endpoint below. */
  readonly backchannel_token_delivery_mode?: (typeof DELIVERY_MODES)[number];
  readonly backchannel_client_notification_endpoint?: string;
  readonly backchannel_authentication_request_signing_alg?: (typeof REQUEST_OBJECT_ALGS)[number];
  readonly backchannel_user_code_parameter?: boolean;
  /** Nod extension: number matching for this client's CIBA requests (it shows `binding_number`); see shared/ciba-extensions.ts. */
  readonly backchannel_number_matching?: boolean;
  /** Nod extensions: this client's anti-fatigue limit (0: off) and window (seconds), instead of the CIBA policy's. */
  readonly ciba_fatigue_limit?: number;
  readonly ciba_fatigue_window?: number;
  /** Nod extensions: per-client CIBA and device-flow lifetimes and poll intervals (seconds). */
  readonly ciba_expires_in?: number;
  readonly ciba_interval?: number;
  readonly device_code_expires_in?: number;
  readonly device_code_interval?: number;
  /** RFC 9396: the authorization details types this client may request (client_authorization_details_types.ts). */
  readonly authorization_details_types?: readonly string[];
  /** The acr values of its backchannel requests that send none, e.g. ["phr"] (client_default_acr_values.ts). */
  readonly default_acr_values?: readonly string[];
}

/** Metadata fields validated in their own modules: each returns its part of the stored client or throws InvalidClientMetadata. */
const METADATA_EXTENSIONS: ReadonlyArray<(input: Record<string, unknown>) => Partial<Client>> = [
  authorizationDetailsTypesMetadata,
  defaultAcrValuesMetadata,
  backchannelLogoutMetadata,
];

/** Hashes a secret (a client secret, a delegation token) for storage and comparison. */
export function hashSecret(secret: string): string {
  return createHash('sha256').update(secret, 'utf8').digest('hex');
}

/** Whether `given` is the secret whose hashSecret is `hash`, compared in constant time. */
export function matchesSecretHash(given: string, hash: string): boolean {
  const a = Buffer.from(hashSecret(given), 'hex');
  const b = Buffer.from(hash, 'hex');
  return a.length === b.length && timingSafeEqual(a, b);
}

/** A fresh high-entropy client secret. */
export function newClientSecret(): string {
  return randomBytes(32).toString('base64url');
}

type Input = Record<string, unknown>;
const fail = (field: string, why: string): never => {
  throw new InvalidClientMetadata(`${field}: ${why}`);
};

function stringList(input: Input, field: string, fallback: readonly string[]): string[] {
  const v = input[field];
  if (v === undefined) return [...fallback];
  if (!Array.isArray(v) || !v.every((x) => typeof x === 'string')) return fail(field, 'must be an array of strings');
  return v as string[];
}

function oneOf<T extends string>(input: Input, field: string, allowed: readonly T[], fallback?: T): T | undefined {
  const v = input[field];
  if (v === undefined) return fallback;
  if (typeof v !== 'string' || !allowed.includes(v as T)) return fail(field, `must be one of ${allowed.join(', ')}`);
  return v as T;
}

function url(field: string, value: string, opts: { fragment?: boolean } = {}): string {
  let u: URL;
  try {
    u = new URL(value);
  } catch {
    return fail(field, `${JSON.stringify(value)} is not an absolute URL`);
  }
  if (!opts.fragment && u.hash) fail(field, `${value} must not have a fragment`);
  if (!['http:', 'https:'].includes(u.protocol) && !/^[a-z][a-z0-9+.-]*\.[a-z0-9+.-]+:$/i.test(u.protocol)) {
    fail(field, `${value} must use http, https or a private-use (reverse domain) scheme`);
  }
  return value;
}

function positiveInt(input: Input, field: string, min = 1, what = 'a positive integer (seconds)'): number | undefined {
  const v = input[field];
  if (v === undefined) return undefined;
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min) return fail(field, `must be ${what}`);
  return v;
}

function bool(input: Input, field: string): boolean | undefined {
  const v = input[field];
  if (v !== undefined && typeof v !== 'boolean') fail(field, 'must be true or false');
  return v as boolean | undefined;
}

/**
 * Validates RFC 7591 metadata (plus `client_secret` in clear for confidential clients) and
 * returns the client as stored. Throws InvalidClientMetadata naming the bad field.
 */
export function validateClientMetadata(input: Input): { client: Client; secret?: string } {
  if (typeof input !== 'object' || input === null || Array.isArray(input)) fail('metadata', 'must be a JSON object');
  const client_id = input.client_id;
  if (typeof client_id !== 'string' || !/^[A-Za-z0-9._~-]{1,128}$/.test(client_id)) fail('client_id', 'must be 1-128 characters of A-Z a-z 0-9 . _ ~ -');
  const grant_types = stringList(input, 'grant_types', ['authorization_code']);
  for (const g of grant_types)
    if (!(GRANT_TYPES as readonly string[]).includes(g)) fail('grant_types', `${g} is not supported (allowed: ${GRANT_TYPES.join(', ')})`);
  const response_types = stringList(input, 'response_types', grant_types.includes('authorization_code') ? ['code'] : []);
  for (const r of response_types) {
    const normalized = r.split(' ').sort().join(' ');
    const known = RESPONSE_TYPES.find((k) => k.split(' ').sort().join(' ') === normalized);
    if (!known) fail('response_types', `${r} is not supported (allowed: ${RESPONSE_TYPES.join(', ')})`);
    if (r.includes('code') && !grant_types.includes('authorization_code')) fail('response_types', `${r} needs the authorization_code grant type`);
    if (r !== 'code' && !grant_types.includes('implicit') && (r.includes('token') || r.includes('id_token')) && !r.startsWith('code')) {
      fail('response_types', `${r} needs the implicit grant type`);
    }
  }
  const method = oneOf(input, 'token_endpoint_auth_method', AUTH_METHODS, 'client_secret_basic')!;
  const secret = input.client_secret;
  if (secret !== undefined && (typeof secret !== 'string' || secret.length < 8)) fail('client_secret', 'must be a string of at least 8 characters');
  if (method === 'none' && secret !== undefined) fail('client_secret', 'a public client (token_endpoint_auth_method none) has no secret');
  const jwks = input.jwks;
  if (jwks !== undefined && (typeof jwks !== 'object' || jwks === null || !Array.isArray((jwks as Input).keys)))
    fail('jwks', 'must be a JWK Set {"keys": [...]}');
  if (method === 'private_key_jwt' && !jwks) fail('jwks', "private_key_jwt needs the client's public keys in jwks");
  const redirect_uris = stringList(input, 'redirect_uris', []).map((u) => url('redirect_uris', u));
  if (response_types.length > 0 && redirect_uris.length === 0)
    fail('redirect_uris', 'at least one is required for clients that use the authorization endpoint');
  const post_logout_redirect_uris = stringList(input, 'post_logout_redirect_uris', []).map((u) => url('post_logout_redirect_uris', u));
  const scope = input.scope ?? 'openid';
  if (typeof scope !== 'string' || !/^[\x21\x23-\x5B\x5D-\x7E]+( [\x21\x23-\x5B\x5D-\x7E]+)*$/.test(scope))
    fail('scope', 'must be space-separated scope tokens');
  const client_name = input.client_name;
  if (client_name !== undefined && (typeof client_name !== 'string' || client_name.length > 100))
    fail('client_name', 'must be a string of at most 100 characters');
  const require_pkce = input.require_pkce ?? method === 'none';
  if (typeof require_pkce !== 'boolean') fail('require_pkce', 'must be true or false');
  if (method === 'none' && require_pkce === false) fail('require_pkce', 'public clients always use PKCE');

  const usesCiba = grant_types.includes(CIBA_GRANT_TYPE);
  const mode = oneOf(input, 'backchannel_token_delivery_mode', DELIVERY_MODES);
  const endpoint = input.backchannel_client_notification_endpoint;
  if (endpoint !== undefined && typeof endpoint !== 'string') fail('backchannel_client_notification_endpoint', 'must be a URL');
  if (typeof endpoint === 'string') url('backchannel_client_notification_endpoint', endpoint);
  if (usesCiba && (mode === 'ping' || mode === 'push') && !endpoint) fail('backchannel_client_notification_endpoint', `is required for ${mode} mode`);
  if (usesCiba && method === 'none') fail('token_endpoint_auth_method', 'CIBA clients must be confidential');
  const reqAlg = oneOf(input, 'backchannel_authentication_request_signing_alg', REQUEST_OBJECT_ALGS);
  if (reqAlg && !jwks) fail('jwks', "signed backchannel requests need the client's public keys in jwks");
  const userCode = bool(input, 'backchannel_user_code_parameter');
  const numberMatching = bool(input, NUMBER_MATCHING_METADATA);
  const fatigueLimit = positiveInt(input, 'ciba_fatigue_limit', 0, 'a whole number of requests (0 turns the limit off for this client)');

  const client: Client = {
    client_id: client_id as string,
    ...(typeof secret === 'string' ? { client_secret_hash: hashSecret(secret) } : {}),
    ...(client_name !== undefined ? { client_name: client_name as string } : {}),
    redirect_uris,
    post_logout_redirect_uris,
    grant_types,
    response_types,
    token_endpoint_auth_method: method,
    scope: scope as string,
    ...(jwks ? { jwks: jwks as Client['jwks'] } : {}),
    id_token_signed_response_alg: oneOf(input, 'id_token_signed_response_alg', ID_TOKEN_ALGS, 'RS256')!,
    require_pkce: require_pkce as boolean,
    ...(mode ? { backchannel_token_delivery_mode: mode } : {}),
    ...(typeof endpoint === 'string' ? { backchannel_client_notification_endpoint: endpoint } : {}),
    ...(reqAlg ? { backchannel_authentication_request_signing_alg: reqAlg } : {}),
    ...defined({ backchannel_user_code_parameter: userCode, backchannel_number_matching: numberMatching, ciba_fatigue_limit: fatigueLimit }),
    ...Object.fromEntries(
      (['ciba_expires_in', 'ciba_interval', 'ciba_fatigue_window', 'device_code_expires_in', 'device_code_interval'] as const)
        .map((f) => [f, positiveInt(input, f)] as const)
        .filter(([, v]) => v !== undefined),
    ),
    ...Object.assign({}, ...METADATA_EXTENSIONS.map((f) => f(input))),
  };
  const needsSecret = method === 'client_secret_basic' || method === 'client_secret_post';
  if (needsSecret && typeof secret !== 'string') {
    const generated = newClientSecret();
    return { client: { ...client, client_secret_hash: hashSecret(generated) }, secret: generated };
  }
  return { client, ...(typeof secret === 'string' ? { secret } : {}) };
}

/** Whether the client may request every scope in `requested`. */
export function allowedScopes(client: Client, requested: readonly string[]): string[] {
  const allowed = new Set(client.scope.split(' '));
  return requested.filter((s) => !allowed.has(s));
}
