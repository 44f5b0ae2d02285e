/**
 * The few Web platform APIs shared code uses (text encoding, base64, SHA-256), present in
 * Node >= 20 and in every browser the app supports. shared/ compiles with neither Node's nor the
 * DOM's types (tsconfig.json), so they are declared here, narrowly, and used through these helpers.
 */
declare const TextEncoder: new () => { encode(input: string): Uint8Array };
declare function btoa(data: string): string;
declare const crypto: { readonly subtle: { digest(algorithm: 'SHA-256', data: Uint8Array): Promise<ArrayBuffer> } };

/** The UTF-8 bytes of `text`. */
export function utf8(text: string): Uint8Array {
  return new TextEncoder().encode(text);
}

/** base64url without padding (RFC 4648 §5). */
export function base64url(bytes: Uint8Array): string {
  let s = '';
  for (const b of bytes) s += String.fromCharCode(b);
  return btoa(s).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

/** SHA-256 of the UTF-8 bytes of `text` (WebCrypto). */
export async function sha256(text: string): Promise<Uint8Array> {
  return new Uint8Array(await crypto.subtle.digest('SHA-256', utf8(text)));
}
