/**
 * The `sid` claim of ID tokens: an identifier of the login session that relying parties may see.
 * It is derived from the session cookie's value with the server secret, so it names the session
 * without revealing the cookie (which would let a relying party take over the session).
 * @see https://openid.net/specs/openid-connect-frontchannel-1_0.html#ClaimsContents
 */
import { createHmac } from 'node:crypto';
import type { ProviderContext } from '../context.ts';

/** The public session id for the session stored under `sessionKey`. */
export function publicSid(ctx: ProviderContext, sessionKey: string): string {
  return createHmac('sha256', ctx.secret).update(`sid:${sessionKey}`).digest('base64url').slice(0, 32);
}
