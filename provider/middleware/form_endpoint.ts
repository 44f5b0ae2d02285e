/**
 * The shape of the provider's back-channel form endpoints (token, introspection, revocation,
 * device authorization, backchannel authentication): a function from the validated form
 * parameters, the Authorization header and the caller's address to a JSON answer. It knows no
 * framework, so one endpoint serves both ways in: directly off node:http for a plain UTF-8 form
 * (direct_forms.ts, the hot path) and through express for anything else (another charset, a
 * compressed body, a case-folded path), with the same answers and the same errors.
 */
import type { Request, RequestHandler } from 'express';
import type { ServerResponse } from 'node:http';
import { sendJson } from '../../shared/http/admission.ts';
import type { Params } from './params.ts';
import { requestParams } from './params.ts';

/** What a form endpoint reads from its request. */
export interface FormRequest {
  /** The form body, one string per parameter (params.ts: repeated or oversized ones are refused). */
  readonly params: Params;
  readonly authorization: string | undefined;
  /** The caller's address, as `NOD_TRUST_PROXY` says to read it. */
  readonly ip: string;
}

/** Its answer: a JSON body (none: an empty 200) with headers besides no-store. */
export interface FormAnswer {
  readonly body?: object;
  readonly headers?: Readonly<Record<string, string>>;
}

/** A back-channel form endpoint; protocol errors are thrown as OAuthErrors. */
export type FormEndpoint = (req: FormRequest) => Promise<FormAnswer>;

/** What a JSON endpoint (the CIBA callback) reads from its request. */
export interface JsonBodyRequest {
  /** The body as express.json (strict) parses it; undefined when the request was not JSON. */
  readonly body: unknown;
  /** The request's Content-Type is application/json. */
  readonly json: boolean;
  readonly authorization: string | undefined;
}

/** A back-channel JSON endpoint, served both ways like a FormEndpoint. */
export type JsonBodyEndpoint = (req: JsonBodyRequest) => Promise<FormAnswer>;

/** Sends an endpoint's answer (every one is no-store). */
export function sendAnswer(res: ServerResponse, answer: FormAnswer): void {
  if (answer.body) {
    sendJson(res, 200, answer.body, answer.headers);
    return;
  }
  res.statusCode = 200;
  res.setHeader('Cache-Control', 'no-store');
  for (const name in answer.headers) res.setHeader(name, answer.headers[name]!);
  res.setHeader('Content-Length', 0);
  res.end();
}

/** The endpoint's FormRequest from an express request (its body parsed by parse_form.ts). */
function fromExpress(req: Request): FormRequest {
  return { params: requestParams(req), authorization: req.headers.authorization, ip: req.ip ?? 'unknown' };
}

/** The endpoint as an express handler: errors go to the router's error renderer. */
export function expressForm(endpoint: FormEndpoint): RequestHandler {
  return async (req, res) => sendAnswer(res, await endpoint(fromExpress(req)));
}

/** A JSON endpoint as an express handler (after express.json). */
export function expressJsonBody(endpoint: JsonBodyEndpoint): RequestHandler {
  return async (req, res) =>
    sendAnswer(res, await endpoint({ body: req.body, json: Boolean(req.is('application/json')), authorization: req.headers.authorization }));
}
