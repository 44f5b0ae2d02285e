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

export interface FormOptions {
  /** Largest body, bytes. */
  readonly limit: number;
  /** Most parameters. */
  readonly parameterLimit: number;
}

const FORM = 'application/x-www-form-urlencoded';

/** An error shaped like body-parser's (shared/errors.ts bodyParserError reads `type`). */
function bodyError(type: string, status: number, message: string): Error {
  return Object.assign(new Error(message), { type, status, expose: true });
}

/** Whether the fast path reads this request (else `fallback` does, or nothing when it is not a form). */
export function isPlainForm(contentType: string | undefined, contentEncoding: string | undefined): boolean | undefined {
  if (!contentType) return undefined;
  const semi = contentType.indexOf(';');
  const type = (semi < 0 ? contentType : contentType.slice(0, semi)).trim().toLowerCase();
  if (type !== FORM) return undefined;
  if (contentEncoding !== undefined && contentEncoding.toLowerCase() !== 'identity') return false;
  if (semi < 0) return true;
  const params = contentType
    .slice(semi + 1)
    .trim()
    .toLowerCase();
  return params === '' || params === 'charset=utf-8' || params === 'charset="utf-8"';
}

/** A parsed form body: a repeated name becomes an array (params.ts refuses it). */
export type FormBody = Record<string, string | string[]>;

/**
 * Reads and decodes the plain UTF-8 form body of `req` (isPlainForm said true), within the limits;
 * calls `done` once, with body-parser's error shapes on failure.
 */
export function readForm(req: IncomingMessage, options: FormOptions, done: (err: Error | undefined, body?: FormBody) => void): void {
  const declared = req.headers['content-length'];
  if (declared !== undefined && Number(declared) > options.limit) {
    done(bodyError('entity.too.large', 413, 'request entity too large'));
    return;
  }
  const chunks: Buffer[] = [];
  let size = 0;
  const finish = (err?: Error) => {
    req.off('data', onData);
    req.off('end', onEnd);
    req.off('aborted', onAborted);
    req.off('error', finish);
    if (err) return done(err);
    const body: FormBody = Object.create(null);
    let count = 0;
    for (const [name, value] of new URLSearchParams(chunks.length === 1 ? chunks[0]!.toString('utf8') : Buffer.concat(chunks).toString('utf8'))) {
      if (++count > options.parameterLimit) return done(bodyError('parameters.too.many', 413, 'too many parameters'));
      const before = body[name];
      body[name] = before === undefined ? value : Array.isArray(before) ? [...before, value] : [before, value];
    }
    done(undefined, body);
  };
  const onData = (chunk: Buffer) => {
    size += chunk.length;
    if (size > options.limit) return finish(bodyError('entity.too.large', 413, 'request entity too large'));
    chunks.push(chunk);
  };
  const onEnd = () => finish();
  const onAborted = () => finish(bodyError('request.aborted', 400, 'request aborted'));
  req.on('data', onData);
  req.on('end', onEnd);
  req.on('aborted', onAborted);
  req.on('error', finish);
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
