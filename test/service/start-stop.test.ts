/**
 * The shared start and stop sequence (shared/http/service.ts) with an app whose build and
 * requests the test holds: 503 "starting" with Retry-After and a JSON body from the first
 * accepted connection, normal answers once built, and on stop: no new connections, requests in
 * flight finish, late arrivals on an open connection get 503, the store closes last.
 */
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { connect } from 'node:net';
import { after, test } from '../helpers/node-test.ts';
import { startService, type RunningService, type ServiceApp, type ServiceLimits } from '../../shared/http/service.ts';
import { createLogger } from '../../shared/log.ts';
import { tempDir } from '../helpers/provider.ts';
import { probe } from '../helpers/probe.ts';
import { rmSync } from 'node:fs';

const LIMITS: ServiceLimits & { sweepIntervalMs: number } = {
  listenBacklog: 511,
  maxRequestsInFlight: 100,
  retryAfterSeconds: 1,
  headersTimeoutMs: 5_000,
  requestTimeoutMs: 10_000,
  timeoutCheckIntervalMs: 1_000,
  keepAliveTimeoutMs: 5_000,
  drainTimeoutMs: 10_000,
  quietConnectionGraceMs: 1_000,
  lingeringCloseMs: 2_000,
  sweepIntervalMs: 60_000,
};

/** Options of a test service in a fresh data directory (removed after the file). */
function serviceOptions() {
  const dataDir = tempDir('nod-service-');
  dirs.push(dataDir);
  return {
    name: 'service-test',
    config: { port: 0, host: '127.0.0.1', dataDir, store: { url: 'lowdb', prefix: 'nod:' } },
    limits: LIMITS,
    log: createLogger('service-test', { NOD_LOG_LEVEL: 'silent' }),
  };
}

function deferred<T = void>() {
  let resolve!: (v: T) => void;
  const promise = new Promise<T>((r) => (resolve = r));
  return { promise, resolve };
}

const dirs: string[] = [];
const running: Array<RunningService<ServiceApp>> = [];
after(async () => {
  for (const s of running) await s.close();
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

/** A service whose build waits for `built`, and whose /slow requests wait for `release`. */
async function heldService(built: Promise<void>, release: Promise<void>) {
  let port = 0;
  const listening = deferred();
  const events: string[] = [];
  const started = startService({
    ...serviceOptions(),
    upgrades: true,
    async build(opened) {
      port = opened.port;
      listening.resolve();
      await built;
      const store = opened.store;
      const close = store.close.bind(store);
      store.close = async () => {
        events.push('store closed');
        await close();
      };
      return {
        handler: (req, res) => {
          if (req.url === '/slow') {
            events.push('slow started');
            void release.then(() => {
              events.push('slow answered');
              res.end('slow done');
            });
            return;
          }
          res.end('hello');
        },
        upgrade: (_req, socket) => void socket.end('HTTP/1.1 101 Switching Protocols\r\n\r\n'),
        readiness: () => ({ records: opened.store.stats().records }),
        stop: async () => void events.push('app stopped'),
      };
    },
  });
  await listening.promise;
  return { started, events, url: () => `http://127.0.0.1:${port}`, port: () => port };
}

test('while starting, every request gets 503 with Retry-After and a JSON error; health and readiness say "starting"', async () => {
  const built = deferred();
  const s = await heldService(built.promise, Promise.resolve());
  for (const path of ['/', '/token', '/anything?x=1']) {
    const r = await probe(`${s.url()}${path}`);
    assert.equal(r.kind, 'answer', `${path} answered`);
    assert.equal(r.status, 503);
    assert.equal(r.headers['retry-after'], '1');
    assert.match(String(r.headers['content-type']), /^application\/json/);
    const body = JSON.parse(r.body) as { error: string; error_description: string };
    assert.equal(body.error, 'temporarily_unavailable');
    assert.match(body.error_description, /starting/);
  }
  const post = await probe(`${s.url()}/token`, { method: 'POST', body: '{"a":1}' });
  assert.equal(post.kind === 'answer' && post.status, 503, 'a POST with a body too');
  for (const path of ['/healthz', '/readyz']) {
    const r = await probe(`${s.url()}${path}`);
    assert.equal(r.kind === 'answer' && r.status, 503, path);
    assert.deepEqual(r.kind === 'answer' && JSON.parse(r.body), { status: 'starting' });
  }
  // A WebSocket upgrade is refused the same way.
  const socket = connect(s.port(), '127.0.0.1');
  socket.end(
    'GET /ws HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n',
  );
  let raw = '';
  socket.on('data', (d) => (raw += d));
  await once(socket, 'close');
  assert.match(raw, /^HTTP\/1\.1 503 /);
  assert.match(raw, /Retry-After: 1/);

  built.resolve();
  const service = await s.started;
  running.push(service);
  const ok = await probe(`${s.url()}/`);
  assert.equal(ok.kind === 'answer' && ok.status, 200);
  assert.equal(ok.kind === 'answer' && ok.body, 'hello');
  const health = await probe(`${s.url()}/healthz`);
  assert.deepEqual(health.kind === 'answer' && [health.status, JSON.parse(health.body)], [200, { status: 'ok' }]);
  const ready = await probe(`${s.url()}/readyz`);
  assert.deepEqual(ready.kind === 'answer' && [ready.status, JSON.parse(ready.body)], [200, { status: 'ready', records: 0 }]);
});

test('on stop: no new connections, the request in flight finishes, a late arrival on its connection gets 503, then the store closes', async () => {
  const release = deferred();
  const s = await heldService(Promise.resolve(), release.promise);
  const service = await s.started;

  // One connection: a slow request, then (pipelined) a second one sent after stop began.
  const socket = connect(s.port(), '127.0.0.1');
  let raw = '';
  socket.setEncoding('utf8');
  socket.on('data', (d: string) => (raw += d));
  const socketClosed = once(socket, 'close');
  socket.write('GET /slow HTTP/1.1\r\nHost: x\r\n\r\n');
  while (!s.events.includes('slow started')) await new Promise((r) => setTimeout(r, 10));

  const closing = service.close();
  assert.equal(service.gate.state, 'stopping');
  const early = await probe(`${s.url()}/`);
  assert.ok(early.kind === 'error' ? early.code === 'ECONNREFUSED' : early.status === 503, 'a connection still accepted gets 503');
  while (service.server.listening) await new Promise((r) => setTimeout(r, 10));
  const refused = await probe(`${s.url()}/`);
  assert.equal(refused.kind === 'error' && refused.code, 'ECONNREFUSED', 'no new connections once stopping');
  socket.write('GET /late HTTP/1.1\r\nHost: x\r\n\r\n');
  await new Promise((r) => setTimeout(r, 100));
  assert.deepEqual(s.events, ['slow started'], 'nothing is stopped while a request is in flight');

  release.resolve();
  await closing;
  await socketClosed;
  assert.deepEqual(s.events, ['slow started', 'slow answered', 'app stopped', 'store closed']);
  const [first, second] = raw.split(/(?=HTTP\/1\.1 )/);
  assert.match(first!, /^HTTP\/1\.1 200 /);
  assert.match(first!, /slow done/);
  assert.match(second!, /^HTTP\/1\.1 503 /);
  assert.match(second!, /Retry-After: 1/i);
  assert.match(second!, /"error":"temporarily_unavailable"/);
  assert.match(second!, /stopping/);
});

test('a build that fails releases the port and the store', async () => {
  let port = 0;
  const options = serviceOptions();
  await assert.rejects(
    startService({
      ...options,
      async build(opened) {
        port = opened.port;
        throw new Error('keys unreadable');
      },
    }),
    /keys unreadable/,
  );
  const r = await probe(`http://127.0.0.1:${port}/healthz`);
  assert.equal(r.kind === 'error' && r.code, 'ECONNREFUSED', 'the port is closed');
  // The data directory is free again: the same store opens.
  const again = await startService({ ...options, build: async () => ({ handler: (_req, res) => void res.end('ok') }) });
  running.push(again);
  assert.equal((await probe(`http://127.0.0.1:${again.port}/`)).kind, 'answer');
});
