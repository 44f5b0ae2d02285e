/**
 * The live list of this user's requests: a WebSocket to the entity with reconnect and
 * exponential backoff, plus the /api list as the source of truth after every (re)connect, on
 * focus, when the network returns, on a push, and on the user's "Refresh".
 */
import { ENTITY_API, type ClientMessage, type DeviceRequest, type RequestStatus, type ServerMessage } from '../../../shared/entity-api.ts';
import { api, ApiError } from './api.ts';
import type { Session } from './session.ts';

export type Connection = 'connecting' | 'live' | 'reconnecting' | 'offline';

export interface FeedState {
  /** Every request seen this session, newest first (arrival order within a second); settled ones keep their final status. */
  readonly requests: readonly DeviceRequest[];
  readonly connection: Connection;
  /** Epoch ms of the last successful list fetch. */
  readonly syncedAt?: number;
  /** The last fetch error, shown until the next success. */
  readonly error?: string;
  readonly loading: boolean;
}

/** Backoff for reconnects: 1 s doubling to 30 s, with ±20 % jitter. */
const BACKOFF_MIN_MS = 1000;
const BACKOFF_MAX_MS = 30_000;

export class Feed {
  private byId = new Map<string, DeviceRequest>();
  private listeners = new Set<() => void>();
  private ws: WebSocket | undefined;
  private retry = 0;
  private timer: ReturnType<typeof setTimeout> | undefined;
  private stopped = false;
  private inflight: Promise<void> | undefined;
  state: FeedState = { requests: [], connection: 'connecting', loading: true };

  constructor(private readonly session: Session) {}

  /** Subscribes to state changes; returns the unsubscribe function. */
  subscribe(fn: () => void): () => void {
    this.listeners.add(fn);
    return () => void this.listeners.delete(fn);
  }

  start(): void {
    this.stopped = false;
    this.connect();
    void this.refresh();
    window.addEventListener('online', this.wake);
    document.addEventListener('visibilitychange', this.onVisible);
    navigator.serviceWorker?.addEventListener('message', this.onWorkerMessage);
  }

  stop(): void {
    this.stopped = true;
    clearTimeout(this.timer);
    this.ws?.close(1000);
    this.ws = undefined;
    window.removeEventListener('online', this.wake);
    document.removeEventListener('visibilitychange', this.onVisible);
    navigator.serviceWorker?.removeEventListener('message', this.onWorkerMessage);
  }

  get(id: string): DeviceRequest | undefined {
    return this.byId.get(id);
  }

  /** Adds or replaces one request (e.g. fetched by the request screen). */
  upsert(r: DeviceRequest): void {
    this.byId.set(r.id, r);
    this.emit();
  }

  /** Marks a request settled with `status` (and who settled it, and why, when known). */
  settle(id: string, status: RequestStatus, how: Pick<DeviceRequest, 'decided_by' | 'decided_on' | 'reason'> = {}): void {
    const r = this.byId.get(id);
    if (!r) return;
    this.byId.set(id, { ...r, status, ...how });
    this.emit();
  }

  /** Fetches the pending list; requests that left it are re-read to learn how they ended. */
  refresh(): Promise<void> {
    this.inflight ??= this.doRefresh().finally(() => {
      this.inflight = undefined;
    });
    return this.inflight;
  }

  private async doRefresh(): Promise<void> {
    this.set({ loading: true });
    try {
      const list = await api<DeviceRequest[] | { requests: DeviceRequest[] }>(ENTITY_API.requests, { token: this.session.device_token });
      const pending = Array.isArray(list) ? list : list.requests;
      const seen = new Set(pending.map((r) => r.id));
      for (const r of pending) this.byId.set(r.id, r);
      const gone = [...this.byId.values()].filter((r) => r.status === 'pending' && !seen.has(r.id));
      await Promise.all(
        gone.map(async (r) => {
          try {
            this.byId.set(r.id, await api<DeviceRequest>(ENTITY_API.request(r.id), { token: this.session.device_token }));
          } catch (e) {
            // Forgotten by the entity: it is no longer pending, and expiry is the likeliest end.
            if (e instanceof ApiError && e.status === 404) this.byId.set(r.id, { ...r, status: 'expired' });
          }
        }),
      );
      this.set({ loading: false, syncedAt: Date.now(), error: undefined });
    } catch (e) {
      this.set({ loading: false, error: e instanceof Error ? e.message : String(e) });
    }
  }

  private connect(): void {
    if (this.stopped) return;
    clearTimeout(this.timer);
    const url = new URL(ENTITY_API.ws, location.href);
    url.protocol = url.protocol === 'https:' ? 'wss:' : 'ws:';
    let ws: WebSocket;
    try {
      ws = new WebSocket(url);
    } catch {
      this.scheduleReconnect();
      return;
    }
    this.ws = ws;
    this.set({ connection: this.retry ? 'reconnecting' : 'connecting' });
    ws.onopen = () => this.send(ws, { type: 'auth', device_token: this.session.device_token });
    ws.onmessage = (ev) => {
      let msg: ServerMessage;
      try {
        msg = JSON.parse(String(ev.data)) as ServerMessage;
      } catch {
        return;
      }
      this.onMessage(ws, msg);
    };
    ws.onclose = () => {
      if (this.ws !== ws) return;
      this.ws = undefined;
      this.scheduleReconnect();
    };
    ws.onerror = () => ws.close();
  }

  private onMessage(ws: WebSocket, msg: ServerMessage): void {
    switch (msg.type) {
      case 'ready':
        this.retry = 0;
        this.set({ connection: 'live' });
        // Anything that happened while disconnected.
        void this.refresh();
        break;
      case 'request':
        this.upsert(msg.request);
        break;
      case 'settled': {
        const { id, status, type: _t, ...how } = msg;
        this.settle(id, status, how);
        break;
      }
      case 'ping':
        this.send(ws, { type: 'pong' });
        break;
      case 'error':
        if (/unauthori[sz]ed|invalid_token|expired/.test(msg.error)) {
          // The device session is gone: the /api call answers 401 and signs the app out.
          void this.refresh();
        }
        break;
    }
  }

  private send(ws: WebSocket, msg: ClientMessage): void {
    if (ws.readyState === WebSocket.OPEN) ws.send(JSON.stringify(msg));
  }

  private scheduleReconnect(): void {
    if (this.stopped) return;
    const base = Math.min(BACKOFF_MAX_MS, BACKOFF_MIN_MS * 2 ** this.retry);
    const delay = base * (0.8 + Math.random() * 0.4);
    this.retry++;
    this.set({ connection: navigator.onLine === false ? 'offline' : 'reconnecting' });
    clearTimeout(this.timer);
    this.timer = setTimeout(() => this.connect(), delay);
  }

  /** Reconnect now (network back, app visible again) and re-read the list. */
  private wake = (): void => {
    if (this.stopped) return;
    if (!this.ws) {
      this.retry = 0;
      this.connect();
    }
    void this.refresh();
  };

  private onVisible = (): void => {
    if (document.visibilityState === 'visible') this.wake();
  };

  private onWorkerMessage = (ev: MessageEvent): void => {
    const data = ev.data as { type?: string } | null;
    if (data?.type === 'push') void this.refresh();
  };

  private set(patch: Partial<FeedState>): void {
    this.state = { ...this.state, ...patch };
    this.emit();
  }

  private emit(): void {
    // Newest first; within one second (created_at's resolution), the later arrival first.
    const requests = [...this.byId.values()].reverse().sort((a, b) => b.created_at - a.created_at);
    this.state = { ...this.state, requests };
    for (const l of this.listeners) l();
  }
}
