/**
 * OpenID Connect Session Management: the OP browser state and `session_state`.
 *
 * The browser state lives in the `nod_bs` cookie, readable by the check_session iframe's script
 * (not HttpOnly; it is no secret: it only says "this browser's login state is X"). While signed
 * in it is `<hmac of the session id>_<session expiry, epoch seconds>`, so it changes with every
 * sign-in and the iframe can tell when the session ran out; sign-out replaces it with a random
 * value. `session_state` = hex(SHA-256(client_id + " " + origin + " " + browser state + " " +
 * salt)) + "." + salt, the form of the specification's example, which the iframe recomputes.
 * @see https://openid.net/specs/openid-connect-session-1_0.html#CreatingUpdatingSessions
 * @see https://openid.net/specs/openid-connect-session-1_0.html#OPiframe
 */
import { createHash, createHmac, randomBytes } from 'node:crypto';
import type { Response } from 'express';
import type { ProviderContext } from '../context.ts';
import type { Session } from '../models/index.ts';
import { defaults } from '../defaults.ts';
import { randomId } from '../../shared/random.ts';
import { crossSiteSameSite, setCookie } from './cookies.ts';

export const BROWSER_STATE_COOKIE = 'nod_bs';

/** How long a signed-out browser state is kept: long, so a missing cookie means "cannot read cookies", not "signed out". */
const SIGNED_OUT_TTL = 365 * 24 * 3600;

/** The browser state of the session stored under `sid`. */
export function browserStateOf(ctx: ProviderContext, sid: string, session: Session): string {
  const mac = createHmac('sha256', ctx.secret).update(`bs:${sid}`).digest('hex').slice(0, 32);
  return `${mac}_${session.authTime + defaults.sessionTtl}`;
}

/**
 * Sets the browser state cookie. SameSite=None (with Secure) when cookies are secure, so an
 * iframe under a relying party on another site may read it where the browser allows
 * third-party cookies; Lax otherwise (http issuers: same-site relying parties only).
 */
function setBrowserStateCookie(ctx: ProviderContext, res: Response, value: string, maxAge: number): void {
  setCookie(ctx, res, BROWSER_STATE_COOKIE, value, { script: true, maxAge, sameSite: crossSiteSameSite(ctx) });
}

/** Signed in (or still signed in): the cookie names this session. */
export function setSignedInBrowserState(ctx: ProviderContext, res: Response, sid: string, session: Session): void {
  setBrowserStateCookie(ctx, res, browserStateOf(ctx, sid, session), defaults.sessionTtl);
}

/** Signed out: a fresh random state, so every session_state issued before reads as changed. */
export function setSignedOutBrowserState(ctx: ProviderContext, res: Response): void {
  setBrowserStateCookie(ctx, res, randomBytes(16).toString('hex'), SIGNED_OUT_TTL);
}

/** `session_state` for a response to `clientId` at `redirectUri` in the browser state `browserState`. */
export function sessionState(clientId: string, redirectUri: string, browserState: string, salt = randomId(12)): string {
  const origin = new URL(redirectUri).origin;
  return `${createHash('sha256').update(`${clientId} ${origin} ${browserState} ${salt}`).digest('hex')}.${salt}`;
}
