/**
 * Reading a request body straight off node:http, for the hot endpoints served without express
 * (the provider's form endpoints and the CIBA callback, the entity's delegation and decision):
 * the common case (a plain UTF-8 body, no Content-Encoding) is read here; anything else (another
 * charset, a compressed body) is left to express's parsers. Failures have body-parser's error
 * shapes (`type`, `status`, `expose`), so shared/errors.ts turns them into the same 400 or 413
 * whichever way the request went.
 */
import type { IncomingMessage } from 'node:http';

/** An error shaped like body-parser's (shared/errors.ts bodyParserError reads `type`). */
export function bodyError(type: string, status: number, message: string): Error {
  return Object.assign(new Error(message), { type, status, expose: true });
}

/**
 * Whether a body of this Content-Type and Content-Encoding is `mediaType` read plainly: true for
 * the type with no charset or UTF-8 and no (or identity) encoding; false for the type otherwise
 * (express's parser reads it); undefined for another type.
 */
export function isPlainBody(mediaType: string, contentType: string | undefined, contentEncoding: string | undefined): boolean | undefined {
  if (!contentType) return undefined;
  const semi = contentType.indexOf(';');
  const type = (semi < 0 ? contentType : contentType.slice(0, semi)).trim().toLowerCase();
  if (type !== mediaType) return undefined;
  if (contentEncoding !== undefined && contentEncoding.toLowerCase() !== 'identity') return false;
  if (semi < 0) return true;
  const params = contentType
    .slice(semi + 1)
    .trim()
    .toLowerCase();
  return params === '' || params === 'charset=utf-8' || params === 'charset="utf-8"';
}

/**
 * Reads the whole body of `req`, at most `limit` bytes; calls `done` once, with body-parser's error
 * shapes on failure. The caller may start it late (after an await): a request whose client went
 * away meanwhile ends as aborted at once instead of waiting for events that were already emitted.
 */
export function readBody(req: IncomingMessage, limit: number, done: (err: Error | undefined, body?: Buffer) => void): void {
  const declared = req.headers['content-length'];
  if (declared !== undefined && Number(declared) > limit) {
    done(bodyError('entity.too.large', 413, 'request entity too large'));
    return;
  }
  if (req.destroyed) {
    done(bodyError('request.aborted', 400, 'request aborted'));
    return;
  }
  const chunks: Buffer[] = [];
  let size = 0;
  const finish = (err?: Error) => {
    req.off('data', onData);
    req.off('end', onEnd);
    req.off('aborted', onAborted);
    req.off('close', onAborted);
    req.off('error', finish);
    if (err) return done(err);
    done(undefined, chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks));
  };
  const onData = (chunk: Buffer) => {
    size += chunk.length;
    if (size > limit) return finish(bodyError('entity.too.large', 413, 'request entity too large'));
    chunks.push(chunk);
  };
  const onEnd = () => finish();
  // Aborted, or closed before its end: the client went away mid-body.
  const onAborted = () => finish(bodyError('request.aborted', 400, 'request aborted'));
  req.on('data', onData);
  req.on('end', onEnd);
  req.on('aborted', onAborted);
  req.on('close', onAborted);
  req.on('error', finish);
}

/**
 * A JSON body as express.json (strict) reads it: empty is `{}`, anything but an object or an
 * array at the top is refused, as is text that does not parse (entity.parse.failed, 400).
 */
export function parseJsonBody(body: Buffer): unknown {
  let text = body.toString('utf8');
  if (text.charCodeAt(0) === 0xfeff) text = text.slice(1); // a byte order mark, which body-parser's decoder drops too
  if (text.length === 0) return {};
  const first = /^[ \t\n\r]*([^ \t\n\r])/.exec(text)?.[1];
  if (first !== '{' && first !== '[') throw bodyError('entity.parse.failed', 400, 'the body is not a JSON object or array');
  try {
    return JSON.parse(text);
  } catch (e) {
    throw bodyError('entity.parse.failed', 400, (e as Error).message);
  }
}

/** The body of `req` read (readBody) and parsed (parseJsonBody): the JSON routes served without express. */
export function readJsonBody(req: IncomingMessage, limit: number): Promise<unknown> {
  return new Promise((resolve, reject) =>
    readBody(req, limit, (err, bytes) => {
      if (err) return reject(err);
      try {
        resolve(parseJsonBody(bytes!));
      } catch (e) {
        reject(e);
      }
    }),
  );
}
