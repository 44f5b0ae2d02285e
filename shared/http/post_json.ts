/**
 * Server-to-server JSON POSTs (the delegation to the entity, the entity's callback, ping and push
 * notifications), and form POSTs (back-channel logout tokens), over keep-alive connection pools
 * of undici's dispatcher API. That path cost about half the CPU per request of node:http's client
 * (scratch/post_cpu.ts: 88 against 142 µs per sequential loopback POST, both ends in one process;
 * the round trip's provider spent 14 % less CPU per trip in bursts, bench --ab), and far less than
 * the global fetch, which is undici too but behind WebIDL conversions, streams and AbortSignal.timeout's
 * DOMException (about a fifth of a bc-authorize request in a profile). Redirects are never followed
 * (the answer's status is returned as it is). One JsonPoster per instance, built on its context and
 * closed with it.
 * @see https://undici.nodejs.org/#/docs/api/Dispatcher
 */
import { setMaxListeners } from 'node:events';
import type { IncomingHttpHeaders } from 'node:http';
import { Agent, type Dispatcher } from 'undici';
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

/**
 * The connection failed before any answer began, as happens when the server closes a keep-alive
 * connection just as a request goes out on it: undici cannot tell whether the connection was a
 * reused one (node:http's `reusedSocket`), so every such failure is sent once more, on a fresh
 * connection. No POST here does harm when repeated: a delegation's token is single-use at the
 * entity (a repeat cannot make a second request), and callbacks, notifications and logout tokens
 * are idempotent for their receivers.
 */
const CONNECTION_LOST: readonly string[] = ['ECONNRESET', 'EPIPE', 'UND_ERR_SOCKET'];

/** Keep-alive pools for JSON POSTs; `close()` ends their connections. */
export class JsonPoster {
  private readonly agent = new Agent({ connections: MAX_SOCKETS_PER_ORIGIN, keepAliveTimeout: IDLE_MS, keepAliveMaxTimeout: IDLE_MS });
  /** Signals shared by many requests in flight (a service's stop signal: one listener each), limit lifted. */
  private readonly shared = new WeakSet<AbortSignal>();

  /**
   * POSTs `body` as JSON to `url` and resolves with the answer's status, headers and body (any
   * status); rejects on a network error, a timeout (PostTimeoutError) or an abort. A request whose
   * connection was lost before any answer began is sent once more (CONNECTION_LOST).
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
      if (!(e as { beforeAnswer?: boolean }).beforeAnswer || !CONNECTION_LOST.includes((e as NodeJS.ErrnoException).code ?? '') || options.signal?.aborted) throw e;
      // One turn of the event loop first: the other pooled connections the server closed at the
      // same time are seen closed and dropped, so the retry does not meet one of them.
      await new Promise((resolve) => setImmediate(resolve));
      return this.once(target, payload, contentType, options, deadline);
    }
  }

  /** Closes every pooled connection (requests in flight end with an error). */
  close(): void {
    void this.agent.destroy().catch(() => undefined);
  }

  private once(url: URL, payload: string, contentType: string, options: PostOptions, deadline: number): Promise<PostAnswer> {
    return new Promise<PostAnswer>((resolve, reject) => {
      const exchange = new Exchange(options.maxBodyBytes ?? 64 * 1024, resolve, reject);
      // Our own deadline and abort: they settle the promise at once, even while the request still
      // waits for a connection (undici hands the handler its controller only once it is on one).
      const timer = setTimeout(() => exchange.fail(new PostTimeoutError(options.timeoutMs)), Math.max(0, deadline - Date.now()));
      const signal = options.signal;
      const onAbort = () => exchange.fail(abortError(signal!));
      exchange.finished = () => {
        clearTimeout(timer);
        signal?.removeEventListener('abort', onAbort);
      };
      if (signal?.aborted) return onAbort();
      signal?.addEventListener('abort', onAbort, { once: true });
      this.agent.dispatch(
        {
          origin: url.origin,
          path: `${url.pathname}${url.search}`,
          method: 'POST',
          headers: { 'content-type': contentType, ...options.headers },
          body: payload,
          // The deadline above is the one that counts; these only stop undici waiting longer than it.
          headersTimeout: options.timeoutMs,
          bodyTimeout: options.timeoutMs,
        },
        exchange,
      );
    });
  }
}

/** One POST's answer, gathered from undici's handler callbacks. */
class Exchange implements Dispatcher.DispatchHandler {
  private controller: Dispatcher.DispatchController | undefined;
  private failure: Error | undefined;
  private settled = false;
  private status = 0;
  private headers: IncomingHttpHeaders = {};
  private readonly chunks: Buffer[] = [];
  private size = 0;
  /** Called once the promise is settled (clears the deadline and the abort listener). */
  finished: () => void = () => undefined;

  constructor(
    private readonly limit: number,
    private readonly resolve: (answer: PostAnswer) => void,
    private readonly reject: (e: Error) => void,
  ) {}

  /** Ends the exchange with `e` (a deadline, an abort): the request is aborted now or as soon as it starts. */
  fail(e: Error): void {
    this.failure ??= e;
    this.controller?.abort(e);
    this.settle(e);
  }

  onRequestStart(controller: Dispatcher.DispatchController): void {
    this.controller = controller;
    if (this.failure) controller.abort(this.failure);
  }

  onResponseStart(_controller: Dispatcher.DispatchController, statusCode: number, headers: IncomingHttpHeaders): void {
    this.status = statusCode;
    this.headers = headers;
  }

  onResponseData(_controller: Dispatcher.DispatchController, chunk: Buffer): void {
    if (this.size < this.limit) this.chunks.push(chunk);
    this.size += chunk.length;
  }

  onResponseEnd(): void {
    const body = this.chunks.length === 1 ? this.chunks[0]! : Buffer.concat(this.chunks);
    this.settle(undefined, { status: this.status, headers: this.headers, body });
  }

  onResponseError(_controller: Dispatcher.DispatchController, error: Error): void {
    this.settle(this.failure ?? Object.assign(connectionError(error), { beforeAnswer: this.status === 0 }));
  }

  private settle(error: Error | undefined, answer?: PostAnswer): void {
    if (this.settled) return;
    this.settled = true;
    this.finished();
    if (error) this.reject(error);
    else this.resolve(answer!);
  }
}

/** The abort signal's reason as an AbortError (what node:http and fetch reject with). */
function abortError(signal: AbortSignal): Error {
  const reason: unknown = signal.reason;
  return reason instanceof Error && reason.name === 'AbortError' ? reason : Object.assign(new Error('the request was aborted', { cause: reason }), { name: 'AbortError' });
}

/** undici wraps a failed connect in its own error; the socket's code (ECONNREFUSED, ...) is what callers log and test. */
function connectionError(error: Error): Error {
  const cause = (error as { cause?: unknown }).cause;
  if (!(error as NodeJS.ErrnoException).code?.startsWith('UND_') || !(cause instanceof Error)) return error;
  return cause;
}
