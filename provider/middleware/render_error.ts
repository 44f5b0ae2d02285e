/**
 * The one place protocol errors become HTTP responses for the JSON endpoints. Anything that is
 * not an OAuthError (a bug) is logged and answered as a plain server_error without details;
 * body-parser failures are the client's fault and answered 400/413 (shared bodyParserError).
 */
import type { ErrorRequestHandler } from 'express';
import type { ServerResponse } from 'node:http';
import { sendJson } from '../../shared/http/admission.ts';
import { InvalidClient, toOAuthError, type OAuthError } from '../../shared/errors.ts';
import type { Logger } from '../../shared/log.ts';
import { sendErrorPage } from '../views/layout.ts';

/** Express error middleware for JSON endpoints. */
export function renderJsonError(log: Logger): ErrorRequestHandler {
  return (err, req, res, _next) => sendJsonError(res, toOAuthError(err, log, req.path), log, { path: req.path, authorization: req.headers.authorization });
}

/** What an error answer needs of its request: the path (logged) and the Authorization header (for a Basic challenge). */
export interface RefusedRequest {
  readonly path: string;
  readonly authorization: string | undefined;
}

/**
 * Answers a protocol error as JSON (no-store, the error's headers, a Basic challenge for a
 * failed Basic client authentication). Hot endpoints call it for the errors they expect
 * (authorization_pending, slow_down) instead of going through express's error routing.
 */
export function sendJsonError(res: ServerResponse, e: OAuthError, log: Logger, req: RefusedRequest): void {
  if (e.status < 500) log.debug('request.refused', { path: req.path, error: e.error, detail: e.detail ?? e.description });
  if (res.headersSent) return;
  const challenge = e instanceof InvalidClient && /^basic /i.test(req.authorization ?? '');
  sendJson(res, e.status, e.toJSON(), challenge ? { ...e.headers, 'WWW-Authenticate': 'Basic realm="nod"' } : e.headers);
}

/** Express error middleware for HTML pages: the user sees a page that says what went wrong. */
export function renderHtmlError(log: Logger): ErrorRequestHandler {
  return (err, req, res, _next) => {
    const e = toOAuthError(err, log, req.path);
    if (res.headersSent) return;
    const title = e.status >= 500 ? 'Something went wrong' : 'This request cannot be completed';
    sendErrorPage(res.set(e.headers), e.status, title, e.status >= 500 ? 'Please try again in a moment.' : e.description);
  };
}
