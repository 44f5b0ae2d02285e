/**
 * Left-half hashes for ID tokens: at_hash, c_hash, s_hash, rt_hash.
 * @see https://openid.net/specs/openid-connect-core-1_0.html#CodeIDToken
 */
import { createHash } from 'node:crypto';

const HASH_BY_ALG: Record<string, string> = {
  RS256: 'sha256',
  ES256: 'sha256',
  PS256: 'sha256',
  RS384: 'sha384',
  ES384: 'sha384',
  RS512: 'sha512',
  ES512: 'sha512',
};

/** base64url of the left half of the hash of `value`, with the hash the JWS `alg` uses. */
export function leftHalfHash(value: string, alg: string): string {
  const hash = HASH_BY_ALG[alg];
  if (!hash) throw new TypeError(`no hash for alg ${alg}`);
  const digest = createHash(hash).update(value, 'ascii').digest();
  return digest.subarray(0, digest.length / 2).toString('base64url');
}
