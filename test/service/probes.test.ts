/**
 * `nod start` probed the way an orchestrator probes it: from the moment the process is spawned,
 * a request every 50 ms to each part (health, discovery, the app's config), each on its own
 * connection with a 2 s deadline. Every connection that is accepted gets an HTTP answer within
 * the deadline: 503 (Retry-After, JSON) while a part starts, 200 once it is up, 503 or a refused
 * connection once SIGTERM stops it, never a hang; a request in flight at SIGTERM is finished.
 */
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { connect } from 'node:net';
import { after, describe, it } from '../helpers/node-test.ts';
import { probe, type ProbeResult } from '../helpers/probe.ts';
import { tempDir } from '../helpers/provider.ts';
import { freePort, NodProcess } from '../cli/helpers.ts';

const EVERY_MS = 50;
const DEADLINE_MS = 2000;

interface Shot {
  readonly url: string;
  /** ms since spawn. */
  readonly at: number;
  readonly result: ProbeResult;
}

/** Fires one probe per target every EVERY_MS until stopped; collects every result. */
function fireEvery(targets: readonly string[], t0: number) {
  const shots: Shot[] = [];
  const pending = new Set<Promise<void>>();
  const tick = () => {
    for (const url of targets) {
      const at = Math.round(performance.now() - t0);
      const p: Promise<void> = probe(url, { timeoutMs: DEADLINE_MS }).then((result) => {
        shots.push({ url, at, result });
        pending.delete(p);
      });
      pending.add(p);
    }
  };
  tick();
  const timer = setInterval(tick, EVERY_MS);
  return {
    shots,
    async stop() {
      clearInterval(timer);
      await Promise.all(pending);
      return shots.sort((a, b) => a.at - b.at);
    },
  };
}

const show = (s: Shot) => `${s.at} ms ${s.url} → ${s.result.kind === 'answer' ? `${s.result.status} ${s.result.body.slice(0, 80)}` : s.result.code}`;

/** Asserts what a 503 from the gate looks like. */
function assertGate503(s: Shot, state: 'starting' | 'stopping'): void {
  assert.ok(s.result.kind === 'answer');
  const r = s.result;
  assert.equal(r.headers['retry-after'], '1', show(s));
  assert.match(String(r.headers['content-type']), /^application\/json/, show(s));
  const body = JSON.parse(r.body) as Record<string, string>;
  if (/\/(healthz|readyz)$/.test(s.url)) assert.deepEqual(body, { status: state }, show(s));
  else {
    assert.equal(body.error, 'temporarily_unavailable', show(s));
    assert.match(body.error_description ?? '', new RegExp(state), show(s));
  }
}

describe('nod start under probes from spawn to exit', () => {
  const dataDir = tempDir('nod-probes-');
  let nod: NodProcess | undefined;
  let load: ReturnType<typeof fireEvery> | undefined;
  after(async () => {
    await load?.stop();
    nod?.kill('SIGKILL');
    await nod?.exited;
    rmSync(dataDir, { recursive: true, force: true });
  });

  let provider = '';
  let entity = '';
  let targets: string[] = [];

  it('answers every request from the first accepted connection: 503 while starting, then 200; none hangs', async () => {
    const [pp, sp] = [await freePort(), await freePort()];
    provider = `http://127.0.0.1:${pp}`;
    entity = `http://127.0.0.1:${sp}`;
    targets = [`${provider}/healthz`, `${provider}/.well-known/openid-configuration`, `${entity}/readyz`, `${entity}/api/config`];
    const t0 = performance.now();
    nod = new NodProcess(['start'], {
      NOD_DATA_DIR: dataDir,
      NOD_PROVIDER_PORT: String(pp),
      NOD_SERVER_PORT: String(sp),
      NOD_PROVIDER_HOST: '127.0.0.1',
      NOD_SERVER_HOST: '127.0.0.1',
      NOD_ISSUER: provider,
      NOD_SERVER_URL: entity,
    });
    load = fireEvery(targets, t0);
    await nod.waitFor(/Stop: Ctrl-C/, 60_000);
    // Until every target has answered 200 a few times after the banner.
    const ready = (url: string) => load!.shots.filter((s) => s.url === url && s.result.kind === 'answer' && s.result.status === 200).length >= 5;
    while (!targets.every(ready)) await new Promise((r) => setTimeout(r, EVERY_MS));
    const shots = await load.stop();
    load = undefined;

    const counts = { refused: 0, starting: 0, ok: 0 };
    for (const url of targets) {
      const mine = shots.filter((s) => s.url === url);
      const firstAnswer = mine.findIndex((s) => s.result.kind === 'answer');
      assert.ok(firstAnswer >= 0, `${url} answered`);
      // Before the port is open the kernel refuses at once; that is not a hang.
      for (const s of mine.slice(0, firstAnswer)) assert.equal(s.result.kind === 'error' && s.result.code, 'ECONNREFUSED', show(s));
      counts.refused += firstAnswer;
      let seenOk = false;
      for (const s of mine.slice(firstAnswer)) {
        assert.equal(s.result.kind, 'answer', `accepted, so answered: ${show(s)}`);
        assert.ok(s.result.kind === 'answer' && s.result.ms < DEADLINE_MS, show(s));
        if (s.result.status === 200) {
          seenOk = true;
          counts.ok++;
          continue;
        }
        assert.equal(s.result.status, 503, show(s));
        assert.ok(!seenOk, `no 503 once up: ${show(s)}`);
        assertGate503(s, 'starting');
        counts.starting++;
      }
    }
    // Fresh data directory: the provider makes its keys and demo users while answering 503.
    assert.ok(counts.starting > 0, `some requests arrived while starting (${JSON.stringify(counts)})`);
  });

  it('on SIGTERM under load: the request in flight is finished, late ones get 503 or a refused connection, none hangs', async () => {
    assert.ok(nod, 'nod start is running');
    // A token request in flight across the signal: headers and half the body now, the rest after SIGTERM.
    const body = 'grant_type=client_credentials&scope=api';
    const basic = Buffer.from('demo-service:demo-service-secret').toString('base64');
    const port = Number(new URL(provider).port);
    const socket = connect(port, '127.0.0.1');
    let raw = '';
    socket.setEncoding('utf8');
    socket.on('data', (d: string) => (raw += d));
    const closed = new Promise<void>((resolve) => socket.on('close', () => resolve()));
    socket.on('error', () => undefined);
    socket.write(
      `POST /token HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nAuthorization: Basic ${basic}\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: ${body.length}\r\n\r\n${body.slice(0, 10)}`,
    );
    await new Promise((r) => setTimeout(r, 200));

    const t0 = performance.now();
    load = fireEvery(targets, t0);
    await new Promise((r) => setTimeout(r, 300));
    nod.kill('SIGTERM');
    while (!nod.stderr.includes('SIGTERM: stopping')) await new Promise((r) => setTimeout(r, 10));
    await new Promise((r) => setTimeout(r, 200));
    socket.write(body.slice(10));
    const exit = await nod.exited;
    nod = undefined;
    await new Promise((r) => setTimeout(r, 300));
    const shots = await load.stop();
    load = undefined;
    await closed;

    assert.equal(exit.code, 0, `clean exit (stderr: ${exit.stderr})`);
    assert.match(raw, /^HTTP\/1\.1 200 /, `the request in flight got its tokens: ${raw.slice(0, 200)}`);
    assert.match(raw, /"access_token"/);
    const counts = { ok: 0, stopping: 0, refused: 0, reset: 0 };
    for (const s of shots) {
      // Once a part stops listening the kernel refuses new connections; one that completed its
      // handshake in the instant the listening socket closed, before the process could accept it,
      // is reset by the kernel. Neither was accepted by Nod, and neither waits: what must never
      // happen is a request left without an answer (TIMEOUT) or cut after it was accepted.
      assert.ok(s.result.kind === 'answer' || ['ECONNREFUSED', 'ECONNRESET'].includes(s.result.code), `answered or refused, never left hanging: ${show(s)}`);
      if (s.result.kind === 'error') {
        assert.ok(s.result.ms < DEADLINE_MS, show(s));
        counts[s.result.code === 'ECONNRESET' ? 'reset' : 'refused']++;
        continue;
      }
      assert.ok(s.result.ms < DEADLINE_MS, show(s));
      if (s.result.status === 200) counts.ok++;
      else {
        assert.equal(s.result.status, 503, show(s));
        assertGate503(s, 'stopping');
        counts.stopping++;
      }
    }
    assert.ok(counts.ok > 0 && counts.refused > 0, `served before, refused after (${JSON.stringify(counts)})`);
    assert.ok(counts.reset <= targets.length, `a kernel reset happens only in the instant a listener closes (${JSON.stringify(counts)})`);
  });
});
