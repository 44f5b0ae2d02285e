/**
 * The one place errors become HTTP responses: typed errors as the ErrorResponse body; body-parser
 * failures as the protocol's 400/413 (shared bodyParserError); anything else (a bug) logged and
 * answered as server_error.
 */
import type { ErrorRequestHandler } from 'express';
import type { ServerResponse } from 'node:http';
import { sendJson } from '../../shared/http/admission.ts';
import { toOAuthError } from '../../shared/errors.ts';
import type { Logger } from '../../shared/log.ts';

/**
 * Headers a file response may have set before it failed (express.static sets them, then finds the
 * Range cannot be satisfied): they describe the file, not the error that is sent instead.
 */
const FILE_HEADERS = ['Content-Type', 'ETag', 'Last-Modified', 'Accept-Ranges', 'Service-Worker-Allowed', 'Content-Disposition'];

export function renderError(log: Logger): ErrorRequestHandler {
  return (err, req, res, _next) => sendError(res, err, log, req.path);
}

/** Sends `err` as its ErrorResponse (the express error handler above, and the direct routes of direct_api.ts). */
export function sendError(res: ServerResponse, err: unknown, log: Logger, path: string): void {
  const e = toOAuthError(err, log, path);
  if (e.status < 500) log.debug('request.refused', { path, status: e.status, error: e.error, detail: e.detail ?? e.description });
  if (res.headersSent) return;
  for (const name of FILE_HEADERS) res.removeHeader(name);
  sendJson(res, e.status, e.toJSON(), e.headers);
}
