/**
 * CSRF protection for every HTML form: a random browser id in a SameSite=Strict cookie and, in
 * the form, an HMAC of it under the server secret. A POST is accepted only when the two match
 * (compared in constant time); forged cross-site posts carry no cookie or no matching token.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import type { Request, Response } from 'express';
import type { ProviderContext } from '../context.ts';
import { InvalidRequest } from '../../shared/errors.ts';
import { randomId } from '../../shared/random.ts';
import { readCookie, setCookie } from './cookies.ts';

const CSRF_COOKIE = 'nod_csrf';
export const CSRF_FIELD = 'csrf';

function mac(secret: Buffer, browserId: string): string {
  return createHmac('sha256', secret).update(`csrf:${browserId}`).digest('base64url');
}

/** The token to embed in a form (sets the browser cookie when missing). */
export function csrfToken(ctx: ProviderContext, req: Request, res: Response): string {
  let id = readCookie(req, CSRF_COOKIE);
  if (!id) {
    id = randomId(24);
    setCookie(ctx, res, CSRF_COOKIE, id, { sameSite: 'Strict' });
    // Later reads in this request see the new cookie.
    req.headers.cookie = `${req.headers.cookie ? `${req.headers.cookie}; ` : ''}${CSRF_COOKIE}=${id}`;
  }
  return mac(ctx.secret, id);
}

/** Throws unless the form carries the token matching this browser's cookie. */
export function checkCsrf(ctx: ProviderContext, req: Request, submitted: string | undefined): void {
  const id = readCookie(req, CSRF_COOKIE);
  if (!id || !submitted) throw new InvalidRequest('the form has expired or was not sent from this site; reload the page and try again');
  const expected = Buffer.from(mac(ctx.secret, id));
  const given = Buffer.from(submitted);
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) {
    throw new InvalidRequest('the form has expired or was not sent from this site; reload the page and try again');
  }
}
