/**
 * Child process: bench devices. Each enrolls with the entity like the app does (provider
 * access token, a P-256 key), keeps a WebSocket open, and approves every request it is shown at
 * once with a signed decision (the same compact ES256 JWS the app makes). The devices are load,
 * not Nod: they run on the machine under test, so they sign with node:crypto and post over
 * keep-alive node:http (the app's WebCrypto and fetch cost about twice the CPU, taken from the
 * provider and the entity on a 2-core machine). Timestamps of each hop are kept by
 * binding_message (epoch ms with sub-millisecond precision, comparable across processes).
 */
import { generateKeyPairSync, sign, type KeyObject } from 'node:crypto';
import WebSocket from 'ws';
import { JsonPoster } from '../shared/http/post_json.ts';
import { ENTITY_API, type EnrollResponse, type ServerMessage } from '../shared/entity-api.ts';
import { failToParent, serveParent } from './lib/child.ts';

import { clock } from './lib/clock.ts';
import { nowSeconds } from '../shared/time.ts';

export interface DeviceTimes {
  /** The ws `request` message arrived. */
  readonly shownAt: number;
  /** The signed decision was sent. */
  readonly decidedAt: number;
  /** The entity answered the decision. */
  readonly answeredAt: number;
  readonly status: number;
}

interface Device {
  readonly enrollment: EnrollResponse;
  readonly key: KeyObject;
  readonly ws: WebSocket;
}

const args = JSON.parse(process.argv[2] ?? '{}') as { entityUrl: string };
const devices: Device[] = [];
const times = new Map<string, DeviceTimes>();
let failures = 0;
const poster = new JsonPoster();
const ES256_HEADER = Buffer.from(JSON.stringify({ alg: 'ES256' })).toString('base64url');
const TIMEOUT_MS = 30_000;

/** A compact ES256 JWS of `payload`, as the app's decision signature. */
function signJws(payload: object, key: KeyObject): string {
  const input = `${ES256_HEADER}.${Buffer.from(JSON.stringify(payload)).toString('base64url')}`;
  return `${input}.${sign('sha256', Buffer.from(input), { key, dsaEncoding: 'ieee-p1363' }).toString('base64url')}`;
}

async function approve(device: Device, request: { id: string; binding_message?: string }): Promise<void> {
  const shownAt = clock();
  const payload = { request_id: request.id, device_id: device.enrollment.device_id, decision: 'approve', iat: nowSeconds() };
  const signed = signJws(payload, device.key);
  const decidedAt = clock();
  const res = await poster.post(
    args.entityUrl + ENTITY_API.decision(request.id),
    { signed },
    { headers: { authorization: `Bearer ${device.enrollment.device_token}` }, timeoutMs: TIMEOUT_MS },
  );
  if (res.status !== 200) failures++;
  if (request.binding_message) times.set(request.binding_message, { shownAt, decidedAt, answeredAt: clock(), status: res.status });
}

async function enroll(accessToken: string, name: string): Promise<void> {
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const { kty, crv, x, y } = publicKey.export({ format: 'jwk' });
  const res = await poster.post(
    args.entityUrl + ENTITY_API.devices,
    { name, public_key: { kty, crv, x, y } },
    { headers: { authorization: `Bearer ${accessToken}` }, timeoutMs: TIMEOUT_MS },
  );
  if (res.status !== 201) throw new Error(`enrollment answered ${res.status}: ${res.body.toString()}`);
  const enrollment = JSON.parse(res.body.toString()) as EnrollResponse;
  const ws = new WebSocket(args.entityUrl.replace(/^http/, 'ws') + ENTITY_API.ws);
  const device: Device = { enrollment, key: privateKey, ws };
  await new Promise<void>((resolve, reject) => {
    // Never a silent hang: a socket refused, closed or silent before `ready` fails the enrollment.
    const timer = setTimeout(() => {
      ws.terminate();
      reject(new Error(`no ready on the WebSocket of ${name} within ${TIMEOUT_MS} ms`));
    }, TIMEOUT_MS);
    const fail = (e: Error) => {
      clearTimeout(timer);
      reject(e);
    };
    ws.once('error', fail);
    ws.once('unexpected-response', (_req, res) => fail(new Error(`WebSocket upgrade of ${name} answered ${res.statusCode}`)));
    ws.once('close', (code, reason) => fail(new Error(`WebSocket of ${name} closed before ready: ${code} ${reason.toString()}`)));
    ws.once('open', () => ws.send(JSON.stringify({ type: 'auth', device_token: enrollment.device_token })));
    ws.on('message', (data) => {
      const m = JSON.parse(data.toString()) as ServerMessage;
      if (m.type === 'ready') {
        clearTimeout(timer);
        resolve();
      }
      else if (m.type === 'ping') ws.send(JSON.stringify({ type: 'pong' }));
      else if (m.type === 'request' && m.request.status === 'pending') approve(device, m.request).catch(() => void failures++);
    });
  });
  devices.push(device);
}

try {
  serveParent(
    { pid: process.pid },
    {
      /** Enrolls one device per token (in parallel, a few at a time) and connects it. */
      enroll: async ({ tokens }: { tokens: Array<{ username: string; token: string }> }) => {
        for (let i = 0; i < tokens.length; i += 20) {
          await Promise.all(tokens.slice(i, i + 20).map((t) => enroll(t.token, `bench phone of ${t.username}`)));
        }
        return devices.length;
      },
      /** Hop timestamps for the given binding messages, then forgets them. */
      times: ({ keys }: { keys: string[] }) => {
        const out: Record<string, DeviceTimes> = {};
        for (const k of keys) {
          const t = times.get(k);
          if (t) out[k] = t;
          times.delete(k);
        }
        return { times: out, failures };
      },
      close: () => {
        for (const d of devices) d.ws.close();
        poster.close();
      },
    },
  );
} catch (e) {
  failToParent(e);
}
