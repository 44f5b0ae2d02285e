/**
 * The call center's own notification endpoint for CIBA ping mode: accepts
 * `POST <path>` with `Authorization: Bearer <client_notification_token>` and `{"auth_req_id"}`.
 * @see https://openid.net/specs/openid-client-initiated-backchannel-authentication-core-1_0.html#rfc.section.10.2
 */
import { createServer, type IncomingMessage, type Server } from 'node:http';
import { randomBytes, timingSafeEqual } from 'node:crypto';
import { CliError } from './errors.ts';

export interface NotifyEndpoint {
  /** The bearer token the provider must send (our client_notification_token). */
  readonly token: string;
  /** Resolves with the first notification's auth_req_id for `authReqId`. */
  waitFor(authReqId: string, signal: AbortSignal): Promise<void>;
  close(): Promise<void>;
}

const MAX_BODY = 4096;

async function readBody(req: IncomingMessage): Promise<string> {
  let size = 0;
  const chunks: Buffer[] = [];
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > MAX_BODY) throw new Error('too large');
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks).toString('utf8');
}

function sameSecret(given: string | undefined, expected: string): boolean {
  const a = Buffer.from(given ?? '');
  const b = Buffer.from(`Bearer ${expected}`);
  return a.length === b.length && timingSafeEqual(a, b);
}

/** Listens on `port` (all interfaces unless `host`) for pings at `path`. */
export async function openNotifyEndpoint(port: number, path: string, host?: string): Promise<NotifyEndpoint> {
  const token = randomBytes(32).toString('base64url');
  const arrived = new Set<string>();
  const waiters = new Map<string, () => void>();
  const server: Server = createServer((req, res) => {
    const reply = (status: number) => void res.writeHead(status, { 'Cache-Control': 'no-store' }).end();
    if (req.method !== 'POST' || req.url !== path) return reply(404);
    if (!sameSecret(req.headers.authorization, token)) return reply(401);
    readBody(req)
      .then(
        (text) => {
          const id = (JSON.parse(text) as { auth_req_id?: unknown }).auth_req_id;
          if (typeof id !== 'string') return reply(400);
          arrived.add(id);
          waiters.get(id)?.();
          reply(204);
        },
        () => reply(400),
      )
      .catch(() => reply(400));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', (e: NodeJS.ErrnoException) =>
      reject(
        new CliError(
          e.code === 'EADDRINUSE'
            ? `port ${port} is in use: stop what holds it or pass --notify-port (and register that endpoint for the client)`
            : `cannot listen on port ${port}: ${e.message}`,
        ),
      ),
    );
    server.listen(port, host, () => resolve());
  });
  return {
    token,
    waitFor(authReqId, signal) {
      if (arrived.has(authReqId)) return Promise.resolve();
      return new Promise((resolve, reject) => {
        const onAbort = () => reject(signal.reason);
        signal.addEventListener('abort', onAbort, { once: true });
        waiters.set(authReqId, () => {
          signal.removeEventListener('abort', onAbort);
          resolve();
        });
      });
    },
    close: () =>
      new Promise((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
