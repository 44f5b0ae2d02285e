/**
 * The browser login session at the provider: an opaque id in the `nod_session` cookie, the
 * session record in the store. A sign-in always starts a new id (no fixation). The cookie is
 * SameSite=None; Secure with secure cookies, so a cross-site POST to /authorize sees it
 * (cookies.ts, crossSiteSameSite); the login and consent forms keep their own Strict CSRF cookie.
 */
import type { Request, Response } from 'express';
import type { ProviderContext } from '../context.ts';
import type { Session } from '../models/index.ts';
import type { User } from '../models/user.ts';
import { defaults } from '../defaults.ts';
import { randomId } from '../../shared/random.ts';
import { nowSeconds } from '../../shared/time.ts';
import { clearCookie, crossSiteSameSite, readCookie, setCookie } from './cookies.ts';
import { setSignedInBrowserState, setSignedOutBrowserState } from './browser_state.ts';

export const SESSION_COOKIE = 'nod_session';
/** The ACR of a password sign-in. */
export const ACR_PASSWORD = 'urn:nod:acr:pwd';

export interface CurrentSession {
  readonly sid: string;
  readonly session: Session;
}

/** The live session of this browser, if any. */
export async function readSession(ctx: ProviderContext, req: Request): Promise<CurrentSession | undefined> {
  const sid = readCookie(req, SESSION_COOKIE);
  if (!sid) return undefined;
  const session = await ctx.models.sessions.find(sid);
  return session ? { sid, session } : undefined;
}

/** Signs `user` in on this browser: ends any previous session, stores a new one, sets the cookie. */
export async function startSession(ctx: ProviderContext, req: Request, res: Response, user: User): Promise<CurrentSession> {
  const previous = readCookie(req, SESSION_COOKIE);
  if (previous) await ctx.models.sessions.delete(previous);
  const sid = randomId(32);
  const session: Session = { sub: user.sub, authTime: nowSeconds(), amr: ['pwd'], acr: ACR_PASSWORD, clients: [] };
  await ctx.models.sessions.put(sid, session, { expiresIn: defaults.sessionTtl });
  setCookie(ctx, res, SESSION_COOKIE, sid, { maxAge: defaults.sessionTtl, sameSite: crossSiteSameSite(ctx) });
  setSignedInBrowserState(ctx, res, sid, session);
  ctx.events.emit('session.started', { sub: user.sub });
  return { sid, session };
}

/** Records that `clientId` received tokens in this session (for logout), without losing another client added meanwhile. */
export async function addSessionClient(ctx: ProviderContext, current: CurrentSession, clientId: string): Promise<void> {
  if (current.session.clients.includes(clientId)) return;
  await ctx.models.sessions.update(current.sid, (session) =>
    session && !session.clients.includes(clientId) ? { ...session, clients: [...session.clients, clientId] } : undefined,
  );
}

/** Signs this browser out. */
export async function endSession(ctx: ProviderContext, req: Request, res: Response): Promise<Session | undefined> {
  const sid = readCookie(req, SESSION_COOKIE);
  clearCookie(ctx, res, SESSION_COOKIE, { sameSite: crossSiteSameSite(ctx) });
  setSignedOutBrowserState(ctx, res);
  if (!sid) return undefined;
  const session = await ctx.models.sessions.find(sid);
  await ctx.models.sessions.delete(sid);
  if (session) ctx.events.emit('session.ended', { sub: session.sub });
  return session;
}
