/**
 * The WebSocket keep-alive: one timer pings a slice of the sockets per tick, so each socket is
 * pinged once per wsPingIntervalMs and a node with many sockets never writes to all of them at
 * once; a socket that answered nothing since its last ping is dropped at its next turn. The
 * keep-alive timer (setInterval) is mocked, the sockets are real.
 */
import { test, after } from '../helpers/node-test.ts';
import { mock } from 'node:test';
import assert from 'node:assert/strict';
import WebSocket from 'ws';
import { ENTITY_API } from '../../shared/entity-api.ts';
import { defaults } from '../../server/defaults.ts';
import { startTestServer, type TestServer } from './helpers.ts';

let server: TestServer | undefined;
const sockets: WebSocket[] = [];
after(async () => {
  for (const ws of sockets) ws.terminate();
  await server?.stop();
  mock.timers.reset();
});

/** A raw socket that counts the pings it got; `autoPong: false` makes it a dead peer. */
async function socket(url: string, autoPong: boolean): Promise<{ ws: WebSocket; pings: () => number; closed: Promise<number> }> {
  const ws = new WebSocket(url.replace(/^http/, 'ws') + ENTITY_API.ws, { autoPong });
  sockets.push(ws);
  let pings = 0;
  ws.on('ping', () => pings++);
  const closed = new Promise<number>((resolve) => ws.once('close', (code) => resolve(code)));
  await new Promise<void>((resolve, reject) => {
    ws.once('open', () => resolve());
    ws.once('error', reject);
  });
  return { ws, pings: () => pings, closed };
}

/** Lets the pings cross loopback. */
const settle = () => new Promise((r) => setTimeout(r, 100));

test('each tick pings one slice of the sockets; a socket silent for a whole period is dropped, a live one stays', { timeout: 30_000 }, async () => {
  const tickMs = defaults.wsPingIntervalMs / defaults.wsPingSlices;
  // A mocked clock ticked by NaN never returns: fail instead.
  assert.ok(Number.isFinite(tickMs) && tickMs > 0, 'defaults.wsPingSlices is a positive number');
  mock.timers.enable({ apis: ['setInterval'] });
  server = await startTestServer();
  // Opened first and second: slices 0 and 1 of this fresh hub.
  const live = await socket(server.url, true);
  const dead = await socket(server.url, false);
  mock.timers.tick(tickMs);
  await settle();
  assert.deepEqual([live.pings(), dead.pings()], [1, 0], 'the first tick pings the first slice only');
  mock.timers.tick(tickMs);
  await settle();
  assert.deepEqual([live.pings(), dead.pings()], [1, 1], 'the second tick pings the second slice');
  // The rest of the period: nobody is pinged twice.
  mock.timers.tick(tickMs * (defaults.wsPingSlices - 2));
  await settle();
  assert.deepEqual([live.pings(), dead.pings()], [1, 1], 'a socket is pinged once per period');
  // Their next turns: the live one (it answered with a pong) is pinged again, the dead one is dropped.
  mock.timers.tick(tickMs * 2);
  await settle();
  assert.equal(live.pings(), 2);
  assert.equal(await dead.closed, 1006, 'the silent socket was terminated');
  assert.equal(live.ws.readyState, WebSocket.OPEN, 'the live socket stays open');
});
