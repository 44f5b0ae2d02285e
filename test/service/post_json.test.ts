import assert from 'node:assert/strict';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { after, before, test } from '../helpers/node-test.ts';
import { JsonPoster, PostTimeoutError } from '../../shared/http/post_json.ts';

const http = new JsonPoster();
const postJson = (url: string, body: unknown, options: Parameters<JsonPoster['post']>[2]) => http.post(url, body, options);
let server: Server;
let base: string;
const connections = new Set<Socket>();
let handler: (req: IncomingMessage, res: ServerResponse, body: string) => void = (_req, res) => void res.writeHead(201).end();

before(async () => {
  server = createServer((req, res) => {
    let body = '';
    req.setEncoding('utf8');
    req.on('data', (c: string) => (body += c));
    req.on('end', () => handler(req, res, body));
  });
  server.on('connection', (s: Socket) => {
    connections.add(s);
    s.once('close', () => connections.delete(s));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

after(async () => {
  http.close();
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

test('posts JSON with the given headers and returns the status and body', async () => {
  handler = (req, res, body) =>
    res
      .writeHead(201, { 'content-type': 'application/json' })
      .end(JSON.stringify({ got: JSON.parse(body), auth: req.headers.authorization, type: req.headers['content-type'] }));
  const answer = await postJson(`${base}/x`, { a: 1 }, { headers: { authorization: 'Bearer t' }, timeoutMs: 5000 });
  assert.equal(answer.status, 201);
  assert.equal(answer.headers['content-type'], 'application/json', 'answer headers are read by their lower-case names');
  assert.deepEqual(JSON.parse(answer.body.toString()), { got: { a: 1 }, auth: 'Bearer t', type: 'application/json' });
});

test('form posts are url-encoded; an answer body past maxBodyBytes is read and dropped', async () => {
  handler = (req, res, body) => res.writeHead(200, { 'content-type': 'text/plain' }).end(`${req.headers['content-type']}|${body}|${'x'.repeat(100_000)}`);
  const answer = await http.postForm(`${base}/f`, { logout_token: 'a b&c' }, { timeoutMs: 5000, maxBodyBytes: 10 });
  assert.equal(answer.status, 200);
  assert.ok(answer.body.toString().startsWith('application/x-www-form-urlencoded|logout_token=a+b%26c|'));
  assert.ok(answer.body.length < 100_000, `${answer.body.length} bytes kept`);
});

test('sequential posts share one keep-alive connection', async () => {
  handler = (_req, res) => void res.writeHead(200).end();
  let opened = 0;
  const count = () => opened++;
  server.on('connection', count);
  try {
    for (let i = 0; i < 5; i++) assert.equal((await postJson(`${base}/y`, {}, { timeoutMs: 5000 })).status, 200);
  } finally {
    server.off('connection', count);
  }
  assert.ok(opened <= 1, `${opened} connections opened for 5 posts`);
});

test('a connection the server closed while idle is replaced, the post succeeds', async () => {
  handler = (_req, res) => void res.writeHead(200).end();
  assert.equal((await postJson(`${base}/z`, {}, { timeoutMs: 5000 })).status, 200);
  // The server drops its idle keep-alive connections without telling (as after its timeout).
  for (const s of connections) s.resetAndDestroy();
  assert.equal((await postJson(`${base}/z`, {}, { timeoutMs: 5000 })).status, 200);
});

test('redirects are returned, not followed', async () => {
  handler = (_req, res) => void res.writeHead(302, { location: `${base}/elsewhere` }).end();
  assert.equal((await postJson(`${base}/r`, {}, { timeoutMs: 5000 })).status, 302);
});

test('no answer within the timeout rejects with PostTimeoutError', async () => {
  handler = () => undefined; // never answers
  await assert.rejects(postJson(`${base}/slow`, {}, { timeoutMs: 200 }), PostTimeoutError);
});

test('an abort signal stops the request', async () => {
  handler = () => undefined;
  const controller = new AbortController();
  const p = postJson(`${base}/slow`, {}, { timeoutMs: 5000, signal: controller.signal });
  setTimeout(() => controller.abort(), 50);
  await assert.rejects(p, (e: Error) => e.name === 'AbortError');
});

test('a signal aborted before the post rejects at once, and the connection stays usable', async () => {
  handler = (_req, res) => void res.writeHead(200).end();
  const controller = new AbortController();
  controller.abort();
  await assert.rejects(postJson(`${base}/a`, {}, { timeoutMs: 5000, signal: controller.signal }), (e: Error) => e.name === 'AbortError');
  assert.equal((await postJson(`${base}/a`, {}, { timeoutMs: 5000 })).status, 200);
});

test('a refused connection rejects with its code', async () => {
  const closed = createServer();
  await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
  const port = (closed.address() as AddressInfo).port;
  await new Promise<void>((resolve) => closed.close(() => resolve()));
  await assert.rejects(postJson(`http://127.0.0.1:${port}/`, {}, { timeoutMs: 2000 }), (e: NodeJS.ErrnoException) => e.code === 'ECONNREFUSED');
});
