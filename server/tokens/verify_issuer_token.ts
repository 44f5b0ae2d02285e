/**
 * One verifier for tokens from trusted issuers, Keycloak's and ours alike: the `iss` (read
 * before anything is fetched) must be trusted, the signature must check against that issuer's
 * JWKS, and `exp` must be in the future. Callers add audience and type rules.
 * @see https://www.rfc-editor.org/rfc/rfc7519#section-7.2
 */
import { decodeJwt, decodeProtectedHeader, errors, jwtVerify, type JWTPayload, type JWTVerifyOptions } from 'jose';
import { InvalidToken, TemporarilyUnavailable, isOAuthError } from '../../shared/errors.ts';
import { defaults } from '../defaults.ts';
import { setTimeout as sleep } from 'node:timers/promises';
import type { IssuerKeys } from './issuer_keys.ts';
import { verifyWithNode } from '../../shared/jwt/node_verify.ts';

/** Asymmetric algorithms accepted from issuers (never `none` or HMAC). */
const ALGORITHMS = ['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512', 'ES256', 'ES384', 'ES512', 'EdDSA'];

export interface VerifyOptions {
  /** Issuers accepted for this use (a subset of the trusted list). */
  readonly issuers: readonly string[];
  /** Require `aud` to be (or contain) the issuer itself, as Keycloak's delegation token has it. */
  readonly audienceIsIssuer?: boolean;
  /** Required `typ` header (e.g. at+jwt). */
  readonly typ?: string;
  readonly requiredClaims?: string[];
}

export interface VerifiedToken {
  readonly issuer: string;
  readonly payload: JWTPayload & Record<string, unknown>;
}

/** Verifies a compact JWS from a trusted issuer; throws InvalidToken (401) or TemporarilyUnavailable (503). */
export async function verifyIssuerToken(keys: IssuerKeys, token: string, options: VerifyOptions): Promise<VerifiedToken> {
  let iss: unknown;
  try {
    decodeProtectedHeader(token);
    iss = decodeJwt(token).iss;
  } catch {
    throw new InvalidToken('the bearer token is not a JWT');
  }
  if (typeof iss !== 'string' || !options.issuers.includes(iss) || !keys.isTrusted(iss)) {
    throw new InvalidToken('the token was not issued by a trusted issuer', `iss=${String(iss)}`);
  }
  const entry = await keys.get(iss);
  const { jwks } = entry;
  const verify: JWTVerifyOptions = {
    issuer: iss,
    algorithms: ALGORITHMS,
    clockTolerance: defaults.clockTolerance,
    requiredClaims: ['exp', ...(options.requiredClaims ?? [])],
    ...(options.audienceIsIssuer ? { audience: iss } : {}),
    ...(options.typ ? { typ: options.typ } : {}),
  };
  try {
    // The plain case with node:crypto (shared/jwt/node_verify.ts); jose for the rest, as before.
    let verified: { payload: JWTPayload };
    try {
      verified = verifyWithNode(token, keys.keyFor(entry), verify) ?? (await jwtVerify(token, jwks, verify));
    } catch (e) {
      // An unknown kid right after the last fetch (the issuer just rotated its keys): jose will
      // not refetch during its cooldown, so wait for it to pass and try once more.
      if (!(e instanceof errors.JWKSNoMatchingKey) || !jwks.coolingDown) throw e;
      await sleep(defaults.jwksCooldownMs);
      verified = await jwtVerify(token, jwks, verify);
    }
    return { issuer: iss, payload: verified.payload as VerifiedToken['payload'] };
  } catch (e) {
    if (isOAuthError(e)) throw e;
    if (e instanceof errors.JWKSTimeout || (e instanceof Error && !(e instanceof errors.JOSEError))) {
      throw new TemporarilyUnavailable('the issuer keys could not be fetched', (e as Error).message);
    }
    if (e instanceof errors.JWTExpired) throw new InvalidToken('the token has expired');
    if (e instanceof errors.JWKSNoMatchingKey || e instanceof errors.JWSSignatureVerificationFailed) {
      throw new InvalidToken('the token signature does not verify with the issuer keys');
    }
    throw new InvalidToken('the token is invalid', (e as Error).message);
  }
}
