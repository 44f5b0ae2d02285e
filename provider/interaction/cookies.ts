/**
 * The provider's cookies, read and written with the `cookie` package (RFC 6265 parsing and
 * serialising, with its name/value/attribute validation). Every cookie is scoped to the issuer's
 * path, SameSite, and HttpOnly unless a script must read it.
 */
import { parseCookie, stringifySetCookie } from 'cookie';
import type { Request, Response } from 'express';
import type { ProviderContext } from '../context.ts';

/** The values we issue: base64url ids and MACs. Anything else in a cookie of ours is ignored. */
const OUR_VALUE = /^[A-Za-z0-9_-]{1,200}$/;

/** The value of cookie `name` (the first, if the header repeats it), or undefined when absent or not one we could have issued. */
export function readCookie(req: Request, name: string): string | undefined {
  const header = req.headers.cookie;
  if (!header) return undefined;
  const v = parseCookie(header, { decode: (s) => s })[name];
  return v !== undefined && OUR_VALUE.test(v) ? v : undefined;
}

export interface CookieOptions {
  /** Seconds; omit for a browser-session cookie. */
  readonly maxAge?: number;
  readonly sameSite?: 'Lax' | 'Strict' | 'None';
  /** Readable by scripts (only the session-management browser state needs this). */
  readonly script?: boolean;
}

/** Sets a cookie scoped to the issuer's path. */
export function setCookie(ctx: ProviderContext, res: Response, name: string, value: string, options: CookieOptions = {}): void {
  const sameSite = options.sameSite ?? 'Lax';
  const header = stringifySetCookie(
    {
      name,
      value,
      path: new URL(ctx.config.issuer).pathname.replace(/\/$/, '') || '/',
      sameSite: sameSite.toLowerCase() as 'lax' | 'strict' | 'none',
      httpOnly: !options.script,
      secure: ctx.config.secureCookies || sameSite === 'None',
      ...(options.maxAge !== undefined ? { maxAge: Math.max(0, Math.floor(options.maxAge)) } : {}),
    },
    // Our values are base64url already; percent-encoding would change nothing but hide a bad value.
    { encode: (s) => s },
  );
  res.append('Set-Cookie', header);
}

/** Deletes a cookie (set with the same attributes it was set with, `maxAge` aside). */
export function clearCookie(ctx: ProviderContext, res: Response, name: string, options: Omit<CookieOptions, 'maxAge'> = {}): void {
  setCookie(ctx, res, name, '', { ...options, maxAge: 0 });
}

/**
 * SameSite of the cookies a cross-site request must carry: the session, which a cross-site POST
 * to /authorize (a form_post flow started on another site) needs to see, and the browser state
 * that a relying party's check-session iframe reads. None (and so Secure) when cookies are secure
 * (by default: an https issuer); Lax otherwise, since browsers refuse SameSite=None without
 * Secure. Lax cookies travel on top-level GET navigations only, so on plain HTTP a cross-site
 * POST to /authorize arrives without the session and starts a fresh sign-in.
 */
export function crossSiteSameSite(ctx: ProviderContext): 'None' | 'Lax' {
  return ctx.config.secureCookies ? 'None' : 'Lax';
}
