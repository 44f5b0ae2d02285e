/**
 * Child process: the consumption device (the CIBA client) of the round trip, in ping mode. It
 * runs a notification receiver on loopback, sends the backchannel request, waits for the ping,
 * then redeems the auth_req_id at the token endpoint. Timestamps per hop, epoch ms.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { randomBytes } from 'node:crypto';
import { JsonPoster } from '../shared/http/post_json.ts';
import { failToParent, serveParent } from './lib/child.ts';
import { clock } from './lib/clock.ts';

export interface TripTimes {
  readonly binding: string;
  readonly startedAt: number;
  /** bc-authorize answered (after the entity accepted the delegation). */
  readonly acceptedAt: number;
  /** The ping notification reached the client. */
  readonly pingedAt: number;
  /** Tokens in hand. */
  readonly tokensAt: number;
  readonly ok: boolean;
  readonly error?: string;
}

const args = JSON.parse(process.argv[2] ?? '{}') as { issuer: string; clientId: string; clientSecret: string; notifyPort?: number };
const basic = `Basic ${Buffer.from(`${encodeURIComponent(args.clientId)}:${encodeURIComponent(args.clientSecret)}`).toString('base64')}`;
/** auth_req_id → resolve of the wait for its ping (or the ping's time when it came first). */
const pings = new Map<string, ((at: number) => void) | number>();

const receiver = createServer((req, res) => {
  const at = clock();
  const chunks: Buffer[] = [];
  req.on('data', (c: Buffer) => chunks.push(c));
  req.on('end', () => {
    res.statusCode = 204;
    res.end();
    try {
      const id = (JSON.parse(Buffer.concat(chunks).toString()) as { auth_req_id?: string }).auth_req_id;
      if (!id) return;
      const waiter = pings.get(id);
      if (typeof waiter === 'function') waiter(at);
      else pings.set(id, at);
    } catch {
      /* not ours */
    }
  });
});

function waitPing(id: string, timeoutMs: number): Promise<number> {
  const early = pings.get(id);
  if (typeof early === 'number') {
    pings.delete(id);
    return Promise.resolve(early);
  }
  return new Promise((resolve, reject) => {
    const t = setTimeout(() => {
      pings.delete(id);
      reject(new Error('no ping'));
    }, timeoutMs);
    pings.set(id, (at) => {
      clearTimeout(t);
      pings.delete(id);
      resolve(at);
    });
  });
}

/** The client is load, not Nod: it posts over keep-alive node:http (fetch cost about twice the CPU, taken from the machine under test). */
const poster = new JsonPoster();

async function post(url: string, fields: Record<string, string>): Promise<{ status: number; json: Record<string, any> }> {
  const res = await poster.postForm(url, fields, { headers: { authorization: basic }, timeoutMs: 30_000 });
  return { status: res.status, json: JSON.parse(res.body.toString()) as Record<string, any> };
}

async function trip(endpoints: { bc: string; token: string }, username: string, binding: string): Promise<TripTimes> {
  const startedAt = clock();
  let acceptedAt = 0,
    pingedAt = 0;
  try {
    const bc = await post(endpoints.bc, {
      scope: 'openid profile',
      login_hint: username,
      binding_message: binding,
      client_notification_token: randomBytes(16).toString('base64url'),
    });
    acceptedAt = clock();
    if (bc.status !== 200) throw new Error(`bc-authorize ${bc.status} ${bc.json.error}`);
    pingedAt = await waitPing(bc.json.auth_req_id, 30_000);
    const tokens = await post(endpoints.token, { grant_type: 'urn:openid:params:grant-type:ciba', auth_req_id: bc.json.auth_req_id });
    if (tokens.status !== 200 || !tokens.json.access_token || !tokens.json.id_token) throw new Error(`token ${tokens.status} ${tokens.json.error}`);
    return { binding, startedAt, acceptedAt, pingedAt, tokensAt: clock(), ok: true };
  } catch (e) {
    return { binding, startedAt, acceptedAt, pingedAt, tokensAt: clock(), ok: false, error: (e as Error).message };
  }
}

try {
  // A fixed port when the client was registered before the provider ran (the nodes row), else a free one.
  await new Promise<void>((resolve) => receiver.listen(args.notifyPort ?? 0, '127.0.0.1', resolve));
  const notifyUrl = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/ciba/notify`;
  const d = (await (await fetch(`${args.issuer}/.well-known/openid-configuration`)).json()) as Record<string, string>;
  const endpoints = { bc: d.backchannel_authentication_endpoint!, token: d.token_endpoint! };
  serveParent(
    { notifyUrl },
    {
      /** `count` round trips, one after another or all at once; user i % users.length. */
      trips: async ({ users, count, concurrent, prefix }: { users: string[]; count: number; concurrent: boolean; prefix: string }) => {
        const binding = (i: number) => `${prefix} ${i}`;
        if (concurrent) return Promise.all(Array.from({ length: count }, (_, i) => trip(endpoints, users[i % users.length]!, binding(i))));
        const out: TripTimes[] = [];
        for (let i = 0; i < count; i++) out.push(await trip(endpoints, users[i % users.length]!, binding(i)));
        return out;
      },
      close: () =>
        new Promise<void>((resolve) => {
          poster.close();
          receiver.close(() => resolve());
          receiver.closeAllConnections();
        }),
    },
  );
} catch (e) {
  failToParent(e);
}
