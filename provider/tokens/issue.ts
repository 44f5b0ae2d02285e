/**
 * Token issuance shared by every grant and the authorization endpoint: RFC 9068 JWT access
 * tokens, ID tokens with the hashes Core and the hybrid rules require, and rotating refresh
 * tokens. Access tokens are not stored: they are verified offline and revocation keeps a deny
 * list (by `jti` and by grant) until they expire, so issuing one costs no write.
 */
import { defaults } from '../defaults.ts';
import type { WriteOptions } from '../../shared/store/store.ts';
import type { ProviderContext } from '../context.ts';
import type { Client } from '../models/client.ts';
import type { Grant } from '../models/index.ts';
import { claimsForScopes } from './claims.ts';
import { leftHalfHash } from './hash.ts';
import { randomId } from '../../shared/random.ts';
import { nowSeconds } from '../../shared/time.ts';
import { CLAIM_AUTH_REQ_ID, CLAIM_RT_HASH } from '../../shared/constants.ts';
import type { AuthorizationDetail } from '../../shared/authorization_details.ts';

export interface AccessTokenInput {
  readonly client: Client;
  readonly scope: string;
  /** Present for user grants; absent for client_credentials (sub is then the client id). */
  readonly grant?: Grant;
  readonly ttl?: number;
}

/** Signs an RFC 9068 access token. @see https://www.rfc-editor.org/rfc/rfc9068#section-2.2 */
export async function issueAccessToken(ctx: ProviderContext, input: AccessTokenInput): Promise<{ token: string; expiresIn: number }> {
  const iat = nowSeconds();
  const expiresIn = input.ttl ?? defaults.accessTokenTtl;
  const g = input.grant;
  const payload: Record<string, unknown> = {
    iss: ctx.config.issuer,
    sub: g?.sub ?? input.client.client_id,
    aud: ctx.config.issuer,
    client_id: input.client.client_id,
    scope: input.scope,
    jti: randomId(16),
    iat,
    exp: iat + expiresIn,
  };
  if (g) {
    payload.gid = g.grantId;
    payload.auth_time = g.authTime;
    if (g.acr) payload.acr = g.acr;
    if (g.amr) payload.amr = g.amr;
    if (g.sid) payload.sid = g.sid;
    // RFC 9396 §9.1: the granted details travel in the access token for resource servers.
    if (g.authorizationDetails) payload.authorization_details = g.authorizationDetails;
  }
  return { token: await ctx.keys.sign(payload, defaults.accessTokenSigningAlg, 'at+jwt'), expiresIn };
}

export interface IdTokenInput {
  readonly client: Client;
  readonly grant: Grant;
  readonly nonce?: string;
  readonly accessToken?: string;
  readonly code?: string;
  readonly state?: string;
  readonly refreshToken?: string;
  readonly authReqId?: string;
}

/** Signs an ID token. @see https://openid.net/specs/openid-connect-core-1_0.html#IDToken */
export async function issueIdToken(ctx: ProviderContext, input: IdTokenInput): Promise<string> {
  const { client, grant } = input;
  const alg = client.id_token_signed_response_alg;
  const user = await ctx.models.users.find(grant.sub);
  const iat = nowSeconds();
  const claims: Record<string, unknown> = {
    ...(user ? claimsForScopes(user, grant.scope.split(' ')) : {}),
    iss: ctx.config.issuer,
    sub: grant.sub,
    aud: client.client_id,
    azp: client.client_id,
    iat,
    exp: iat + defaults.idTokenTtl,
    auth_time: grant.authTime,
  };
  if (input.nonce !== undefined) claims.nonce = input.nonce;
  if (grant.acr) claims.acr = grant.acr;
  if (grant.amr) claims.amr = grant.amr;
  if (grant.sid) claims.sid = grant.sid;
  if (input.accessToken) claims.at_hash = leftHalfHash(input.accessToken, alg);
  if (input.code) claims.c_hash = leftHalfHash(input.code, alg);
  if (input.state) claims.s_hash = leftHalfHash(input.state, alg);
  if (input.refreshToken && input.authReqId) claims[CLAIM_RT_HASH] = leftHalfHash(input.refreshToken, alg);
  if (input.authReqId) claims[CLAIM_AUTH_REQ_ID] = input.authReqId;
  return ctx.keys.sign(claims, alg);
}

/** Whether tokens for this grant include a refresh token: the client may refresh and offline_access was granted. */
export function wantsRefreshToken(client: Client, scope: string): boolean {
  return client.grant_types.includes('refresh_token') && scope.split(' ').includes('offline_access');
}

/** Stores and returns a new refresh token of `familyId` (a new family when omitted). Durable unless `durable: false`. */
export async function issueRefreshToken(
  ctx: ProviderContext,
  grant: Grant,
  options: { familyId?: string; familyExpiresAt?: number; scope?: string; durable?: boolean } = {},
): Promise<string> {
  const token = randomId(32);
  const familyExpiresAt = options.familyExpiresAt ?? nowSeconds() + defaults.refreshTokenTtl;
  const ttl = Math.max(1, familyExpiresAt - nowSeconds());
  await ctx.models.refreshTokens.put(
    token,
    {
      grantId: grant.grantId,
      clientId: grant.clientId,
      sub: grant.sub,
      scope: options.scope ?? grant.scope,
      familyId: options.familyId ?? randomId(16),
      familyExpiresAt,
    },
    { expiresIn: ttl, ...(options.durable === false ? { durable: false } : {}) },
  );
  return token;
}

export interface TokenSetInput {
  readonly client: Client;
  readonly grant: Grant;
  /** Scope of this token set (a subset of the grant's on refresh). */
  readonly scope?: string;
  readonly nonce?: string;
  /** Issue a refresh token (default: by `wantsRefreshToken`). */
  readonly refresh?: boolean | { familyId: string; familyExpiresAt: number };
  /** CIBA push mode: adds auth_req_id and rt_hash to the ID token. */
  readonly authReqId?: string;
  /** Part of the granted authorization details, when the token request asked for part (authorization_details/narrow.ts). */
  readonly authorizationDetails?: readonly AuthorizationDetail[];
  /**
   * Flush the store while the tokens are signed: what the grant wrote with durable: false before
   * this call (a consumed code or refresh token, a grant) and the new refresh token are made
   * durable by one commit that overlaps the signing, and the set is returned only once they are.
   */
  readonly flush?: boolean;
}

export interface TokenSet {
  readonly access_token: string;
  readonly token_type: 'Bearer';
  readonly expires_in: number;
  readonly scope: string;
  readonly id_token?: string;
  readonly refresh_token?: string;
  /** RFC 9396 §7: the authorization details granted. */
  readonly authorization_details?: readonly AuthorizationDetail[];
}

/** The token endpoint's response for a user grant: access token, ID token (openid), refresh token. */
export async function issueTokenSet(ctx: ProviderContext, input: TokenSetInput): Promise<TokenSet> {
  const scope = input.scope ?? input.grant.scope;
  const { client } = input;
  const grant: Grant = input.authorizationDetails ? { ...input.grant, authorizationDetails: input.authorizationDetails } : input.grant;
  let refresh_token: string | undefined;
  const refresh = input.refresh ?? wantsRefreshToken(client, scope);
  if (refresh) {
    refresh_token = await issueRefreshToken(ctx, grant, { scope, ...(typeof refresh === 'object' ? refresh : {}), ...(input.flush ? { durable: false } : {}) });
  }
  const durable = input.flush ? ctx.store.flush() : undefined;
  durable?.catch(() => undefined); // awaited below, after the signing it overlaps
  const at = await issueAccessToken(ctx, { client, grant, scope });
  const id_token = scope.split(' ').includes('openid')
    ? await issueIdToken(ctx, {
        client,
        grant: { ...grant, scope },
        nonce: input.nonce,
        accessToken: at.token,
        refreshToken: refresh_token,
        authReqId: input.authReqId,
      })
    : undefined;
  await durable;
  return {
    access_token: at.token,
    token_type: 'Bearer',
    expires_in: at.expiresIn,
    scope,
    ...(id_token ? { id_token } : {}),
    ...(refresh_token ? { refresh_token } : {}),
    ...(grant.authorizationDetails ? { authorization_details: grant.authorizationDetails } : {}),
  };
}

/** Stores a grant (durably unless `durable: false`: a durable write that follows carries it) and returns it. */
export async function saveGrant(
  ctx: ProviderContext,
  grant: Omit<Grant, 'grantId'> & { grantId?: string },
  options?: Pick<WriteOptions, 'durable'>,
): Promise<Grant> {
  const full: Grant = { ...grant, grantId: grant.grantId ?? randomId(16) };
  await ctx.models.grants.put(full.grantId, full, { expiresIn: defaults.grantTtl, ...options });
  return full;
}

/**
 * Revokes a grant and everything issued from it: refresh tokens and codes are deleted, and the
 * grant id is deny-listed until its access tokens have expired.
 */
export async function revokeGrant(ctx: ProviderContext, grantId: string): Promise<void> {
  await Promise.all([
    ctx.models.refreshTokens.deleteBy('grantId', grantId),
    ctx.models.codes.deleteBy('grantId', grantId),
    ctx.models.grants.delete(grantId),
    ctx.models.revocations.put(`grant:${grantId}`, { kind: 'grant', at: nowSeconds() }, { expiresIn: defaults.accessTokenTtl }),
  ]);
  ctx.events.emit('grant.revoked', { grantId });
}
