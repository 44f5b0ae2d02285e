/**
 * JWT verification on the hot paths (the CIBA callback's and the delegation's bearer tokens, access
 * tokens) with node:crypto instead of WebCrypto. jose 6 verifies only through WebCrypto, whose
 * per-call job costs about 0.3 ms of main-thread time on this machine for an ES256 token, against
 * about 0.1 ms here; a CIBA round trip verifies two such tokens.
 *
 * Only the plain case is served: a compact JWS of one of ALGS, with a `kid` the caller has exactly
 * one key for, no `crit` and no `b64` header, strict base64url. Anything else returns undefined and
 * the caller verifies with jose as before, which gives every other case its usual answer (unknown
 * key → reload, malformed → its error). The claims are checked by jose itself: once the signature
 * is verified here, the payload goes through `UnsecuredJWT.decode`, which applies jose's own claim
 * rules (issuer, audience, requiredClaims, exp/nbf/iat with clockTolerance, maxTokenAge) in jose's
 * order, and throws jose's errors. `typ` is checked here first, as jose does.
 * @see https://www.rfc-editor.org/rfc/rfc7515#section-5.2
 */
import { constants, verify as verifyBytes, type KeyObject } from 'node:crypto';
import { UnsecuredJWT, errors, type JWTPayload, type JWTVerifyOptions, type ProtectedHeaderParameters } from 'jose';

interface Alg {
  readonly hash: string;
  readonly dsaEncoding?: 'ieee-p1363';
  readonly padding?: number;
  readonly saltLength?: number;
}

/** What is verified here, with node:crypto's parameters (RFC 7518 section 3). */
const ALGS: Readonly<Record<string, Alg>> = {
  ES256: { hash: 'sha256', dsaEncoding: 'ieee-p1363' },
  ES384: { hash: 'sha384', dsaEncoding: 'ieee-p1363' },
  RS256: { hash: 'sha256' },
  RS384: { hash: 'sha384' },
  RS512: { hash: 'sha512' },
  PS256: { hash: 'sha256', padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: 32 },
  PS384: { hash: 'sha384', padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: 48 },
  PS512: { hash: 'sha512', padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: 64 },
};

const BASE64URL = /^[A-Za-z0-9_-]+$/;
/** The header UnsecuredJWT.decode expects: {"alg":"none"}. */
const NONE_HEADER = Buffer.from('{"alg":"none"}').toString('base64url');
const normalizeTyp = (typ: string) => typ.toLowerCase().replace(/^application\//, '');

/** The public key for a `kid` and `alg`, when exactly one is known (else undefined: jose decides). */
export type KeyFor = (kid: string, alg: string) => KeyObject | undefined;

export interface NodeVerified {
  readonly payload: JWTPayload;
  readonly protectedHeader: ProtectedHeaderParameters;
}

function header(part: string): ProtectedHeaderParameters | undefined {
  try {
    const h: unknown = JSON.parse(Buffer.from(part, 'base64url').toString('utf8'));
    return h !== null && typeof h === 'object' && !Array.isArray(h) ? (h as ProtectedHeaderParameters) : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Verifies `jwt` as jwtVerify(jwt, keys, options) would, or returns undefined when this is not the
 * plain case (then call jose). Throws jose's errors: a bad signature, a failed claim, an expiry.
 */
export function verifyWithNode(jwt: string, keyFor: KeyFor, options: JWTVerifyOptions): NodeVerified | undefined {
  const parts = jwt.split('.');
  if (parts.length !== 3 || !parts.every((p) => BASE64URL.test(p))) return undefined;
  const [h, p, s] = parts as [string, string, string];
  const protectedHeader = header(h);
  const alg = protectedHeader?.alg;
  if (!protectedHeader || typeof alg !== 'string' || typeof protectedHeader.kid !== 'string') return undefined;
  const params = ALGS[alg];
  if (!params || 'crit' in protectedHeader || 'b64' in protectedHeader) return undefined;
  if (options.algorithms && !options.algorithms.includes(alg)) return undefined;
  const key = keyFor(protectedHeader.kid, alg);
  if (!key) return undefined;
  const { hash, ...padding } = params;
  if (!verifyBytes(hash, Buffer.from(`${h}.${p}`), { key, ...padding }, Buffer.from(s, 'base64url'))) {
    throw new errors.JWSSignatureVerificationFailed();
  }
  if (options.typ !== undefined && (typeof protectedHeader.typ !== 'string' || normalizeTyp(protectedHeader.typ) !== normalizeTyp(options.typ))) {
    throw new errors.JWTClaimValidationFailed('unexpected "typ" JWT header value', {}, 'typ', 'check_failed');
  }
  const { typ: _typ, algorithms: _algorithms, crit: _crit, ...claims } = options;
  const { payload } = UnsecuredJWT.decode(`${NONE_HEADER}.${p}.`, claims);
  return { payload, protectedHeader };
}
