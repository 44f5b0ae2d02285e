/**
 * Signed authentication requests: the parameters arrive as the claims of a JWS in `request`,
 * signed with the client's registered key and `backchannel_authentication_request_signing_alg`.
 * `iss` (the client), `aud` (the issuer or this endpoint), `exp`, `iat`, `nbf` and `jti` are
 * required; `exp - nbf` is at most `defaults.requestObjectMaxLifetime`; a `jti` is accepted once.
 * A client registered with a signing alg must sign; other clients cannot. `request_uri` (a request
 * object by reference) is not supported here and is refused with invalid_request, never ignored.
 * @see https://openid.net/specs/openid-client-initiated-backchannel-authentication-core-1_0.html#rfc.section.7.1.1
 */
import {
  createLocalJWKSet,
  decodeProtectedHeader,
  errors as joseErrors,
  jwtVerify,
  type JSONWebKeySet,
  type JWTPayload,
  type ProtectedHeaderParameters,
} from 'jose';
import { InvalidRequest } from '../../shared/errors.ts';
import type { ProviderContext } from '../context.ts';
import type { Client } from '../models/client.ts';
import type { Params } from '../middleware/params.ts';
import { defaults } from '../defaults.ts';
import { nowSeconds } from '../../shared/time.ts';

/** Parameters of the authentication request itself (not client authentication). */
export const AUTHENTICATION_PARAMETERS = [
  'scope',
  'client_notification_token',
  'acr_values',
  'login_hint_token',
  'id_token_hint',
  'login_hint',
  'binding_message',
  'user_code',
  'requested_expiry',
] as const;
const JWT_CLAIMS: ReadonlySet<string> = new Set(['iss', 'aud', 'exp', 'iat', 'nbf', 'jti', 'client_id']);
/** Seconds of clock skew tolerated on exp, nbf and iat. */
const CLOCK_TOLERANCE = 5;

async function verifyRequestObject(ctx: ProviderContext, client: Client, alg: string, jwt: string): Promise<JWTPayload> {
  let header: ProtectedHeaderParameters;
  try {
    header = decodeProtectedHeader(jwt);
  } catch {
    throw new InvalidRequest('request is not a JWS');
  }
  if (header.alg !== alg) throw new InvalidRequest(`request must be signed with ${alg}`, `alg ${String(header.alg)}`);
  try {
    const { payload } = await jwtVerify(jwt, createLocalJWKSet(client.jwks as JSONWebKeySet), {
      issuer: client.client_id,
      audience: [ctx.config.issuer, ctx.urls.backchannelAuthentication],
      algorithms: [alg],
      requiredClaims: ['exp', 'iat', 'nbf', 'jti'],
      maxTokenAge: defaults.requestObjectMaxLifetime,
      clockTolerance: CLOCK_TOLERANCE,
    });
    return payload;
  } catch (e) {
    throw new InvalidRequest('the signed request is invalid', e instanceof joseErrors.JOSEError ? `${e.code}: ${e.message}` : undefined);
  }
}

/** Refuses a jti seen before from this client and remembers it until the request expires. */
async function rememberJti(ctx: ProviderContext, client: Client, payload: JWTPayload): Promise<void> {
  if (typeof payload.jti !== 'string' || payload.jti === '') throw new InvalidRequest('the signed request needs a jti');
  const key = `backchannel_request:${client.client_id}:${payload.jti}`;
  // Insert-if-absent: of two uses of one jti, on any nodes, exactly one gets in.
  const first = await ctx.models.seenJtis.insert(key, { issuer: client.client_id }, { expiresIn: Math.max(1, payload.exp! + CLOCK_TOLERANCE - nowSeconds()) });
  if (!first) throw new InvalidRequest('the signed request was already used (jti replay)');
}

/** The claims as request parameters: strings stay, numbers become numeric strings. */
function claimsToParams(client: Client, payload: JWTPayload): Record<string, string> {
  if (payload.client_id !== undefined && payload.client_id !== client.client_id)
    throw new InvalidRequest('client_id in the signed request does not match the client');
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(payload)) {
    if (JWT_CLAIMS.has(name)) continue;
    if (typeof value === 'string') out[name] = value;
    // RFC 9396 §3: in a request object, authorization_details is the JSON array itself.
    else if (name === 'authorization_details' && Array.isArray(value)) out[name] = JSON.stringify(value);
    else if (typeof value === 'number' && Number.isFinite(value)) out[name] = String(value);
    else throw new InvalidRequest(`claim ${name} of the signed request must be a string or a number`);
  }
  return out;
}

/**
 * The authentication request parameters: from the signed `request` when there is one (and
 * then none may be sent outside it), else the form parameters as they are.
 */
export async function unpackSignedRequest(ctx: ProviderContext, client: Client, params: Params): Promise<Params> {
  // Refused rather than ignored, so a client never believes a request it referenced was used.
  if (params.request_uri !== undefined) {
    throw new InvalidRequest(
      'request_uri is not supported at the backchannel authentication endpoint; send the signed request object itself in the request parameter',
    );
  }
  const alg = client.backchannel_authentication_request_signing_alg;
  if (params.request === undefined) {
    if (alg) throw new InvalidRequest(`this client must send signed requests (${alg}) in the request parameter`);
    return params;
  }
  if (!alg || !client.jwks) throw new InvalidRequest('this client is not registered for signed requests (backchannel_authentication_request_signing_alg)');
  const outside = AUTHENTICATION_PARAMETERS.filter((p) => params[p] !== undefined);
  if (outside.length) throw new InvalidRequest(`with a signed request, send ${outside.join(', ')} inside it only`);
  const payload = await verifyRequestObject(ctx, client, alg, params.request);
  if (payload.exp! - payload.nbf! > defaults.requestObjectMaxLifetime)
    throw new InvalidRequest(`the signed request may live at most ${defaults.requestObjectMaxLifetime} seconds (exp - nbf)`);
  const fromClaims = claimsToParams(client, payload);
  await rememberJti(ctx, client, payload);
  return { ...params, request: undefined, ...fromClaims };
}
