/**
 * The admission gate of one HTTP service: the only `request` (and `upgrade`) listener of its
 * server, attached before the server accepts a connection, so every request gets an answer.
 *
 *   starting  every request: 503 + Retry-After + JSON; /healthz and /readyz: 503 {"status":"starting"}
 *   ready     requests pass to the app while fewer than `maxRequestsInFlight` are in flight;
 *             past that: 503 + Retry-After (load shed); /healthz and /readyz always answer
 *   stopping  requests in flight finish; late arrivals: 503 + Connection: close;
 *             /healthz and /readyz: 503 {"status":"stopping"}
 *
 * Health checks are answered by the gate itself, never queued behind the app, so an orchestrator
 * sees the truth under any load.
 * @see https://www.rfc-editor.org/rfc/rfc9110#section-15.6.4 (503, Retry-After)
 */
import type { IncomingMessage, RequestListener, ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import { TemporarilyUnavailable } from '../errors.ts';
import type { Logger } from '../log.ts';
import { rawResponse } from './raw_response.ts';

export type GateState = 'starting' | 'ready' | 'stopping';

/** Liveness and readiness paths, answered by the gate in every state. */
export const HEALTH_PATH = '/healthz';
export const READY_PATH = '/readyz';

export interface GateLimits {
  /** Requests in flight (headers received, response not finished) past which new ones are shed. */
  readonly maxRequestsInFlight: number;
  /** Retry-After of every 503 the gate sends, in seconds. */
  readonly retryAfterSeconds: number;
}

/** What the gate hands requests to once the service is ready. */
export interface GatedApp {
  readonly handler: RequestListener;
  /** Upgrade requests (WebSocket), when the service takes them. */
  readonly upgrade?: (req: IncomingMessage, socket: Duplex, head: Buffer) => void;
  /**
   * Extra members of the ready /readyz body (store and key state, connections...); a member
   * `ready: false` (the store does not answer, say) makes /readyz answer 503 with them.
   */
  readonly readiness?: () => Record<string, unknown> | Promise<Record<string, unknown>>;
}

const REASONS: Record<Exclude<GateState, 'ready'> | 'overloaded', string> = {
  starting: 'the server is starting',
  stopping: 'the server is stopping',
  overloaded: 'the server is handling too many requests',
};

export class AdmissionGate {
  private current: GateState = 'starting';
  private app?: GatedApp;
  /** Responses of the requests admitted to the app and not finished yet. */
  private readonly active = new Set<ServerResponse>();
  private shedCount = 0;
  private peak = 0;
  private readonly idleWaiters = new Set<() => void>();

  constructor(
    private readonly limits: GateLimits,
    private readonly log: Logger,
  ) {
    if (!(limits.maxRequestsInFlight > 0)) throw new TypeError('maxRequestsInFlight must be positive');
  }

  get state(): GateState {
    return this.current;
  }

  /** Requests admitted to the app and not finished yet. */
  get inFlight(): number {
    return this.active.size;
  }

  /** Requests answered 503 because too many were in flight, since start. */
  get shed(): number {
    return this.shedCount;
  }

  /** The most requests in flight at once, since start. */
  get peakInFlight(): number {
    return this.peak;
  }

  /** From now on requests go to `app` (starting → ready). */
  open(app: GatedApp): void {
    if (this.current !== 'starting') throw new Error(`cannot open a gate that is ${this.current}`);
    this.app = app;
    this.current = 'ready';
  }

  /**
   * Late arrivals get 503 (and their connection closes) from now on; requests in flight go on.
   * Their responses keep the connection open, so a request the client pipelined behind one
   * still gets its 503 instead of a closed connection.
   */
  beginStop(): void {
    this.current = 'stopping';
  }

  /** Resolves true when no request is in flight, or false after `timeoutMs`. */
  drained(timeoutMs: number): Promise<boolean> {
    if (this.active.size === 0) return Promise.resolve(true);
    return new Promise((resolve) => {
      const done = (ok: boolean) => {
        clearTimeout(timer);
        this.idleWaiters.delete(wake);
        resolve(ok);
      };
      const wake = () => done(true);
      const timer = setTimeout(() => done(false), timeoutMs);
      this.idleWaiters.add(wake);
    });
  }

  /** The server's `request` listener. */
  readonly onRequest = (req: IncomingMessage, res: ServerResponse): void => {
    const path = (req.url ?? '').split('?', 1)[0];
    if ((path === HEALTH_PATH || path === READY_PATH) && (req.method === 'GET' || req.method === 'HEAD')) {
      void this.health(path, res);
      return;
    }
    if (this.current !== 'ready' || !this.app) {
      this.refuse(res, this.current === 'ready' ? 'starting' : this.current);
      return;
    }
    if (this.active.size >= this.limits.maxRequestsInFlight) {
      this.noteShed();
      this.refuse(res, 'overloaded');
      return;
    }
    this.active.add(res);
    this.peak = Math.max(this.peak, this.active.size);
    res.once('close', () => this.release(res));
    this.app.handler(req, res);
  };

  /** The server's `upgrade` listener (WebSocket): admitted like a request, then the socket is the app's. */
  readonly onUpgrade = (req: IncomingMessage, socket: Duplex, head: Buffer): void => {
    const upgrade = this.app?.upgrade;
    let why: keyof typeof REASONS | undefined;
    if (this.current !== 'ready' || !upgrade) why = this.current === 'stopping' ? 'stopping' : 'starting';
    else if (this.active.size >= this.limits.maxRequestsInFlight) {
      this.noteShed();
      why = 'overloaded';
    }
    if (why) return void socket.end(rawResponse(this.unavailable(why)));
    upgrade!(req, socket, head);
  };

  private release(res: ServerResponse): void {
    this.active.delete(res);
    if (this.active.size === 0) for (const wake of [...this.idleWaiters]) wake();
  }

  private async health(path: string, res: ServerResponse): Promise<void> {
    if (this.current !== 'ready') {
      res.setHeader('Retry-After', String(this.limits.retryAfterSeconds));
      if (this.current === 'stopping') res.setHeader('Connection', 'close');
      sendJson(res, 503, { status: this.current });
      return;
    }
    if (path === HEALTH_PATH) {
      sendJson(res, 200, { status: 'ok' });
      return;
    }
    let details: Record<string, unknown>;
    try {
      details = (await this.app?.readiness?.()) ?? {};
    } catch (e) {
      this.log.warn('service.not_ready', { message: (e as Error).message });
      sendJson(res, 503, { status: 'not_ready' });
      return;
    }
    const { ready, ...rest } = details;
    if (ready === false) res.setHeader('Retry-After', String(this.limits.retryAfterSeconds));
    sendJson(res, ready === false ? 503 : 200, { status: ready === false ? 'not_ready' : 'ready', ...rest });
  }

  private unavailable(why: keyof typeof REASONS): TemporarilyUnavailable {
    const e = new TemporarilyUnavailable(`${REASONS[why]}; retry in ${this.limits.retryAfterSeconds} s`);
    e.headers['Retry-After'] = String(this.limits.retryAfterSeconds);
    return e;
  }

  /** 503 without reading the body; the connection closes after it, so a refused client holds nothing here. */
  private refuse(res: ServerResponse, why: keyof typeof REASONS): void {
    const e = this.unavailable(why);
    res.setHeader('Connection', 'close');
    for (const [k, v] of Object.entries(e.headers)) res.setHeader(k, v);
    sendJson(res, e.status, e.toJSON());
  }

  /** One log line per burst of shedding, not one per request. */
  private noteShed(): void {
    if (this.shedCount++ % 1000 === 0)
      this.log.warn('service.overloaded', { inFlight: this.active.size, limit: this.limits.maxRequestsInFlight, shed: this.shedCount });
  }
}

/** Sends `body` as JSON (no-store, plus `headers`) with Node's own response API: no framework work on hot paths. */
export function sendJson(res: ServerResponse, status: number, body: object, headers: Readonly<Record<string, string>> = {}): void {
  const text = JSON.stringify(body);
  res.statusCode = status;
  res.setHeader('Content-Type', 'application/json; charset=utf-8');
  res.setHeader('Cache-Control', 'no-store');
  for (const name in headers) res.setHeader(name, headers[name]!);
  res.setHeader('Content-Length', Buffer.byteLength(text));
  res.end(text);
}
