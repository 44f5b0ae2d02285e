/**
 * The hot back-channel endpoints served straight off node:http. A POST to one of `routes` with a
 * plain UTF-8 form body (parse_form.ts isPlainForm), or to one of `jsonRoutes` (the CIBA callback)
 * with a plain UTF-8 JSON body, is read, validated and answered here, with the
 * headers the express stack would set (security headers, CORS where the route has it); every other
 * request goes to `fallback`, the express app, which serves the same endpoints for the rest
 * (another charset, a compressed body, a case-folded or slash-ended path, OPTIONS) with the same
 * answers. The express stack costs about 80 µs a request on this machine (router, request
 * decoration, per-route middleware): a third of a client_credentials request.
 */
import type { IncomingMessage, RequestListener, ServerResponse } from 'node:http';
import proxyaddr from 'proxy-addr';
import { toOAuthError } from '../../shared/errors.ts';
import { setSecurityHeaders } from '../../shared/http/security_headers.ts';
import type { Logger } from '../../shared/log.ts';
import { setCorsHeaders } from './cors.ts';
import { type FormEndpoint, type JsonBodyEndpoint, sendAnswer } from './form_endpoint.ts';
import { isPlainBody, readJsonBody } from '../../shared/http/read_body.ts';
import { toParams } from './params.ts';
import { type FormOptions, isPlainForm, readForm } from './parse_form.ts';
import { sendJsonError } from './render_error.ts';

/** One directly served route. */
export interface DirectRoute {
  readonly endpoint: FormEndpoint;
  /** Browser-based clients call it (cors.ts). */
  readonly cors: boolean;
}

export interface DirectFormsOptions {
  /** Exact paths (no query) to their routes. */
  readonly routes: ReadonlyMap<string, DirectRoute>;
  /** Exact paths of JSON endpoints (the CIBA callback), served directly for a plain UTF-8 JSON body. */
  readonly jsonRoutes: ReadonlyMap<string, JsonBodyEndpoint>;
  readonly form: FormOptions;
  /** Whom to believe about the caller's address: express's compiled `trust proxy fn`. */
  readonly trust: (address: string, hop: number) => boolean;
  readonly log: Logger;
}

/** The request listener: direct routes here, everything else to `fallback`. */
export function directForms(options: DirectFormsOptions, fallback: RequestListener): RequestListener {
  const { routes, jsonRoutes, form, trust, log } = options;
  return (req, res) => {
    if (req.method !== 'POST') return fallback(req, res);
    const url = req.url ?? '';
    const q = url.indexOf('?');
    const path = q < 0 ? url : url.slice(0, q);
    const json = jsonRoutes.get(path);
    if (json && isPlainBody('application/json', req.headers['content-type'], req.headers['content-encoding']) === true) {
      setSecurityHeaders(res);
      serveJson(req, res, json, form.limit).catch((e) => refuse(req, res, path, e, log));
      return;
    }
    const route = routes.get(path);
    if (!route || isPlainForm(req.headers['content-type'], req.headers['content-encoding']) !== true) return fallback(req, res);
    setSecurityHeaders(res);
    if (route.cors) setCorsHeaders(res);
    readForm(req, form, (err, body) => {
      if (err) return refuse(req, res, path, err, log);
      serve(req, res, route.endpoint, body, trust).catch((e) => refuse(req, res, path, e, log));
    });
  };
}

async function serve(req: IncomingMessage, res: ServerResponse, endpoint: FormEndpoint, body: unknown, trust: DirectFormsOptions['trust']): Promise<void> {
  const params = toParams(body);
  sendAnswer(res, await endpoint({ params, authorization: req.headers.authorization, ip: proxyaddr(req, trust) }));
}

async function serveJson(req: IncomingMessage, res: ServerResponse, endpoint: JsonBodyEndpoint, limit: number): Promise<void> {
  const body = await readJsonBody(req, limit);
  sendAnswer(res, await endpoint({ body, json: true, authorization: req.headers.authorization }));
}

function refuse(req: IncomingMessage, res: ServerResponse, path: string, err: unknown, log: Logger): void {
  sendJsonError(res, toOAuthError(err, log, path), log, { path, authorization: req.headers.authorization });
}
