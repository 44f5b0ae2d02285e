/**
 * Reading request parameters safely: a repeated parameter, a non-string value or an oversized
 * one is an `invalid_request`, never a crash further down.
 * @see https://www.rfc-editor.org/rfc/rfc6749#section-3.1 (parameters MUST NOT be repeated)
 */
import type { Request } from 'express';
import { InvalidRequest } from '../../shared/errors.ts';
import { defaults } from '../defaults.ts';

export type Params = Readonly<Record<string, string | undefined>>;

/**
 * Parameters whose own check has a documented size limit and the protocol's error for it
 * (authorization_details: invalid_authorization_details); the request body limit bounds them here.
 */
const OWN_SIZE_LIMIT: ReadonlySet<string> = new Set(['authorization_details']);

/** Whether a parameter value is longer than this endpoint accepts. */
export function tooLong(name: string, value: string): boolean {
  return value.length > defaults.maxParamLength && !OWN_SIZE_LIMIT.has(name);
}

/** Validates a raw parameter bag (query or form body) into single string values. */
export function toParams(raw: unknown): Params {
  if (raw === undefined || raw === null) return {};
  if (typeof raw !== 'object') throw new InvalidRequest('parameters must be form-encoded');
  const out: Record<string, string | undefined> = Object.create(null);
  for (const [name, value] of Object.entries(raw as Record<string, unknown>)) {
    if (Array.isArray(value)) throw new InvalidRequest(`parameter ${name} is repeated`);
    if (typeof value !== 'string') throw new InvalidRequest(`parameter ${name} must be a string`);
    if (tooLong(name, value)) throw new InvalidRequest(`parameter ${name} is too long`);
    // Empty parameters are treated as omitted (RFC 6749 section 3.1).
    out[name] = value === '' ? undefined : value;
  }
  return out;
}

/** The form body of a POST, or the query of a GET. */
export function requestParams(req: Request): Params {
  if (req.method === 'POST') {
    if (!req.is('application/x-www-form-urlencoded')) throw new InvalidRequest('the body must be application/x-www-form-urlencoded');
    return toParams(req.body);
  }
  return toParams(req.query);
}

/** A required parameter (of those `params` has: a grant may only ask for one it declared). */
export function required<K extends string>(params: { readonly [P in K]?: string }, name: NoInfer<K>): string {
  const v = params[name];
  if (v === undefined) throw new InvalidRequest(`missing required parameter ${name}`);
  return v;
}

/** Splits a space-delimited list (scope, response_type, prompt, acr_values). */
export function spaceList(value: string | undefined): string[] {
  return value ? value.split(' ').filter(Boolean) : [];
}
