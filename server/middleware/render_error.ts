/**
 * The one place errors become HTTP responses: typed errors as `{error, error_description}`;
 * body-parser failures as 400/413; anything else (a bug) logged and answered as server_error.
 */
import type { ErrorRequestHandler } from 'express';
import { InvalidRequest, OAuthError, ServerError, isOAuthError } from '../../shared/errors.ts';
import type { Logger } from '../../shared/log.ts';

export function toApiError(err: unknown, log: Logger, where: string): OAuthError {
  if (isOAuthError(err)) return err;
  const e = err as { type?: string; status?: number; message?: string; stack?: string };
  if (e?.type === 'entity.too.large') return new InvalidRequest('the request body is too large').withStatus(413);
  if (e?.type === 'entity.parse.failed' || e?.type === 'encoding.unsupported' || e?.type === 'charset.unsupported' || e?.status === 400) {
    return new InvalidRequest('the request body is not valid JSON');
  }
  log.error('internal.error', { where, message: e?.message, stack: e?.stack });
  return new ServerError();
}

export function renderError(log: Logger): ErrorRequestHandler {
  return (err, req, res, _next) => {
    const e = toApiError(err, log, req.path);
    if (e.status < 500) log.debug('request.refused', { path: req.path, status: e.status, error: e.error, detail: e.detail ?? e.description });
    if (res.headersSent) return;
    res
      .status(e.status)
      .set({ 'Cache-Control': 'no-store', ...e.headers })
      .json(e.toJSON());
  };
}
