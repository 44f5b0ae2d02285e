/**
 * The form-body parser of the provider's endpoints. The common case (an
 * application/x-www-form-urlencoded UTF-8 body, no Content-Encoding) is read here and decoded
 * with URLSearchParams; anything else (another charset, a compressed body) goes to express's
 * urlencoded parser as before. Both give the same `req.body`: a repeated name becomes an array
 * (which params.ts refuses), and the same failures: body-parser's error `type`s, which
 * shared/errors.ts turns into the protocol's 400 or 413.
 * It replaces body-parser + raw-body + qs on the token and backchannel endpoints, about 8 % of a
 * client_credentials request in the profile.
 * @see https://url.spec.whatwg.org/#urlencoded-parsing
 */
import type { RequestHandler } from 'express';
import type { IncomingMessage } from 'node:http';
import { bodyError, isPlainBody, readBody } from '../../shared/http/read_body.ts';

export interface FormOptions {
  /** Largest body, bytes. */
  readonly limit: number;
  /** Most parameters. */
  readonly parameterLimit: number;
}

const FORM = 'application/x-www-form-urlencoded';

/** Whether the fast path reads this request (else `fallback` does, or nothing when it is not a form). */
export const isPlainForm = (contentType: string | undefined, contentEncoding: string | undefined): boolean | undefined =>
  isPlainBody(FORM, contentType, contentEncoding);

/** A parsed form body: a repeated name becomes an array (params.ts refuses it). */
export type FormBody = Record<string, string | string[]>;

/**
 * Reads and decodes the plain UTF-8 form body of `req` (isPlainForm said true), within the limits;
 * calls `done` once, with body-parser's error shapes on failure.
 */
export function readForm(req: IncomingMessage, options: FormOptions, done: (err: Error | undefined, body?: FormBody) => void): void {
  readBody(req, options.limit, (err, bytes) => {
    if (err) return done(err);
    const body: FormBody = Object.create(null);
    let count = 0;
    for (const [name, value] of new URLSearchParams(bytes!.toString('utf8'))) {
      if (++count > options.parameterLimit) return done(bodyError('parameters.too.many', 413, 'too many parameters'));
      const before = body[name];
      body[name] = before === undefined ? value : Array.isArray(before) ? [...before, value] : [before, value];
    }
    done(undefined, body);
  });
}

/** The form parser: the fast path, else `fallback` (express.urlencoded with the same limits). */
export function parseForm(options: FormOptions, fallback: RequestHandler): RequestHandler {
  return (req, res, next) => {
    const fast = isPlainForm(req.headers['content-type'], req.headers['content-encoding']);
    if (fast === false) return fallback(req, res, next);
    if (fast === undefined || req.method === 'GET' || req.method === 'HEAD') return next();
    readForm(req, options, (err, body) => {
      if (err) return next(err);
      req.body = body;
      next();
    });
  };
}
