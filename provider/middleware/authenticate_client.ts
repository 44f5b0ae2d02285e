/**
 * Client authentication at the token, introspection, revocation, backchannel and device
 * endpoints: client_secret_basic, client_secret_post, private_key_jwt and none, each only for a
 * client registered with that method. Secrets are compared in constant time.
 * @see https://openid.net/specs/openid-connect-core-1_0.html#ClientAuthentication
 */
import { createLocalJWKSet, decodeJwt, jwtVerify, errors as joseErrors } from 'jose';
import type { JSONWebKeySet, JWTPayload } from 'jose';
import { InvalidClient, InvalidRequest } from '../../shared/errors.ts';
import type { ProviderContext } from '../context.ts';
import { matchesSecretHash, type Client } from '../models/client.ts';
import type { Params } from './params.ts';
import { defaults } from '../defaults.ts';
import { nowSeconds } from '../../shared/time.ts';
import { checkClientAuth } from './client_auth_limit.ts';

const JWT_BEARER = 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer';
export const CLIENT_AUTH_METHODS = ['client_secret_basic', 'client_secret_post', 'private_key_jwt', 'none'] as const;
/** Algorithms accepted for private_key_jwt assertions. */
export const CLIENT_ASSERTION_ALGS = ['RS256', 'PS256', 'ES256', 'EdDSA'] as const;

function secretMatches(given: string, client: Client): boolean {
  return client.client_secret_hash !== undefined && matchesSecretHash(given, client.client_secret_hash);
}

function basicCredentials(header: string | undefined): { id: string; secret: string } | undefined {
  if (!header || !/^basic /i.test(header)) return undefined;
  const decoded = Buffer.from(header.slice(6).trim(), 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon < 0) throw new InvalidClient('malformed Basic credentials');
  try {
    // RFC 6749 section 2.3.1: the id and secret are form-urlencoded before Basic encoding.
    return { id: decodeURIComponent(decoded.slice(0, colon).replace(/\+/g, ' ')), secret: decodeURIComponent(decoded.slice(colon + 1).replace(/\+/g, ' ')) };
  } catch {
    throw new InvalidClient('malformed Basic credentials');
  }
}

/**
 * Authenticates the client of a back-channel request and returns it. `endpointUrl` is a value a
 * private_key_jwt assertion may carry in `aud` (with the issuer and the token endpoint);
 * `address` is the caller's network address, for the guessing limits (client_auth_limit.ts):
 * a blocked client_id is refused before its secret or assertion is looked at.
 */
export async function authenticateClient(
  ctx: ProviderContext,
  params: Params,
  authorization: string | undefined,
  endpointUrl: string,
  address: string,
): Promise<Client> {
  const basic = basicCredentials(authorization);
  const assertion = params.client_assertion;
  const methods = [basic, params.client_secret, assertion].filter((x) => x !== undefined).length;
  if (methods > 1) throw new InvalidRequest('use exactly one client authentication method');
  if (basic && params.client_id !== undefined && params.client_id !== basic.id) throw new InvalidRequest('client_id does not match the Basic credentials');
  const id = assertion !== undefined ? assertionSubject(params, assertion) : (basic?.id ?? params.client_id);
  if (!id) throw new InvalidClient('client authentication is required');

  const attempt = await checkClientAuth(ctx, id, address);
  const found = await ctx.models.clients.find(id);
  try {
    const client = assertion !== undefined ? await byAssertion(ctx, found, assertion, endpointUrl) : bySecret(found, basic?.secret ?? params.client_secret);
    await attempt.succeeded();
    return client;
  } catch (e) {
    // A public client has nothing to guess: its failures are not counted, so nobody can block it.
    if (e instanceof InvalidClient && found?.token_endpoint_auth_method !== 'none') await attempt.failed();
    throw e;
  }
}

/** The client_id a client assertion claims (its `sub`), which a `client_id` parameter must equal. */
function assertionSubject(params: Params, assertion: string): string {
  if (params.client_assertion_type !== JWT_BEARER) throw new InvalidRequest(`client_assertion_type must be ${JWT_BEARER}`);
  let sub: unknown;
  try {
    sub = decodeJwt(assertion).sub;
  } catch {
    throw new InvalidClient('client_assertion is not a JWT');
  }
  if (typeof sub !== 'string' || (params.client_id !== undefined && params.client_id !== sub))
    throw new InvalidClient('client_assertion sub must be the client_id');
  return sub;
}

/** private_key_jwt: the assertion verified with the client's keys, each `jti` accepted once. */
async function byAssertion(ctx: ProviderContext, client: Client | undefined, assertion: string, endpointUrl: string): Promise<Client> {
  if (client?.token_endpoint_auth_method !== 'private_key_jwt' || !client.jwks) throw new InvalidClient('client not registered for private_key_jwt');
  let payload: JWTPayload;
  try {
    ({ payload } = await jwtVerify(assertion, createLocalJWKSet(client.jwks as JSONWebKeySet), {
      issuer: client.client_id,
      subject: client.client_id,
      audience: [endpointUrl, ctx.config.issuer, ctx.urls.token],
      algorithms: [...CLIENT_ASSERTION_ALGS],
      maxTokenAge: defaults.clientAssertionMaxAge,
      requiredClaims: ['exp', 'jti'],
    }));
  } catch (e) {
    const why = e instanceof joseErrors.JOSEError ? e.code : 'invalid';
    throw new InvalidClient('client_assertion is invalid', why);
  }
  const jtiKey = `client_assertion:${client.client_id}:${payload.jti}`;
  // Insert-if-absent: of two uses of one assertion, on any nodes, exactly one authenticates.
  const first = await ctx.models.seenJtis.insert(jtiKey, { issuer: client.client_id }, { expiresIn: Math.max(1, (payload.exp ?? 0) - nowSeconds()) });
  if (!first) throw new InvalidClient('client_assertion jti was already used');
  return client;
}

/** client_secret_basic / client_secret_post (either, for a secret client), or none. */
function bySecret(client: Client | undefined, secret: string | undefined): Client {
  if (!client) throw new InvalidClient('unknown client');
  const method = client.token_endpoint_auth_method;
  // A secret client may send its secret by Basic or in the body: the secret and its protection
  // are the same either way, and client libraries differ in their default (as Keycloak does).
  const secretClient = method === 'client_secret_basic' || method === 'client_secret_post';
  if (secret !== undefined) {
    if (!secretClient || !secretMatches(secret, client)) throw new InvalidClient();
  } else if (method !== 'none') {
    throw new InvalidClient(`client must authenticate with ${method}`);
  }
  return client;
}
