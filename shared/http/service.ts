/**
 * The start and stop sequence every Nod HTTP service shares (the provider and the entity):
 *
 *   start  create the server with the admission gate as its only listener → listen (the port is
 *          known; requests get 503 "starting") → open the store → build the app → open the gate
 *   stop   gate to "stopping" (late arrivals 503) → stop accepting → close connections as they go
 *          idle → wait for requests in flight (up to drainTimeoutMs) → stop the app's services →
 *          cut what is left → close the store
 *
 * A failure anywhere in start undoes what was done (the port is released, the store closed) and
 * rethrows, so a caller never holds half a service.
 *
 * Every accepted connection gets an answer, whatever arrives on it:
 *   - an upgrade the app takes (a WebSocket, when `upgrades`) goes to the app through the gate;
 *     any other request that asks for an upgrade (`Upgrade: h2c`, `websocket` on a service
 *     without them, garbage) is served as the plain HTTP/1.1 request it also is, which RFC 9110
 *     allows: Node hands it over as an upgrade, and it is given back to the HTTP server without
 *     its Upgrade header (else Node would read it as a request whose body it never parses, and a
 *     malformed body would never be answered)
 *   - CONNECT: 405
 *   - a request Node's parser refuses (bad framing, a chunk size like 1ffffffffffffffff, headers
 *     too large, too slow): 400 / 431 / 408 while the socket is writable, logged at info as the
 *     client's (`http.client_error` with Node's code as `errorCode`), never as internal.error
 * @see https://www.rfc-editor.org/rfc/rfc9110#section-7.8 (Upgrade)
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { Server as NetServer, type AddressInfo, type Socket } from 'node:net';
import { CLIENT_ERROR_EVENT, InvalidRequest, type OAuthError } from '../errors.ts';
import type { Logger } from '../log.ts';
import { openStore, type StoreConfig } from '../store/open.ts';
import type { Store } from '../store/store.ts';
import { AdmissionGate, type GatedApp, type GateLimits } from './admission.ts';
import { rawResponse } from './raw_response.ts';

/** Connection and request limits of one service (each component's defaults.ts documents its values). */
export interface ServiceLimits extends GateLimits {
  /** Connections the kernel queues until they are accepted (the OS caps it at net.core.somaxconn). */
  readonly listenBacklog: number;
  /** Time a client has to send the request headers (Node's `headersTimeout`), ms. */
  readonly headersTimeoutMs: number;
  /** Time a client has to send the whole request, body included (Node's `requestTimeout`), ms. */
  readonly requestTimeoutMs: number;
  /** How often those two timeouts are checked (Node's `connectionsCheckingInterval`), ms. */
  readonly timeoutCheckIntervalMs: number;
  /** Idle keep-alive connections are closed after this long, ms. */
  readonly keepAliveTimeoutMs: number;
  /** On stop, how long requests in flight may take to finish before their connections are cut, ms. */
  readonly drainTimeoutMs: number;
  /**
   * On stop, a connection that has not sent a request yet gets this long (ms, from its accept) to
   * send one, which is answered 503, before it is closed: a request on its way is never cut, and
   * an idle browser preconnection does not hold the stop for long.
   */
  readonly quietConnectionGraceMs: number;
  /**
   * A connection closed after a response (Connection: close, a refused request) keeps reading,
   * and dropping, what the client still sends (the rest of a body nobody read) for up to this
   * long, ms: closing a socket with unread bytes sends a reset, which can destroy the response
   * before the client has read it.
   * @see https://www.rfc-editor.org/rfc/rfc9112#section-9.6
   */
  readonly lingeringCloseMs: number;
}

/** The app a service runs, built once the port is known and the store is open. */
export interface ServiceApp extends GatedApp {
  /** Stops the app's own work (timers, sockets, retries) after requests in flight have finished. */
  stop?(): Promise<void>;
}

export interface StartServiceOptions<A extends ServiceApp> {
  /** The component (`provider`, `server`): names its store. */
  readonly name: string;
  /** Where to listen (port 0: a free one) and where the store lives. */
  readonly config: { readonly port: number; readonly host?: string | undefined; readonly dataDir: string; readonly store: StoreConfig };
  /** The component's defaults.ts (with any overrides): the limits, and how often the store sweeps. */
  readonly limits: ServiceLimits & { readonly sweepIntervalMs: number };
  readonly log: Logger;
  /** Whether the app takes WebSocket upgrades; other upgrade requests are served as plain requests. */
  readonly upgrades?: boolean;
  /** Builds the app; `port` is the real one (a free one when 0 was asked). */
  build(opened: { readonly port: number; readonly store: Store }): Promise<A>;
}

export interface RunningService<A extends ServiceApp> {
  readonly server: Server;
  readonly gate: AdmissionGate;
  readonly port: number;
  readonly store: Store;
  readonly app: A;
  /** Stops as described above; a second call waits for the first. */
  close(): Promise<void>;
}

/** Starts a service; rejects (leaving nothing open) when the port, the store or the app fails. */
export async function startService<A extends ServiceApp>(options: StartServiceOptions<A>): Promise<RunningService<A>> {
  const { limits, log } = options;
  const gate = new AdmissionGate(limits, log);
  const server = createServer({
    headersTimeout: limits.headersTimeoutMs,
    requestTimeout: limits.requestTimeoutMs,
    connectionsCheckingInterval: limits.timeoutCheckIntervalMs,
    keepAliveTimeout: limits.keepAliveTimeoutMs,
  });
  const connections = new Connections(server, limits.lingeringCloseMs);
  server.on('request', gate.onRequest);
  server.on('upgrade', (req: IncomingMessage, socket: Socket, head: Buffer) => {
    if (options.upgrades && takesWebSocket(req)) {
      connections.release(socket);
      gate.onUpgrade(req, socket, head);
    } else serveAsPlainRequest(server, req, socket, head);
  });
  server.on('connect', (req: IncomingMessage, socket: Socket) => {
    log.info(CLIENT_ERROR_EVENT, { errorCode: 'CONNECT', path: (req.url ?? '').slice(0, 200) });
    answerRaw(socket, new InvalidRequest('CONNECT is not supported').withStatus(405), limits.lingeringCloseMs);
  });
  server.on('clientError', (err: NodeJS.ErrnoException, socket: Socket) => onClientError(err, socket, log, limits.lingeringCloseMs));
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen({ port: options.config.port, host: options.config.host, backlog: limits.listenBacklog }, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;
  let store: Store | undefined;
  let app: A | undefined;
  try {
    store = await openStore({ store: options.config.store, dataDir: options.config.dataDir, name: options.name, sweepIntervalMs: limits.sweepIntervalMs, log });
    app = await options.build({ port, store });
  } catch (e) {
    gate.beginStop();
    await connections.stop({ ...limits, drainTimeoutMs: 0 });
    await app?.stop?.().catch(() => undefined);
    await store?.close().catch(() => undefined);
    throw e;
  }
  gate.open(app);
  const opened = store;
  const built = app;
  let closing: Promise<void> | undefined;
  return {
    server,
    gate,
    port,
    store: opened,
    app: built,
    close() {
      closing ??= (async () => {
        gate.beginStop();
        const closed = connections.stop(limits);
        if (!(await gate.drained(limits.drainTimeoutMs))) log.warn('service.drain_timeout', { inFlight: gate.inFlight, waitedMs: limits.drainTimeoutMs });
        await built.stop?.();
        await closed;
        await opened.close();
      })();
      return closing;
    },
  };
}

/**
 * Whether a request is a WebSocket handshake the app may take: `Upgrade: websocket` (among
 * others maybe) and no body. One with a body is no handshake (RFC 6455 section 4.1), and its body
 * must be read before an answer can be trusted to arrive: it is served as a plain request.
 */
function takesWebSocket(req: IncomingMessage): boolean {
  const body = req.headers['transfer-encoding'] !== undefined || (req.headers['content-length'] ?? '0') !== '0';
  return !body && /(^|,)\s*websocket\s*(,|$)/i.test(req.headers.upgrade ?? '');
}

/**
 * Gives an upgrade request the service does not take back to the HTTP server as a plain request:
 * its head again without Upgrade (and without `upgrade` in Connection), then what followed it,
 * on the same socket, as a new connection of the server.
 */
function serveAsPlainRequest(server: Server, req: IncomingMessage, socket: Socket, rest: Buffer): void {
  const lines = [`${req.method} ${req.url} HTTP/${req.httpVersion}`];
  const raw = req.rawHeaders;
  for (let i = 0; i + 1 < raw.length; i += 2) {
    const name = raw[i]!;
    const lower = name.toLowerCase();
    if (lower === 'upgrade') continue;
    if (lower === 'connection') {
      const kept = raw[i + 1]!.split(',')
        .map((t) => t.trim())
        .filter((t) => t !== '' && t.toLowerCase() !== 'upgrade');
      if (kept.length > 0) lines.push(`${name}: ${kept.join(', ')}`);
      continue;
    }
    lines.push(`${name}: ${raw[i + 1]}`);
  }
  socket.unshift(Buffer.concat([Buffer.from(`${lines.join('\r\n')}\r\n\r\n`, 'latin1'), rest]));
  server.emit('connection', socket);
}

/**
 * Marks a socket answered by answerRaw (Node's parser reports every later chunk it refuses again,
 * and one answer is enough). A mark on the socket itself, so no state outlives it or is shared
 * between the services of one process.
 */
const ANSWERED = Symbol('nod.answeredRaw');
type MarkedSocket = Socket & { [ANSWERED]?: true };
const isAnswered = (socket: Socket) => (socket as MarkedSocket)[ANSWERED] === true;

/** Writes a whole response on a socket no ServerResponse owns, and closes it (lingering, unless `lingerMs` is 0). */
function answerRaw(socket: Socket, e: OAuthError, lingerMs: number): void {
  if (isAnswered(socket)) return;
  (socket as MarkedSocket)[ANSWERED] = true;
  if (!socket.writable) return void socket.destroy();
  socket.write(rawResponse(e));
  if (lingerMs > 0) lingeringClose(socket, lingerMs);
  else {
    socket.end();
    socket.once('finish', () => socket.destroy());
  }
}

/**
 * Closes `socket` without a reset: ends the sending side, then reads and drops what the client
 * still sends until it closes its side (or `ms` have passed), then destroys the socket.
 */
function lingeringClose(socket: Socket, ms: number): void {
  if (socket.destroyed) return;
  const timer = setTimeout(() => socket.destroy(), ms);
  const done = () => {
    if (socket.writableFinished && socket.readableEnded) socket.destroy();
  };
  socket.once('close', () => clearTimeout(timer));
  socket.once('finish', done);
  socket.once('end', done);
  // Bytes Node's HTTP parser no longer reads (an upgrade given over, a refused request) are dropped here.
  socket.on('data', () => undefined);
  socket.end();
  socket.resume();
  done();
}

/** Node's codes of requests its parser refuses, and the status each gets (400 otherwise). */
const CLIENT_ERROR_STATUS: Readonly<Record<string, number>> = {
  HPE_HEADER_OVERFLOW: 431,
  HPE_CHUNK_EXTENSIONS_OVERFLOW: 413,
  ERR_HTTP_REQUEST_TIMEOUT: 408,
};

/**
 * The server's `clientError` listener: the client's fault, logged at info with Node's code, and
 * answered like Node would (400, 431, 408) while the socket is writable and no response has
 * started on it; a reset connection is just closed.
 */
function onClientError(err: NodeJS.ErrnoException, socket: Socket, log: Logger, lingerMs: number): void {
  const code = err.code ?? 'unknown';
  if (isAnswered(socket)) return;
  if (code === 'ECONNRESET' || code === 'EPIPE') return void socket.destroy();
  log.info(CLIENT_ERROR_EVENT, { errorCode: code, message: err.message });
  const started = (socket as Socket & { _httpMessage?: { headersSent?: boolean } })._httpMessage?.headersSent === true;
  if (started) return void socket.destroy();
  const status = CLIENT_ERROR_STATUS[code] ?? 400;
  const why = status === 408 ? 'the request took too long to arrive' : status === 431 ? 'the request headers are too large' : 'the request could not be parsed';
  // A client too slow to send its request has no burst of bytes left to reset the answer: closed at
  // once, like Node does, so the request it held in flight is over now, not when the client closes.
  answerRaw(socket, new InvalidRequest(why).withStatus(status), status === 408 ? 0 : lingerMs);
}

/** One turn of the event loop, poll phase included (so connections waiting in the backlog are accepted). */
const loopTurn = () => new Promise<void>((resolve) => setImmediate(() => setImmediate(resolve)));

/**
 * The HTTP connections of a server, so that stopping never cuts a request: Node's own
 * `server.close()` closes every connection that has no request in progress, which includes one
 * just accepted whose request is still on its way (the client would get a reset, not a 503).
 */
class Connections {
  private readonly open = new Map<Socket, { readonly since: number; busy: number; served: boolean }>();

  constructor(
    private readonly server: Server,
    lingerMs: number,
  ) {
    server.on('connection', (socket: Socket) => {
      // A socket given back after an upgrade the app did not take is already known.
      if (this.open.has(socket)) return;
      // Node closes a connection after its last response with destroySoon(): linger instead.
      socket.destroySoon = () => lingeringClose(socket, lingerMs);
      this.open.set(socket, { since: Date.now(), busy: 0, served: false });
      socket.once('close', () => this.open.delete(socket));
    });
    server.on('request', (req: IncomingMessage, res: ServerResponse) => {
      const state = this.open.get(req.socket);
      if (!state) return;
      state.busy++;
      res.once('close', () => {
        state.busy--;
        state.served = true;
      });
    });
  }

  /** An upgraded socket belongs to the app (the WebSocket hub closes it). */
  release(socket: Socket): void {
    this.open.delete(socket);
  }

  /**
   * Stops accepting, then closes each connection when it is idle: at once after its last
   * response, or after `quietConnectionGraceMs` if it never sent a request (its request, if any,
   * is answered 503 by the stopping gate). Resolves when all are closed; after `drainTimeoutMs`
   * the rest are cut.
   */
  async stop(limits: Pick<ServiceLimits, 'drainTimeoutMs' | 'quietConnectionGraceMs'>): Promise<void> {
    if (!this.server.listening) return;
    await loopTurn();
    const stopped = new Promise<void>((resolve) => Reflect.apply(NetServer.prototype.close, this.server, [() => resolve()]));
    const deadline = Date.now() + limits.drainTimeoutMs;
    for (;;) {
      const now = Date.now();
      for (const [socket, state] of this.open) {
        const idle = state.busy === 0 && (state.served || now - state.since >= limits.quietConnectionGraceMs);
        if (idle || now >= deadline) socket.destroy();
      }
      if (this.open.size === 0) break;
      await new Promise((r) => setTimeout(r, 25));
    }
    await stopped;
  }
}
