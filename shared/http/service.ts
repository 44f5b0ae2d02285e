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
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { Server as NetServer, type AddressInfo, type Socket } from 'node:net';
import type { Logger } from '../log.ts';
import { openStore, type StoreConfig } from '../store/open.ts';
import type { Store } from '../store/store.ts';
import { AdmissionGate, type GatedApp, type GateLimits } from './admission.ts';

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
  /** Whether the service takes upgrade requests (WebSocket); without it Node answers them as requests. */
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
  const connections = new Connections(server, options.upgrades === true);
  server.on('request', gate.onRequest);
  if (options.upgrades) server.on('upgrade', gate.onUpgrade);
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
    upgrades: boolean,
  ) {
    server.on('connection', (socket: Socket) => {
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
    // An upgraded socket belongs to the app (the WebSocket hub closes it). Without a listener Node
    // treats upgrade requests as plain requests, so there is none unless the service takes them.
    if (upgrades) server.on('upgrade', (req: IncomingMessage) => this.open.delete(req.socket));
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
