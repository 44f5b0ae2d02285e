/**
 * The defects the fuzz suite (test/fuzz) found, each as a fixed request over a raw socket to a
 * real provider and entity: every one is answered with the client's 4xx, quickly, and logged as
 * the client's fault, never as internal.error.
 */
import assert from 'node:assert/strict';
import { after, before, test } from '../helpers/node-test.ts';
import { createLogger } from '../../shared/log.ts';
import { MAX_DESCRIPTION_CHARS } from '../../shared/errors.ts';
import { CIBA_CALLBACK_PATH } from '../../shared/auth-channel.ts';
import { startTestProvider, type TestProvider } from '../helpers/provider.ts';
import { startTestServer, type TestServer } from '../entity/helpers.ts';
import { exchange, type Outcome } from '../fuzz/exchange.ts';

const lines: Array<Record<string, unknown>> = [];
const log = (component: string) =>
  createLogger(component, { NOD_LOG_LEVEL: 'info' }, { write: (line: string) => void lines.push(JSON.parse(line) as Record<string, unknown>) });

let provider: TestProvider | undefined;
let entity: TestServer | undefined;
before(async () => {
  provider = await startTestProvider({ log: log('provider') });
  entity = await startTestServer({ log: log('server'), trustedIssuers: [provider.issuer] });
});
after(async () => {
  await entity?.stop();
  await provider?.stop();
});

async function send(port: number, text: string): Promise<Extract<Outcome, { kind: 'answer' }>> {
  const o = await exchange(port, Buffer.from(text, 'latin1'), 5_000, text.startsWith('HEAD'));
  assert.equal(o.kind, 'answer', `no answer: ${JSON.stringify(o)}`);
  return o as Extract<Outcome, { kind: 'answer' }>;
}

const internalErrors = () => lines.filter((l) => l.event === 'internal.error' || l.level === 'error');

test('a POST asking for an upgrade (h2c, websocket, garbage) with a malformed chunked body gets 400 on every provider path', async () => {
  for (const path of ['/token', '/token/revoke', '/token/introspect', '/logout', CIBA_CALLBACK_PATH]) {
    for (const upgrade of ['h2c', 'websocket', 'garbage']) {
      const o = await send(
        provider!.port,
        `POST ${path} HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\nUpgrade: ${upgrade}\r\nContent-Type: application/x-www-form-urlencoded\r\nTransfer-Encoding: chunked\r\n\r\n1ffffffffffffffff\r\nabc\r\n0\r\n\r\n`,
      );
      assert.equal(o.status, 400, `${path} ${upgrade}`);
      assert.ok(o.ms < 2_000, `${path} ${upgrade}: ${o.ms} ms`);
    }
  }
  assert.deepEqual(internalErrors(), []);
});

test('a request asking for an upgrade the service does not take is served as the plain request it also is', async () => {
  const o = await send(
    provider!.port,
    'GET /.well-known/openid-configuration HTTP/1.1\r\nHost: x\r\nConnection: Upgrade, HTTP2-Settings, close\r\nUpgrade: h2c\r\nHTTP2-Settings: AAMAAABkAAQAAP__\r\n\r\n',
  );
  assert.equal(o.status, 200);
  assert.match(o.body, /"issuer"/);
  const form = 'grant_type=client_credentials';
  const token = await send(
    provider!.port,
    `POST /token HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\nUpgrade: websocket\r\nAuthorization: Basic ${Buffer.from('demo-service:demo-service-secret').toString('base64')}\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: ${form.length}\r\n\r\n${form}`,
  );
  assert.equal(token.status, 200, token.body);
});

test('the entity answers a malformed chunked body with 400 and logs it as the client error it is', async () => {
  const before = lines.length;
  for (const size of ['1ffffffffffffffff', 'zz']) {
    const o = await send(
      entity!.port,
      `POST /api/devices HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n2\r\n{}\r\n${size}\r\nabc\r\n0\r\n\r\n`,
    );
    assert.equal(o.status, 400);
  }
  await new Promise((r) => setTimeout(r, 100));
  assert.deepEqual(internalErrors(), []);
  assert.ok(lines.slice(before).some((l) => l.event === 'http.client_error' && l.level === 'info' && typeof l.errorCode === 'string'));
});

test('an unsatisfiable Range on the device app files is 416 with Content-Range, never 500', async (t) => {
  if (!entity!.ctx.config.appDir) return t.skip('no device app build');
  for (const path of ['/sw.js', '/', '/index.html', '/some/app/route']) {
    const o = await send(entity!.port, `GET ${path} HTTP/1.1\r\nHost: x\r\nAccept: text/html\r\nRange: bytes=999999999999-\r\nConnection: close\r\n\r\n`);
    if (o.status === 404) return t.skip('no device app build (npm run build)');
    assert.equal(o.status, 416, `${path}: ${o.body}`);
    assert.match(o.headers['content-range'] ?? '', /^bytes \*\/\d+$/);
    assert.match(o.headers['content-type'] ?? '', /^application\/json/);
  }
  assert.deepEqual(internalErrors(), []);
});

test('CONNECT is answered 405, not dropped', async () => {
  for (const port of [provider!.port, entity!.port]) assert.equal((await send(port, 'CONNECT /token HTTP/1.1\r\nHost: x\r\n\r\n')).status, 405);
});

test('an error description quotes at most MAX_DESCRIPTION_CHARS of the request', async () => {
  const path = `/${'a'.repeat(8_000)}`;
  for (const port of [provider!.port, entity!.port]) {
    const o = await send(port, `DELETE ${path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n`);
    assert.equal(o.status, 404);
    const { error_description } = JSON.parse(o.body) as { error_description: string };
    assert.ok([...error_description].length <= MAX_DESCRIPTION_CHARS, `${error_description.length} chars`);
    assert.ok(error_description.endsWith('…'));
  }
});

test('a 2 MB body sent to an endpoint that does not read it still gets its answer (lingering close, no reset)', async () => {
  const body = 'a'.repeat(2 * 1024 * 1024);
  for (const [port, path] of [
    [entity!.port, '/api/push/test'],
    [entity!.port, '/api/config'],
    [provider!.port, '/jwks'],
  ] as const) {
    const o = await send(
      port,
      `POST ${path} HTTP/1.1\r\nHost: x\r\nContent-Type: text/plain\r\nConnection: close\r\nContent-Length: ${body.length}\r\n\r\n${body}`,
    );
    assert.ok(o.status >= 400 && o.status < 500, `${path}: ${o.status}`);
  }
});

test('a page asked for while the app build is being replaced gets 503 with Retry-After, never 500', async () => {
  // A copy of a build whose index.html is then removed, as `npm run build` empties dist/ under a running entity.
  const { mkdtempSync, rmSync, writeFileSync, mkdirSync } = await import('node:fs');
  const { tmpdir } = await import('node:os');
  const { join } = await import('node:path');
  const dir = mkdtempSync(join(tmpdir(), 'nod-app-build-'));
  mkdirSync(join(dir, 'assets'));
  writeFileSync(join(dir, 'index.html'), '<!doctype html><title>Nod</title>');
  const s = await startTestServer({ trustedIssuers: [provider!.issuer], appDir: dir });
  try {
    const before = await fetch(`${s.url}/requests/x`, { headers: { accept: 'text/html' } });
    assert.equal(before.status, 200);
    await before.arrayBuffer();
    rmSync(join(dir, 'index.html'));
    for (const path of ['/requests/x', '/sw.js']) {
      const res = await fetch(`${s.url}${path}`, { headers: { accept: 'text/html' } });
      assert.equal(res.status, 503, path);
      assert.equal(res.headers.get('retry-after'), '1');
      assert.equal(((await res.json()) as { error: string }).error, 'temporarily_unavailable');
    }
  } finally {
    await s.stop();
    rmSync(dir, { recursive: true, force: true });
  }
});
