/** Cookie reading and writing without a dependency; every cookie is httpOnly and SameSite. */
import type { Request, Response } from 'express';
import type { ProviderContext } from '../context.ts';

/** Parses the Cookie header (first value of a name wins). */
export function readCookie(req: Request, name: string): string | undefined {
  const header = req.headers.cookie;
  if (!header) return undefined;
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq < 0) continue;
    if (part.slice(0, eq).trim() === name) {
      const v = part.slice(eq + 1).trim();
      return /^[A-Za-z0-9_-]{1,200}$/.test(v) ? v : undefined;
    }
  }
  return undefined;
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
  const path = new URL(ctx.config.issuer).pathname.replace(/\/$/, '') || '/';
  const parts = [`${name}=${value}`, `Path=${path}`, `SameSite=${options.sameSite ?? 'Lax'}`];
  if (!options.script) parts.push('HttpOnly');
  if (ctx.config.secureCookies || options.sameSite === 'None') parts.push('Secure');
  if (options.maxAge !== undefined) parts.push(`Max-Age=${Math.max(0, Math.floor(options.maxAge))}`);
  res.append('Set-Cookie', parts.join('; '));
}

export function clearCookie(ctx: ProviderContext, res: Response, name: string): void {
  setCookie(ctx, res, name, '', { maxAge: 0 });
}
