/**
 * The entity's hot endpoints served straight off node:http: the provider's delegation POST and the
 * device's decision POST, with a plain UTF-8 JSON body (shared/http/read_body.ts), are read,
 * authenticated and answered here, with the headers the express stack sets (security headers;
 * the API's CORS headers) and its errors (render_error.ts sendError). Every other request goes to
 * the express app, which serves the same endpoints for the rest (another charset, a compressed
 * body, a case-folded or slash-ended path) with the same answers. The express stack (router,
 * request decoration, body-parser) was about a tenth of the entity's CPU in the round trip.
 */
import type { IncomingMessage, RequestListener, ServerResponse } from 'node:http';
import { setSecurityHeaders } from '../shared/http/security_headers.ts';
import { isPlainBody, readJsonBody } from '../shared/http/read_body.ts';
import type { Logger } from '../shared/log.ts';
import { type JsonEndpoint, type JsonRequest, sendJsonAnswer } from './endpoints/json_endpoint.ts';
import type { Device } from './models.ts';
import { sendError } from './middleware/render_error.ts';

/** One directly served POST route. */
export interface DirectRoute {
  /** The path's parameters when `path` (no query) is this route's, else undefined. */
  readonly match: (path: string) => Record<string, string> | undefined;
  readonly endpoint: JsonEndpoint;
  /** For routes an enrolled device calls: the device of the Authorization header (run before the body is read, as express's route does), or throws 401. */
  readonly device?: (authorization: string | undefined) => Promise<Device>;
  /** Under /api: the app API's CORS headers. */
  readonly api: boolean;
}

/** The app API's CORS headers (app.ts sets the same on every /api response). */
export const API_CORS_HEADERS: Readonly<Record<string, string>> = {
  'Access-Control-Allow-Origin': '*',
  'Access-Control-Allow-Headers': 'Authorization, Content-Type',
  'Access-Control-Allow-Methods': 'GET, POST, PUT, PATCH, DELETE',
};

/** A route of exactly `path`. */
export const exactPath = (path: string) => (p: string) => (p === path ? {} : undefined);

/** A route of `prefix` + one path segment (`:id`, percent-decoded) + `suffix`; a segment that does not decode is left to express. */
export const idPath = (prefix: string, suffix: string) => (p: string) => {
  if (!p.startsWith(prefix) || !p.endsWith(suffix) || p.length <= prefix.length + suffix.length) return undefined;
  const raw = p.slice(prefix.length, p.length - suffix.length);
  if (raw.includes('/')) return undefined;
  try {
    return { id: decodeURIComponent(raw) };
  } catch {
    return undefined;
  }
};

export interface DirectApiOptions {
  readonly routes: readonly DirectRoute[];
  /** Largest body, bytes. */
  readonly limit: number;
  readonly log: Logger;
}

/** The request listener: the direct routes here, everything else to `fallback`. */
export function directApi(options: DirectApiOptions, fallback: RequestListener): RequestListener {
  const { routes, limit, log } = options;
  return (req, res) => {
    if (req.method !== 'POST') return fallback(req, res);
    const url = req.url ?? '';
    const q = url.indexOf('?');
    const path = q < 0 ? url : url.slice(0, q);
    for (const route of routes) {
      const params = route.match(path);
      if (params === undefined) continue;
      if (isPlainBody('application/json', req.headers['content-type'], req.headers['content-encoding']) !== true) break;
      setSecurityHeaders(res);
      if (route.api) for (const name in API_CORS_HEADERS) res.setHeader(name, API_CORS_HEADERS[name]!);
      serve(req, res, route, params, limit).catch((e) => sendError(res, e, log, path));
      return;
    }
    fallback(req, res);
  };
}

async function serve(req: IncomingMessage, res: ServerResponse, route: DirectRoute, params: Record<string, string>, limit: number): Promise<void> {
  const authorization = req.headers.authorization;
  const device = route.device ? await route.device(authorization) : undefined;
  const request: JsonRequest = { body: await readJsonBody(req, limit), authorization, params, ...(device ? { device } : {}) };
  sendJsonAnswer(res, await route.endpoint(request));
}
