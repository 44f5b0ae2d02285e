/**
 * The shape of the entity's hot JSON endpoints (the provider's delegation, the device's decision):
 * a function from the parsed body, the Authorization header and the path's parameters to a JSON
 * answer. It knows no framework, so one endpoint serves both ways in: straight off node:http for a
 * plain UTF-8 JSON body (direct_api.ts, the hot path) and through express for anything else
 * (another charset, a compressed body, a case-folded path), with the same answers and errors.
 */
import type { RequestHandler } from 'express';
import type { ServerResponse } from 'node:http';
import { sendJson } from '../../shared/http/admission.ts';
import type { Device } from '../models.ts';

/** What a JSON endpoint reads from its request. */
export interface JsonRequest {
  /** The parsed body (express.json's strict reading: an object or array; `{}` when empty). */
  readonly body: unknown;
  readonly authorization: string | undefined;
  /** The path's parameters (`:id`), decoded. */
  readonly params: Readonly<Record<string, string>>;
  /** The device the request authenticated as, on routes that require one (authenticated before the body is read). */
  readonly device?: Device;
}

/** Its answer: status and JSON body (always no-store), with headers besides. */
export interface JsonAnswer {
  readonly status: number;
  readonly body: object;
  readonly headers?: Readonly<Record<string, string>>;
}

/** A JSON endpoint; protocol errors are thrown as OAuthErrors. */
export type JsonEndpoint = (req: JsonRequest) => Promise<JsonAnswer>;

export function sendJsonAnswer(res: ServerResponse, answer: JsonAnswer): void {
  sendJson(res, answer.status, answer.body, answer.headers);
}

/** The endpoint as an express handler (after express.json, and authenticateDevice where the route needs a device): errors go to the router's error renderer. */
export function expressJsonEndpoint(endpoint: JsonEndpoint): RequestHandler {
  return async (req, res) => {
    const params: Record<string, string> = {};
    for (const [k, v] of Object.entries(req.params ?? {})) params[k] = String(v);
    const device = res.locals.device as Device | undefined;
    sendJsonAnswer(res, await endpoint({ body: req.body, authorization: req.headers.authorization, params, ...(device ? { device } : {}) }));
  };
}
