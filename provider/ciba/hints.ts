/**
 * Resolving the user a backchannel request is for, from whichever hint the client sent:
 * `login_hint` (through the replaceable resolver), `id_token_hint` (an ID token this provider
 * issued to this client; signature, issuer and audience checked, expiry may be past) or
 * `login_hint_token` (a JWT from a trusted issuer, naming the user in `sub` or the issuer's
 * `subject_claim`).
 * @see https://openid.net/specs/openid-client-initiated-backchannel-authentication-core-1_0.html#rfc.section.7.1
 */
import { createLocalJWKSet, createRemoteJWKSet, decodeJwt, errors as joseErrors, jwtVerify, type JSONWebKeySet, type JWTPayload } from 'jose';
import { ExpiredLoginHintToken, InvalidRequest, UnknownUserId } from '../../shared/errors.ts';
import type { ProviderContext } from '../context.ts';
import type { Client } from '../models/client.ts';
import type { User } from '../models/user.ts';
import type { Hint } from './checks.ts';
import type { CibaPolicy, TrustedHintIssuer } from './policy.ts';
import { loginHintResolver } from './resolve_login_hint.ts';

const HINT_TOKEN_ALGS = ['RS256', 'PS256', 'ES256', 'EdDSA'];
/** Key sets of trusted login_hint_token issuers by jwks_uri, fetched and cached by jose; one per provider instance (on its context). */
export class HintIssuerKeys {
  private readonly remote = new Map<string, ReturnType<typeof createRemoteJWKSet>>();

  of(trusted: TrustedHintIssuer) {
    if (trusted.jwks) return createLocalJWKSet(trusted.jwks as JSONWebKeySet);
    const known = this.remote.get(trusted.jwks_uri!);
    if (known) return known;
    const set = createRemoteJWKSet(new URL(trusted.jwks_uri!));
    this.remote.set(trusted.jwks_uri!, set);
    return set;
  }
}

/** An ID token this provider issued to `client`; its `sub` must still be a user. */
export async function userFromIdTokenHint(ctx: ProviderContext, client: Client, token: string): Promise<User> {
  let payload: JWTPayload;
  try {
    // Expiry is not checked: the hint says who, not that the session is still fresh.
    ({ payload } = await ctx.keys.verify(token, {
      issuer: ctx.config.issuer,
      audience: client.client_id,
      algorithms: ['RS256', 'ES256'],
      clockTolerance: Number.MAX_SAFE_INTEGER,
    }));
  } catch (e) {
    throw new InvalidRequest('id_token_hint is not an ID token this provider issued to this client', e instanceof joseErrors.JOSEError ? e.code : undefined);
  }
  const user = typeof payload.sub === 'string' ? await ctx.models.users.find(payload.sub) : undefined;
  if (!user) throw new UnknownUserId('the user of id_token_hint is unknown');
  return user;
}

/** A login_hint_token from a trusted issuer: expired → expired_login_hint_token. */
export async function userFromLoginHintToken(ctx: ProviderContext, policy: CibaPolicy, token: string): Promise<User> {
  let iss: unknown;
  try {
    iss = decodeJwt(token).iss;
  } catch {
    throw new InvalidRequest('login_hint_token is not a JWT');
  }
  const trusted = policy.loginHintTokenIssuers.find((i) => i.issuer === iss);
  if (!trusted) throw new InvalidRequest('login_hint_token is not from a trusted issuer');
  let payload: JWTPayload;
  try {
    ({ payload } = await jwtVerify(token, ctx.hintIssuerKeys.of(trusted), {
      issuer: trusted.issuer,
      algorithms: [...(trusted.algorithms ?? HINT_TOKEN_ALGS)],
    }));
  } catch (e) {
    if (e instanceof joseErrors.JWTExpired) throw new ExpiredLoginHintToken();
    throw new InvalidRequest('login_hint_token could not be verified', e instanceof joseErrors.JOSEError ? e.code : undefined);
  }
  const named = payload[trusted.subject_claim ?? 'sub'];
  if (typeof named !== 'string' || named === '') throw new UnknownUserId('login_hint_token names no user');
  const user = (await ctx.models.users.find(named)) ?? (await loginHintResolver(ctx)(ctx, named, policy.loginHintFields));
  if (!user) throw new UnknownUserId('the user of login_hint_token is unknown');
  return user;
}

/** The user the hint names, or unknown_user_id / expired_login_hint_token / invalid_request. */
export async function resolveHint(ctx: ProviderContext, client: Client, policy: CibaPolicy, hint: Hint): Promise<User> {
  if (hint.kind === 'id_token_hint') return userFromIdTokenHint(ctx, client, hint.value);
  if (hint.kind === 'login_hint_token') return userFromLoginHintToken(ctx, policy, hint.value);
  const user = await loginHintResolver(ctx)(ctx, hint.value, policy.loginHintFields);
  if (!user) throw new UnknownUserId('login_hint does not name a known user');
  return user;
}
