/**
 * The device key and the signed decision: ECDSA P-256 made with `extractable: false`, so the
 * private key never leaves the browser's key store; decisions are compact JWS with ES256.
 * @see https://www.rfc-editor.org/rfc/rfc7515#section-7.1
 * @see https://www.rfc-editor.org/rfc/rfc7518#section-3.4
 */
import type { DecisionPayload } from '../../../shared/entity-api.ts';

/** base64url without padding. */
export function b64url(bytes: Uint8Array | ArrayBuffer): string {
  const u8 = bytes instanceof Uint8Array ? bytes : new Uint8Array(bytes);
  let s = '';
  for (const b of u8) s += String.fromCharCode(b);
  return btoa(s).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

/** Bytes of a base64url string (used for the VAPID key). */
export function fromB64url(s: string): Uint8Array<ArrayBuffer> {
  const bin = atob(s.replace(/-/g, '+').replace(/_/g, '/') + '==='.slice((s.length + 3) % 4));
  const out = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
  return out;
}

const enc = new TextEncoder();

/**
 * Signs a decision as a compact JWS (ES256). WebCrypto's ECDSA signature is already the
 * fixed-length r‖s form that JWS uses.
 */
export async function signDecision(privateKey: CryptoKey, payload: DecisionPayload): Promise<string> {
  const header = { alg: 'ES256', typ: 'JWT', kid: payload.device_id };
  const input = `${b64url(enc.encode(JSON.stringify(header)))}.${b64url(enc.encode(JSON.stringify(payload)))}`;
  const sig = await crypto.subtle.sign({ name: 'ECDSA', hash: 'SHA-256' }, privateKey, enc.encode(input));
  return `${input}.${b64url(sig)}`;
}
