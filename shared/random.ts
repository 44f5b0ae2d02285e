/** Random identifiers from the CSPRNG. */
import { randomBytes } from 'node:crypto';

/**
 * Random bytes are drawn 4 KiB at a time and handed out once each (as crypto.randomUUID does
 * internally): one CSPRNG call per ~100 identifiers instead of one per identifier.
 */
const POOL_BYTES = 4096;
let pool = Buffer.alloc(0);
let offset = 0;

/** base64url of `bytes` random bytes (default 32 = 256 bits). */
export function randomId(bytes = 32): string {
  if (offset + bytes > pool.length) {
    pool = randomBytes(Math.max(POOL_BYTES, bytes));
    offset = 0;
  }
  const id = pool.toString('base64url', offset, offset + bytes);
  // Used bytes are wiped so a byte can never be handed out twice, even by mistake.
  pool.fill(0, offset, offset + bytes);
  offset += bytes;
  return id;
}
