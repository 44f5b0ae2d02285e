/**
 * Proof that this browser entered a user code and passed the guessing limits: an HMAC of the
 * code and the browser's CSRF token under the server secret. It lets the confirm page (reached
 * again after the sign-in round trip) show a request without being a code-guessing oracle.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import type { ProviderContext } from '../context.ts';

/** The proof for `userCode` (normalized) in the browser whose CSRF token is `browserToken`. */
export function codeProof(ctx: ProviderContext, userCode: string, browserToken: string): string {
  return createHmac('sha256', ctx.secret).update(`device-code:${userCode}:${browserToken}`).digest('base64url');
}

/** Whether `given` is this browser's proof for `userCode`, compared in constant time. */
export function checkCodeProof(ctx: ProviderContext, userCode: string, browserToken: string, given: string | undefined): boolean {
  if (!given) return false;
  const expected = Buffer.from(codeProof(ctx, userCode, browserToken));
  const actual = Buffer.from(given);
  return actual.length === expected.length && timingSafeEqual(actual, expected);
}
