/**
 * Making the device key at enrollment: ECDSA P-256 with `extractable: false`, so the private key
 * never leaves the browser's key store (lib/crypto.ts signs with it). Only the sign-in callback
 * needs this, so it is not in the start bundle.
 */
import type { EnrollRequest } from '../../../shared/entity-api.ts';

const ALG: EcKeyGenParams = { name: 'ECDSA', namedCurve: 'P-256' };

/** A new non-extractable signing key pair (the public half stays exportable). */
export function generateDeviceKey(): Promise<CryptoKeyPair> {
  return crypto.subtle.generateKey(ALG, false, ['sign', 'verify']);
}

/** The public key as the JWK the entity expects at enrollment. */
export async function publicJwk(keys: CryptoKeyPair): Promise<EnrollRequest['public_key']> {
  const jwk = await crypto.subtle.exportKey('jwk', keys.publicKey);
  if (jwk.kty !== 'EC' || jwk.crv !== 'P-256' || !jwk.x || !jwk.y) throw new TypeError('unexpected public key shape');
  return { kty: 'EC', crv: 'P-256', x: jwk.x, y: jwk.y };
}
