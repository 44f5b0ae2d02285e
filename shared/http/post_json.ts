/**
 * Server-to-server JSON POSTs (the delegation to the entity, the entity's callback, ping and push
 * notifications), and form POSTs (back-channel logout tokens), over node:http with keep-alive connection pools. The global fetch (undici) cost
 * more CPU than the work it carried on these paths (about a fifth of a bc-authorize request in
 * the profile: WebIDL conversions, streams, AbortSignal.timeout's DOMException), and a burst of
 * round trips opened a connection per request. Redirects are never followed (the answer's status
 * is returned as it is). One JsonPoster per instance, built on its context and closed with it.
 * @see https://nodejs.org/api/http.html#class-httpagent
 */
import { setMaxListeners } from 'node:events';
import { Agent as HttpAgent, request as httpRequest, type IncomingHttpHeaders, type IncomingMessage } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import { httpDefaults } from './defaults.ts';

/** Connections kept per origin and protocol (see httpDefaults.outboundSocketsPerOrigin). */
const MAX_SOCKETS_PER_ORIGIN = httpDefaults.outboundSocketsPerOrigin;
/** Idle connections are closed by us after this long (ms): sooner than a Node server's default keep-alive timeout (5 s). */
const IDLE_MS = 4_000;

export interface PostOptions {
  /** Extra request headers (Authorization, ...). */
  readonly headers?: Readonly<Record<string, string>>;
  /** The whole exchange (connect, send, answer, body) must end within this many ms. */
  readonly timeoutMs: number;
  /** Aborts the request (a service stopping). */
  readonly signal?: AbortSignal;
  /** Largest answer body kept, bytes (the rest is read and dropped). Default 64 KiB. */
  readonly maxBodyBytes?: number;
}

export interface PostAnswer {
  readonly status: number;
  readonly headers: IncomingHttpHeaders;
  readonly body: Buffer;
}

/** Thrown when the exchange did not end within `timeoutMs`. */
export class PostTimeoutError extends Error {
  override readonly name = 'TimeoutError';
  constructor(timeoutMs: number) {
    super(`no answer within ${timeoutMs} ms`);
  }
}

/** A connection error on a reused keep-alive socket: the server closed it as we sent, the request never reached it. */
const staleSocket = (e: unknown, reused: boolean) => reused && ['ECONNRESET', 'EPIPE'].includes((e as NodeJS.ErrnoException).code ?? '');

/** Keep-alive pools for JSON POSTs; `close()` ends their connections. */
export class JsonPoster {
  private readonly http = new HttpAgent({ keepAlive: true, maxSockets: MAX_SOCKETS_PER_ORIGIN, timeout: IDLE_MS, scheduling: 'lifo' });
  private readonly https = new HttpsAgent({ keepAlive: true, maxSockets: MAX_SOCKETS_PER_ORIGIN, timeout: IDLE_MS, scheduling: 'lifo' });
  /** Signals shared by many requests in flight (a service's stop signal: one listener each), limit lifted. */
  private readonly shared = new WeakSet<AbortSignal>();

  /**
   * POSTs `body` as JSON to `url` and resolves with the answer's status, headers and body (any
   * status); rejects on a network error, a timeout (PostTimeoutError) or an abort. A request that
   * met a keep-alive connection the server had just closed is sent once more on a fresh one: it
   * never reached the server (Node's advice for `reusedSocket`).
   */
  async post(url: string | URL, body: unknown, options: PostOptions): Promise<PostAnswer> {
    return this.send(url, JSON.stringify(body), 'application/json', options);
  }

  /** Like {@link post}, with `fields` form-encoded (application/x-www-form-urlencoded): back-channel logout tokens. */
  async postForm(url: string | URL, fields: Readonly<Record<string, string>>, options: PostOptions): Promise<PostAnswer> {
    return this.send(url, new URLSearchParams(fields).toString(), 'application/x-www-form-urlencoded', options);
  }

  private async send(url: string | URL, payload: string, contentType: string, options: PostOptions): Promise<PostAnswer> {
    const target = typeof url === 'string' ? new URL(url) : url;
    if (target.protocol !== 'http:' && target.protocol !== 'https:') throw new TypeError(`cannot POST to ${target.protocol} URLs`);
    const deadline = Date.now() + options.timeoutMs;
    if (options.signal && !this.shared.has(options.signal)) {
      this.shared.add(options.signal);
      setMaxListeners(0, options.signal);
    }
    try {
      return await this.once(target, payload, contentType, options, deadline);
    } catch (e) {
      if (!staleSocket(e, (e as { reusedSocket?: boolean }).reusedSocket === true) || options.signal?.aborted) throw e;
      return this.once(target, payload, contentType, options, deadline);
    }
  }

  /** Closes every pooled connection (requests in flight end with an error). */
  close(): void {
    this.http.destroy();
    this.https.destroy();
  }

  private once(url: URL, payload: string, contentType: string, options: PostOptions, deadline: number): Promise<PostAnswer> {
    const https = url.protocol === 'https:';
    const request = https ? httpsRequest : httpRequest;
    return new Promise<PostAnswer>((resolve, reject) => {
      const req = request(url, {
        method: 'POST',
        agent: https ? this.https : this.http,
        headers: { 'content-type': contentType, 'content-length': Buffer.byteLength(payload), ...options.headers },
        ...(options.signal ? { signal: options.signal } : {}),
      });
      const timer = setTimeout(() => req.destroy(new PostTimeoutError(options.timeoutMs)), Math.max(0, deadline - Date.now()));
      const fail = (e: Error) => {
        clearTimeout(timer);
        reject(Object.assign(e, { reusedSocket: req.reusedSocket }));
      };
      req.once('error', fail);
      req.once('response', (res: IncomingMessage) => {
        const limit = options.maxBodyBytes ?? 64 * 1024;
        const chunks: Buffer[] = [];
        let size = 0;
        res.on('data', (chunk: Buffer) => {
          if (size < limit) chunks.push(chunk);
          size += chunk.length;
        });
        res.once('error', fail);
        res.once('end', () => {
          clearTimeout(timer);
          resolve({ status: res.statusCode ?? 0, headers: res.headers, body: chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks) });
        });
      });
      req.end(payload);
    });
  }
}
