/**
 * The Redis connection of a store, set up to fail fast: no offline queue (a command while
 * disconnected is refused at once), no retry of a command that was in flight when the
 * connection dropped (it may have run: retrying could apply it twice), and a timeout on every
 * command; meanwhile the client reconnects by itself (backoff up to 1 s, forever), so a node
 * recovers without a restart. Every failure to get an answer becomes a StoreUnavailableError.
 */
import { Redis } from 'ioredis';
import { StoreUnavailableError } from '../store.ts';
import { SCRIPTS, type ScriptName } from './scripts.ts';

export interface RedisConnectionOptions {
  /** `redis://[user:password@]host:port[/db]` or `rediss://` (TLS). */
  readonly url: string;
  /** Longest wait for one command's answer, ms. Default 2000. */
  readonly commandTimeoutMs?: number;
  /** Longest wait for the first connection when opening, ms. Default 10000. */
  readonly openTimeoutMs?: number;
  /** Called when the store becomes unreachable and when it is back (for logs). */
  readonly onStateChange?: (state: 'unavailable' | 'recovered', detail: string) => void;
}

/** Reply errors that mean "not now" rather than "wrong command": the node cannot serve, later it may. */
const TRANSIENT_REPLY = /^(LOADING|READONLY|MASTERDOWN|BUSY|CLUSTERDOWN|TRYAGAIN|OOM|NOREPLICAS|MISCONF)\b/;

/** The URL without its password, for messages. */
export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    return u.toString();
  } catch {
    return 'the configured Redis URL';
  }
}

/** A script-backed command: KEYS then ARGV, as strings or numbers. */
type ScriptCall = (...args: Array<string | number>) => Promise<unknown>;

export class RedisConnection {
  readonly client: Redis;
  private up = false;
  /** Set by close(): the connection going away then is no outage to report. */
  private closing = false;

  private constructor(
    private readonly options: RedisConnectionOptions,
    commandTimeout: number,
  ) {
    this.client = new Redis(options.url, {
      lazyConnect: true,
      enableOfflineQueue: false,
      maxRetriesPerRequest: 0,
      autoResendUnfulfilledCommands: false,
      commandTimeout,
      connectTimeout: Math.max(commandTimeout, 1000),
      enableAutoPipelining: true,
      retryStrategy: (times: number) => Math.min(50 * 2 ** Math.min(times, 5), 1000),
    });
    for (const [name, def] of Object.entries(SCRIPTS)) this.client.defineCommand(name, def);
    this.client.on('ready', () => this.setUp(true, 'connected'));
    this.client.on('error', (e: Error) => this.setUp(false, e.message));
    this.client.on('close', () => this.setUp(false, 'connection closed'));
  }

  /** Connects, waiting up to openTimeoutMs for Redis to answer; throws when it does not. */
  static async open(options: RedisConnectionOptions): Promise<RedisConnection> {
    const conn = new RedisConnection(options, options.commandTimeoutMs ?? 2000);
    const wait = options.openTimeoutMs ?? 10_000;
    const ready = new Promise<void>((resolve) => conn.client.once('ready', () => resolve()));
    conn.client.connect().catch(() => undefined);
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<'timeout'>((resolve) => (timer = setTimeout(() => resolve('timeout'), wait)));
    const result = await Promise.race([ready, timeout]);
    clearTimeout(timer);
    if (result === 'timeout') {
      conn.client.disconnect();
      throw new Error(`cannot reach Redis at ${redactUrl(options.url)} within ${wait / 1000} s (NOD_STORE)`);
    }
    return conn;
  }

  private setUp(up: boolean, detail: string): void {
    if (up === this.up || this.closing) return;
    this.up = up;
    this.options.onStateChange?.(up ? 'recovered' : 'unavailable', detail);
  }

  /** Whether the connection is established and ready now. */
  get connected(): boolean {
    return this.client.status === 'ready';
  }

  /** Runs a command, turning "no answer" into StoreUnavailableError; reply errors of a bug pass through. */
  async run<R>(command: (client: Redis) => Promise<R>): Promise<R> {
    try {
      return await command(this.client);
    } catch (e) {
      const err = e as Error;
      if (err?.name === 'ReplyError' && !TRANSIENT_REPLY.test(err.message)) throw err;
      throw new StoreUnavailableError(err?.message ?? String(e));
    }
  }

  /** Runs one of the store's Lua scripts (EVALSHA, loading it on first use). */
  script(name: ScriptName, ...args: Array<string | number>): Promise<unknown> {
    return this.run((client) => (client as unknown as Record<ScriptName, ScriptCall>)[name](...args));
  }

  /** A second connection for subscriptions (a subscribed connection can run nothing else). */
  duplicate(): Redis {
    return this.client.duplicate({ enableOfflineQueue: true, lazyConnect: false });
  }

  async close(): Promise<void> {
    this.closing = true;
    if (this.client.status === 'end') return;
    try {
      await this.client.quit();
    } catch {
      this.client.disconnect();
    }
  }
}
