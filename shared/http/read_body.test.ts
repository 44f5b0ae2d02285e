import assert from 'node:assert/strict';
import { createServer, type IncomingMessage } from 'node:http';
import { connect, type AddressInfo } from 'node:net';
import { test } from 'node:test';
import { parseJsonBody, readBody, readJsonBody } from './read_body.ts';

/** A server whose handler waits `delayMs` before reading the body (as a route that authenticates first does); resolves with what readBody gave. */
async function readLate(delayMs: number, send: (port: number) => void): Promise<{ error?: string; body?: string }> {
  let resolve!: (r: { error?: string; body?: string }) => void;
  const result = new Promise<{ error?: string; body?: string }>((r) => (resolve = r));
  const server = createServer((req: IncomingMessage, res) => {
    setTimeout(() => {
      readBody(req, 1000, (err, body) => {
        resolve(err ? { error: (err as Error & { type?: string }).type ?? err.message } : { body: body!.toString() });
        if (!res.destroyed) res.end();
      });
    }, delayMs);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  try {
    send((server.address() as AddressInfo).port);
    const limit = new Promise<never>((_, reject) => setTimeout(() => reject(new Error('readBody never called back')), 5000));
    return await Promise.race([result, limit]);
  } finally {
    server.closeAllConnections();
    await new Promise<void>((r) => server.close(() => r()));
  }
}

test('a body read after an await: whole, or aborted at once when the client went away meanwhile', { timeout: 20_000 }, async () => {
  const whole = await readLate(50, (port) => {
    const s = connect(port, '127.0.0.1', () => s.write('POST / HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 7\r\n\r\n{"a":1}'));
  });
  assert.deepEqual(whole, { body: '{"a":1}' });
  const gone = await readLate(200, (port) => {
    const s = connect(port, '127.0.0.1', () => {
      s.write('POST / HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{"a":');
      setTimeout(() => s.destroy(), 30);
    });
  });
  assert.deepEqual(gone, { error: 'request.aborted' });
});

test('JSON bodies are read as express.json (strict) reads them', () => {
  assert.deepEqual(parseJsonBody(Buffer.from('')), {});
  assert.deepEqual(parseJsonBody(Buffer.from('\ufeff {"a":[1]} ')), { a: [1] });
  assert.deepEqual(parseJsonBody(Buffer.from('\n[1,2]')), [1, 2]);
  for (const bad of ['42', '"x"', 'null', '   ', '{"a":', 'tru'])
    assert.throws(
      () => parseJsonBody(Buffer.from(bad)),
      (e: Error & { type?: string; status?: number }) => e.type === 'entity.parse.failed' && e.status === 400,
      bad,
    );
});

test('readJsonBody settles with the parsed body, or rejects a body that is not strict JSON (never hangs)', { timeout: 20_000 }, async () => {
  const outcomes: unknown[] = [];
  const server = createServer((req, res) => {
    readJsonBody(req, 1000).then(
      (body) => outcomes.push(body),
      (e: Error & { type?: string }) => outcomes.push(e.type),
    );
    req.on('end', () => setImmediate(() => res.end()));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  try {
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
    for (const body of ['{"a":1}', '{"a":', '42']) await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
    assert.deepEqual(outcomes, [{ a: 1 }, 'entity.parse.failed', 'entity.parse.failed']);
  } finally {
    server.closeAllConnections();
    await new Promise<void>((r) => server.close(() => r()));
  }
});
