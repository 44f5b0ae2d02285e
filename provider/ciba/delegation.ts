/**
 * Delegation to the authentication entity over Keycloak's HTTP Authentication Channel: a POST
 * of the request to `NOD_AUTH_CHANNEL_URL` with a bearer JWT signed by the provider (ES256 by
 * default, key in the JWKS) that the entity later presents at the callback. Only a 201 counts as
 * accepted. The contract (body, claims, paths) is shared/auth-channel.ts.
 * @see https://www.keycloak.org/docs/latest/server_admin/#_client_initiated_backchannel_authentication_grant (Provider setting: Authentication Requested URI)
 */
import { AccessDenied, ServerError } from '../../shared/errors.ts';
import type { DelegationRequest, DelegationTokenClaims } from '../../shared/auth-channel.ts';
import type { ProviderContext } from '../context.ts';
import { defaults } from '../defaults.ts';
import { nowSeconds } from '../../shared/time.ts';
import { PostTimeoutError, type PostAnswer } from '../../shared/http/post_json.ts';

/** Algorithm of delegation tokens (defaults.delegationTokenAlg). */
export const DELEGATION_TOKEN_ALG = defaults.delegationTokenAlg;

/** The entity did not accept the delegation: the client is told to try later, nothing is left pending. */
export class AuthenticationChannelUnavailable extends ServerError {
  constructor(detail: string) {
    super('the authentication device could not be reached; try again later', detail);
    this.status = 503;
    this.headers['Retry-After'] = '5';
  }
}

/** What one delegation token is issued for. */
export interface DelegationTokenInput {
  readonly jti: string;
  readonly clientId: string;
  readonly sub: string;
  /** Epoch seconds: the request's expiry. */
  readonly exp: number;
}

/** Signs the bearer token of one delegation: iss, aud (= issuer, as Keycloak), jti, azp, sub, iat, exp. */
export function signDelegationToken(ctx: ProviderContext, c: DelegationTokenInput): Promise<string> {
  const claims: DelegationTokenClaims = {
    iss: ctx.config.issuer,
    aud: ctx.config.issuer,
    jti: c.jti,
    azp: c.clientId,
    sub: c.sub,
    iat: nowSeconds(),
    exp: c.exp,
  };
  return ctx.keys.sign({ ...claims }, DELEGATION_TOKEN_ALG);
}

/** Longest refusal description taken from the entity. */
const REFUSAL_MAX_LENGTH = 300;

/**
 * Nod extension: an entity that can tell at once that a request can never be approved (a passkey
 * is required and the user has no device holding one) answers 403 `{"error": "access_denied",
 * "error_description"}`; the client then gets access_denied straight away, not a request that only
 * expires. Any other refusal is the channel failing.
 */
function refusalOf(res: PostAnswer): AccessDenied | undefined {
  if (res.status !== 403 || !res.headers['content-type']?.includes('application/json')) return undefined;
  let body: { error?: unknown; error_description?: unknown } | undefined;
  try {
    body = JSON.parse(res.body.toString('utf8')) as typeof body;
  } catch {
    return undefined;
  }
  if (body?.error !== 'access_denied') return undefined;
  const description = typeof body.error_description === 'string' ? body.error_description.slice(0, REFUSAL_MAX_LENGTH) : undefined;
  return new AccessDenied(description ?? 'the authentication device refused the request');
}

/**
 * POSTs the delegation and resolves when the entity answered 201; throws AccessDenied when the
 * entity refused the request itself, AuthenticationChannelUnavailable otherwise.
 */
export async function delegate(ctx: ProviderContext, token: string, body: DelegationRequest, timeoutMs: number): Promise<void> {
  let status: number;
  let refusal: AccessDenied | undefined;
  try {
    const answer = await ctx.http.post(ctx.config.authChannelUrl, body, { headers: { authorization: `Bearer ${token}` }, timeoutMs });
    status = answer.status;
    refusal = refusalOf(answer);
  } catch (e) {
    const why = e instanceof PostTimeoutError ? e.message : `${(e as Error).message} ${(e as NodeJS.ErrnoException).code ?? ''}`.trim();
    throw new AuthenticationChannelUnavailable(`delegation failed: ${why}`);
  }
  if (refusal) throw refusal;
  if (status !== 201) throw new AuthenticationChannelUnavailable(`delegation answered ${status}, expected 201`);
}
