/**
 * Reads the authorization request's parameters (query on GET, form body on POST) without
 * stopping at the first bad one: a repeated, non-string or oversized parameter is kept as a
 * `problem`, so it can be redirected to the client once client_id and redirect_uri are known good.
 * @see https://openid.net/specs/openid-connect-core-1_0.html#AuthRequest
 */
import type { Request } from 'express';
import { InvalidRequest, type OAuthError } from '../../../shared/errors.ts';
import { tooLong, type Params } from '../../middleware/params.ts';

export interface AuthorizationParams {
  /** Every well-formed parameter; empty values count as omitted (RFC 6749 §3.1). */
  readonly params: Params;
  /** The error for the first malformed parameter, if any... */
  readonly problem?: OAuthError;
  /** ...and that parameter's name. */
  readonly problemParam?: string;
}

/** Collects single-valued string parameters and notes the first malformed one. */
export function readAuthorizationParams(req: Request): AuthorizationParams {
  if (req.method === 'POST' && !req.is('application/x-www-form-urlencoded')) {
    throw new InvalidRequest('the authorization request body must be application/x-www-form-urlencoded');
  }
  const raw: unknown = req.method === 'POST' ? req.body : req.query;
  const params: Record<string, string | undefined> = Object.create(null);
  let problem: { error: OAuthError; name: string } | undefined;
  for (const [name, value] of Object.entries((raw ?? {}) as Record<string, unknown>)) {
    if (typeof value === 'string' && !tooLong(name, value)) {
      params[name] = value === '' ? undefined : value;
      continue;
    }
    const why = Array.isArray(value) ? 'is repeated' : typeof value !== 'string' ? 'must be a string' : 'is too long';
    problem ??= { error: new InvalidRequest(`parameter ${name} ${why}`), name };
  }
  return { params, ...(problem ? { problem: problem.error, problemParam: problem.name } : {}) };
}
