/** Random identifiers from the CSPRNG. */
import { randomBytes } from 'node:crypto';

/** base64url of `bytes` random bytes (default 32 = 256 bits). */
export function randomId(bytes = 32): string {
  return randomBytes(bytes).toString('base64url');
}

export const nowSeconds = (): number => Math.floor(Date.now() / 1000);
