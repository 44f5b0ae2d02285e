/**
 * The JSON Canonicalization Scheme (JCS) and the SHA-256 digests built on it. Used where two
 * parties must hash the same JSON value and get the same bytes (the device's signed decision,
 * the passkey challenge). Runs in Node and in browsers (WebCrypto).
 * @see https://www.rfc-editor.org/rfc/rfc8785
 */
import { base64url, sha256 } from './web.ts';

/**
 * RFC 8785 serialization of a JSON value: no whitespace, object members sorted by the UTF-16
 * code units of their names (§3.2.3), strings and numbers as ECMAScript's JSON.stringify writes
 * them (§3.2.2). Members whose value is `undefined` are left out, as JSON.stringify does.
 * Throws a TypeError on what JSON cannot hold (non-finite numbers, functions, bigints).
 */
export function canonicalJson(value: unknown): string {
  if (typeof value === 'string' || typeof value === 'boolean' || value === null) return JSON.stringify(value);
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) throw new TypeError('JSON cannot hold a non-finite number');
    return JSON.stringify(value);
  }
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (typeof value === 'object') {
    const o = value as Record<string, unknown>;
    const members = Object.keys(o)
      .filter((k) => o[k] !== undefined)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${canonicalJson(o[k])}`);
    return `{${members.join(',')}}`;
  }
  throw new TypeError(`JSON cannot hold a ${typeof value}`);
}

/** base64url(SHA-256(UTF-8(JCS(value)))): the digest of a JSON value both sides agree on. */
export async function jsonDigest(value: unknown): Promise<string> {
  return base64url(await sha256(canonicalJson(value)));
}
