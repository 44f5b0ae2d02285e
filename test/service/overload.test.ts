/**
 * Back-pressure on loopback: 2,000 concurrent connections that each send a token request and
 * then hold its body back (the most expensive kind of client to keep). The provider admits up to
 * its in-flight limit and answers the rest 503 + Retry-After at once; /healthz and /readyz answer
 * throughout; the held requests are timed out (408) and the provider recovers by itself. The
 * entity refuses WebSockets past its cap of unauthenticated sockets and closes the ones that never
 * authenticate.
 */
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { connect, type Socket } from 'node:net';
import WebSocket from 'ws';
import { after, test } from '../helpers/node-test.ts';
import { probe, type ProbeResult } from '../helpers/probe.ts';
import { startTestProvider, type TestProvider } from '../helpers/provider.ts';
import { Teardown } from '../helpers/teardown.ts';
import { startTestServer } from '../entity/helpers.ts';

const CONNECTIONS = 2000;
const LIMIT = 200;
const teardown = new Teardown();
after(() => teardown.run());

/** Opens a connection that sends a whole token request's headers and the first bytes of its body; resolves with what came back once it closes. */
function heldRequest(port: number, sockets: Set<Socket>): { opened: Promise<void>; answer: Promise<string> } {
  const socket = connect(port, '127.0.0.1');
  sockets.add(socket);
  let raw = '';
  socket.setEncoding('utf8');
  socket.on('data', (d: string) => (raw += d));
  socket.on('error', () => undefined);
  const opened = once(socket, 'connect').then(() => {
    socket.write(
      'POST /token HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: 1000\r\n\r\ngrant_type=client_credentials',
    );
  });
  const answer = once(socket, 'close').then(() => {
    sockets.delete(socket);
    return raw;
  });
  return { opened, answer };
}

test('2,000 held connections: load past the limit is shed with 503, health answers throughout, and it recovers by itself', { timeout: 180_000 }, async (t) => {
  const p: TestProvider = teardown.add(
    // requestTimeoutMs: long enough for the whole flood to arrive first, short enough for a test.
    await startTestProvider({ limits: { maxRequestsInFlight: LIMIT, requestTimeoutMs: 15_000, headersTimeoutMs: 10_000, timeoutCheckIntervalMs: 250 } }),
    (x) => x.stop(),
  );
  const port = p.port;
  const sockets = new Set<Socket>();
  teardown.add(sockets, (all) => {
    for (const s of all) s.destroy();
  });

  // Health probes every 50 ms, each on its own connection, from before the flood until after recovery.
  const health: Array<{ at: number; result: ProbeResult }> = [];
  let probing = true;
  const t0 = performance.now();
  const prober = (async () => {
    const pending: Array<Promise<void>> = [];
    while (probing) {
      for (const path of ['/healthz', '/readyz']) {
        const at = Math.round(performance.now() - t0);
        // The flood is generated in this same process, so on a loaded machine the server's event
        // loop also runs the 2,000 clients: the deadline allows for that, a hang still fails.
        pending.push(probe(`${p.issuer}${path}`, { timeoutMs: 10_000 }).then((result) => void health.push({ at, result })));
      }
      await new Promise((r) => setTimeout(r, 50));
    }
    await Promise.all(pending);
  })();

  const held = Array.from({ length: CONNECTIONS }, () => heldRequest(port, sockets));
  await Promise.all(held.map((h) => h.opened));
  const answers = await Promise.all(held.map((h) => h.answer));
  const shed = answers.filter((a) => a.startsWith('HTTP/1.1 503 '));
  const timedOut = answers.filter((a) => a.startsWith('HTTP/1.1 408 '));
  // Every connection got an HTTP answer: an immediate 503, or (admitted, body never finished) 408.
  assert.equal(shed.length + timedOut.length, CONNECTIONS, `every one answered: ${answers.find((a) => !/^HTTP\/1\.1 (503|408) /.test(a))?.slice(0, 200)}`);
  assert.equal(p.gate.peakInFlight, LIMIT, 'admitted up to the limit, never more');
  assert.equal(p.gate.shed, shed.length, 'the rest shed');
  // On an idle machine all 2,000 arrive before the first admitted one times out: exactly LIMIT get 408.
  assert.ok(shed.length >= CONNECTIONS / 2, `most were shed (${shed.length})`);
  for (const a of shed.slice(0, 5)) {
    assert.match(a, /Retry-After: 1/i);
    assert.match(a, /"error":"temporarily_unavailable"/);
  }

  // Recovered by itself: nothing in flight, normal answers.
  assert.equal(p.gate.inFlight, 0);
  const discovery = await probe(`${p.issuer}/.well-known/openid-configuration`);
  assert.equal(discovery.kind === 'answer' && discovery.status, 200, 'a normal request is served again');
  probing = false;
  await prober;

  assert.ok(health.length > 20, `health was probed throughout (${health.length} probes)`);
  for (const h of health) {
    assert.equal(h.result.kind, 'answer', `health answered at ${h.at} ms: ${h.result.kind === 'error' ? h.result.code : ''}`);
    assert.equal(h.result.kind === 'answer' && h.result.status, 200, `health 200 at ${h.at} ms`);
  }
  const slowest = Math.max(...health.map((h) => h.result.ms));
  assert.ok(slowest < 10_000, `slowest health answer ${slowest} ms`);
  t.diagnostic(`${CONNECTIONS} connections: ${LIMIT} admitted, ${shed.length} shed with 503; ${health.length} health probes all 200, slowest ${slowest} ms`);
});

test('the entity refuses WebSockets past its cap of unauthenticated sockets, and closes those that never authenticate', async () => {
  const cap = 50;
  const s = teardown.add(await startTestServer({ wsAuthTimeoutMs: 1_000, wsMaxUnauthenticated: cap }), (x) => x.stop());
  const url = `${s.url.replace(/^http/, 'ws')}/ws`;
  const outcomes = await Promise.all(
    Array.from(
      { length: cap + 20 },
      () =>
        new Promise<{ opened: boolean; status?: number; closeCode?: number }>((resolve) => {
          const ws = new WebSocket(url);
          let opened = false;
          ws.on('open', () => (opened = true));
          ws.on('unexpected-response', (_req, res) => {
            resolve({ opened: false, status: res.statusCode });
            ws.terminate();
          });
          ws.on('close', (code) => resolve({ opened, closeCode: code }));
          ws.on('error', () => undefined);
        }),
    ),
  );
  const refused = outcomes.filter((o) => o.status === 503);
  const timedOut = outcomes.filter((o) => o.opened && o.closeCode === 4408);
  assert.equal(refused.length, 20, `past the cap: 503 (${JSON.stringify(outcomes.slice(-3))})`);
  assert.equal(timedOut.length, cap, 'the others are closed for not authenticating');
  // Room again afterwards.
  const ws = new WebSocket(url);
  await once(ws, 'open');
  ws.terminate();
});
