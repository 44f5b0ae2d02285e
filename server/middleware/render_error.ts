/**
 * The one place errors become HTTP responses: typed errors as the ErrorResponse body; body-parser
 * failures as the protocol's 400/413 (shared bodyParserError); anything else (a bug) logged and
 * answered as server_error.
 */
import type { ErrorRequestHandler } from 'express';
import { toOAuthError } from '../../shared/errors.ts';
import type { Logger } from '../../shared/log.ts';

export function renderError(log: Logger): ErrorRequestHandler {
  return (err, req, res, _next) => {
    const e = toOAuthError(err, log, req.path);
    if (e.status < 500) log.debug('request.refused', { path: req.path, status: e.status, error: e.error, detail: e.detail ?? e.description });
    if (res.headersSent) return;
    res
      .status(e.status)
      .set({ 'Cache-Control': 'no-store', ...e.headers })
      .json(e.toJSON());
  };
}
