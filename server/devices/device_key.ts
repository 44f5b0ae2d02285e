/**
 * Verifying what a device signed (its decisions): compact ES256 JWS checked with node:crypto
 * against the device's enrolled P-256 key. The key is imported once and kept (a bounded cache
 * keyed by the key itself, so a re-enrolled device's new key is never confused with the old):
 * importing it on every decision, and verifying through WebCrypto's job queue, was about a tenth
 * of the entity's CPU in the concurrent round trip's profile.
 * @see https://www.rfc-editor.org/rfc/rfc7515#section-5.2
 * @see https://www.rfc-editor.org/rfc/rfc7518#section-3.4 (ES256 signatures are R || S, 64 bytes)
 */
import { createPublicKey, verify, type KeyObject } from 'node:crypto';
import type { Device } from '../models.ts';

/** Imported keys kept; past this many the oldest is dropped (one per enrolled device in use). */
const MAX_KEYS = 10_000;

/** The entity's imported device keys: one per context (built with it, dropped with it). */
export class DeviceKeys {
  private readonly keys = new Map<string, KeyObject>();

  /** The device's public key as a KeyObject (imported once). */
  of(device: Pick<Device, 'public_key'>): KeyObject {
    const { crv, x, y } = device.public_key;
    const id = `${crv}.${x}.${y}`;
    let key = this.keys.get(id);
    if (!key) {
      key = createPublicKey({ key: { kty: 'EC', crv, x, y }, format: 'jwk' });
      if (this.keys.size >= MAX_KEYS) this.keys.delete(this.keys.keys().next().value!);
      this.keys.set(id, key);
    }
    return key;
  }
}

/**
 * The payload bytes of a compact JWS whose protected header says ES256 (and asks for no critical
 * extension) and whose signature verifies with `key`; throws otherwise.
 */
export function verifyEs256(jws: string, key: KeyObject): Buffer {
  const parts = jws.split('.');
  if (parts.length !== 3) throw new TypeError('not a compact JWS');
  const [header, payload, signature] = parts as [string, string, string];
  const protectedHeader = JSON.parse(Buffer.from(header, 'base64url').toString('utf8')) as unknown;
  if (typeof protectedHeader !== 'object' || protectedHeader === null || (protectedHeader as { alg?: unknown }).alg !== 'ES256')
    throw new TypeError('the JWS is not ES256');
  if ('crit' in protectedHeader) throw new TypeError('critical header parameters are not supported');
  const sig = Buffer.from(signature, 'base64url');
  if (sig.length !== 64 || !verify('sha256', Buffer.from(`${header}.${payload}`), { key, dsaEncoding: 'ieee-p1363' }, sig))
    throw new TypeError('the signature does not verify');
  return Buffer.from(payload, 'base64url');
}
