/**
 * The WebSocket channel of the open app (`ws`, upgraded on /ws). The first message must be
 * `{type: 'auth', device_token}` within `wsAuthTimeoutMs`; then the socket gets `ready`, the
 * pending requests, and live `request` / `settled` messages, in order. Idle sockets are cheap:
 * no compression, a small max payload, and one keep-alive timer for all of them, which pings a
 * slice of them at a time (defaults.wsPingSlices).
 *
 * A phone's socket is open on one node of the entity, and the news for it may arise on any node:
 * messages for devices go out on the store's pub/sub (`toDevices`, `closeDevice`), and every
 * node's hub hands them to the sockets it holds. A node that missed messages (Redis delivers at
 * most once) loses nothing lasting: the app reads the pending list again when its socket reconnects.
 * @see https://www.rfc-editor.org/rfc/rfc6455
 */
import { WebSocketServer, type WebSocket } from 'ws';
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import type { ClientMessage, ServerMessage } from '../../shared/entity-api.ts';
import { ENTITY_API } from '../../shared/entity-api.ts';
import type { ServerContext } from '../context.ts';
import { defaults } from '../defaults.ts';
import { authenticateDeviceToken } from '../devices/sessions.ts';
import { deviceRequestView } from '../devices/view.ts';
import { pendingForDevice } from '../requests/queries.ts';

/** Close codes (4000-4999 are the application's). */
export const WS_CLOSE = { unauthorized: 4401, authTimeout: 4408, badMessage: 4400, revoked: 4403 } as const;

/** The pub/sub channel of messages for devices, heard by every node of the entity. */
export const DEVICES_CHANNEL = 'devices';

/** A message on DEVICES_CHANNEL: a message for the sockets of some devices, or "close this device's sockets". */
type DeviceNews = { readonly to: readonly string[]; readonly msg: ServerMessage } | { readonly close: string };

interface Connection {
  readonly ws: WebSocket;
  /** Which of the keep-alive slices pings it. */
  readonly slice: number;
  deviceId?: string;
  alive: boolean;
  authTimer?: NodeJS.Timeout;
  /** Live messages held while the catch-up list is being read, so order is kept. */
  backlog?: ServerMessage[];
}

export class WsHub {
  private readonly wss = new WebSocketServer({ noServer: true, perMessageDeflate: false, maxPayload: defaults.wsMaxPayload, clientTracking: false });
  /** Every open socket, by keep-alive slice: each tick of the timer pings one slice. */
  private readonly slices: Array<Set<Connection>> = Array.from({ length: defaults.wsPingSlices }, () => new Set());
  /** Sockets opened so far: a new one joins slice opened % slices. */
  private opened = 0;
  /** Ticks of the keep-alive timer so far: tick t pings slice t % slices. */
  private ticks = 0;
  private readonly byDevice = new Map<string, Set<Connection>>();
  private readonly keepAlive: NodeJS.Timeout;
  /** Open sockets that have no device yet (waiting for, or checking, their auth message). */
  private unauthenticated = 0;
  /** Upgrades refused for that cap since start (logged once per thousand). */
  private refused = 0;
  private unsubscribe: (() => Promise<void>) | undefined;

  /**
   * `authTimeoutMs`: how long a new socket has to authenticate (default defaults.wsAuthTimeoutMs);
   * `maxUnauthenticated`: how many may wait for that at once (default defaults.wsMaxUnauthenticated).
   */
  constructor(
    private readonly ctx: ServerContext,
    private readonly authTimeoutMs: number = defaults.wsAuthTimeoutMs,
    private readonly maxUnauthenticated: number = defaults.wsMaxUnauthenticated,
  ) {
    this.keepAlive = setInterval(() => this.ping(), defaults.wsPingIntervalMs / defaults.wsPingSlices);
    this.keepAlive.unref();
  }

  /**
   * The `upgrade` listener (behind the admission gate): /ws becomes a WebSocket, other paths get
   * 404; past `wsMaxUnauthenticated` sockets still waiting for their auth message, 503.
   */
  readonly upgrade = (req: IncomingMessage, socket: Duplex, head: Buffer): void => {
    const path = (req.url ?? '').split('?')[0];
    if (path !== ENTITY_API.ws) {
      socket.end('HTTP/1.1 404 Not Found\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
      return;
    }
    if (this.unauthenticated >= this.maxUnauthenticated) {
      if (this.refused++ % 1000 === 0)
        this.ctx.log.warn('ws.refused', { reason: 'too many unauthenticated sockets', limit: this.maxUnauthenticated, refused: this.refused });
      socket.end(`HTTP/1.1 503 Service Unavailable\r\nRetry-After: ${defaults.retryAfterSeconds}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
      return;
    }
    this.wss.handleUpgrade(req, socket, head, (ws) => this.open(ws));
  };

  /** Connected, authenticated sockets. */
  get size(): number {
    let n = 0;
    for (const set of this.byDevice.values()) n += set.size;
    return n;
  }

  private open(ws: WebSocket): void {
    const conn: Connection = { ws, alive: true, slice: this.opened++ % this.slices.length };
    this.slices[conn.slice]!.add(conn);
    this.unauthenticated++;
    conn.authTimer = setTimeout(() => this.close(conn, WS_CLOSE.authTimeout, 'auth timeout'), this.authTimeoutMs);
    ws.on('pong', () => {
      conn.alive = true;
    });
    ws.on('message', (data, isBinary) => void this.receive(conn, isBinary ? '' : data.toString()));
    ws.on('close', () => this.forget(conn));
    ws.on('error', () => this.forget(conn));
  }

  private async receive(conn: Connection, text: string): Promise<void> {
    conn.alive = true;
    let msg: ClientMessage;
    try {
      msg = JSON.parse(text) as ClientMessage;
    } catch {
      return this.close(conn, WS_CLOSE.badMessage, 'messages are JSON');
    }
    if (msg?.type === 'pong') return;
    if (msg?.type !== 'auth' || conn.deviceId !== undefined || conn.authTimer === undefined) {
      return this.close(conn, WS_CLOSE.badMessage, 'unexpected message');
    }
    clearTimeout(conn.authTimer);
    conn.authTimer = undefined;
    const auth = await authenticateDeviceToken(this.ctx, msg.device_token).catch(() => undefined);
    if (!auth) {
      this.send(conn, { type: 'error', error: 'invalid_token', error_description: 'the device session is invalid, expired or revoked' });
      return this.close(conn, WS_CLOSE.unauthorized, 'unauthorized');
    }
    if (conn.ws.readyState !== conn.ws.OPEN) return;
    const { device } = auth;
    conn.deviceId = device.device_id;
    this.unauthenticated--;
    conn.backlog = [];
    let set = this.byDevice.get(device.device_id);
    if (!set) {
      set = new Set();
      this.byDevice.set(device.device_id, set);
    }
    set.add(conn);
    const pending = await pendingForDevice(this.ctx, device).catch(() => []);
    const backlog = conn.backlog;
    conn.backlog = undefined;
    this.send(conn, { type: 'ready', device_id: device.device_id });
    const sent = new Set<string>();
    for (const r of pending) {
      sent.add(r.id);
      this.send(conn, { type: 'request', request: deviceRequestView(r) });
    }
    for (const m of backlog) if (!(m.type === 'request' && sent.has(m.request.id))) this.send(conn, m);
  }

  /** Starts hearing the news for devices from every node (resolves once subscribed). */
  async start(): Promise<void> {
    this.unsubscribe = await this.ctx.store.pubsub.subscribe(DEVICES_CHANNEL, (m) => this.hear(m as DeviceNews));
  }

  private hear(news: DeviceNews): void {
    if ('close' in news) {
      for (const conn of this.byDevice.get(news.close) ?? []) this.close(conn, WS_CLOSE.revoked, 'device removed');
      return;
    }
    for (const deviceId of news.to) for (const conn of this.byDevice.get(deviceId) ?? []) this.send(conn, news.msg);
  }

  /** Sends a message to every open socket of these devices, on whichever node each is open. */
  async toDevices(deviceIds: readonly string[], msg: ServerMessage): Promise<void> {
    if (deviceIds.length) await this.ctx.store.pubsub.publish(DEVICES_CHANNEL, { to: deviceIds, msg } satisfies DeviceNews);
  }

  /** Closes every socket of a device (removed or signed out), on every node. */
  async closeDevice(deviceId: string): Promise<void> {
    await this.ctx.store.pubsub.publish(DEVICES_CHANNEL, { close: deviceId } satisfies DeviceNews);
  }

  private send(conn: Connection, msg: ServerMessage): void {
    if (conn.backlog) return void conn.backlog.push(msg);
    if (conn.ws.readyState === conn.ws.OPEN) conn.ws.send(JSON.stringify(msg));
  }

  /** Pings the next slice of sockets; drops those of it that answered nothing since their last ping. */
  private ping(): void {
    for (const conn of this.slices[this.ticks++ % this.slices.length]!) {
      if (!conn.alive) {
        conn.ws.terminate();
        this.forget(conn);
        continue;
      }
      conn.alive = false;
      conn.ws.ping();
      if (conn.deviceId) this.send(conn, { type: 'ping' });
    }
  }

  private close(conn: Connection, code: number, reason: string): void {
    this.forget(conn);
    if (conn.ws.readyState === conn.ws.OPEN || conn.ws.readyState === conn.ws.CONNECTING) conn.ws.close(code, reason);
  }

  private forget(conn: Connection): void {
    if (conn.authTimer) clearTimeout(conn.authTimer);
    conn.authTimer = undefined;
    if (!this.slices[conn.slice]!.delete(conn)) return;
    if (!conn.deviceId) this.unauthenticated--;
    if (conn.deviceId) {
      const set = this.byDevice.get(conn.deviceId);
      set?.delete(conn);
      if (set?.size === 0) this.byDevice.delete(conn.deviceId);
    }
  }

  /** Stops hearing news and the keep-alive timer, and drops every socket. */
  async shutdown(): Promise<void> {
    const unsubscribe = this.unsubscribe;
    this.unsubscribe = undefined;
    await unsubscribe?.().catch(() => undefined);
    clearInterval(this.keepAlive);
    for (const slice of this.slices) {
      for (const conn of slice) conn.ws.terminate();
      slice.clear();
    }
    this.unauthenticated = 0;
    this.byDevice.clear();
    this.wss.close();
  }
}
