/**
 * The entity's delegation and decision endpoints are served two ways (server/direct_api.ts): a
 * plain UTF-8 JSON body straight off node:http, anything else (a trailing slash, a case-folded
 * path, a compressed body) through express. Both must give the same answers, headers and errors,
 * and the direct path must keep express's order: the device is authenticated before its body is
 * read, and bodies are refused by the same rules (strict JSON, the size limit).
 */
import assert from 'node:assert/strict';
import { gzipSync } from 'node:zlib';
import { ENTITY_API } from '../../shared/entity-api.ts';
import { defaults } from '../../server/defaults.ts';
import { after, before, test } from '../helpers/node-test.ts';
import { Teardown } from '../helpers/teardown.ts';
import { type EntityWithPhone, type SimDevice, close, listen, nowSeconds, startEntityWithPhone, type TestServer } from './helpers.ts';
import { createServer } from 'node:http';
import { directApi, exactPath, idPath } from '../../server/direct_api.ts';
import { createLogger } from '../../shared/log.ts';

let keycloak: EntityWithPhone['keycloak'];
let server: TestServer;
let phone: SimDevice;
let sub: string;
const teardown = new Teardown();

before(async () => {
  ({ keycloak, server, phone, sub } = await startEntityWithPhone(teardown));
});
after(() => teardown.run());

interface Answer {
  readonly status: number;
  readonly body: Record<string, unknown>;
  readonly headers: Headers;
}

async function post(path: string, body: string | Buffer, headers: Record<string, string>): Promise<Answer> {
  const res = await fetch(`${server.url}${path}`, { method: 'POST', headers, body: typeof body === 'string' ? body : new Uint8Array(body) });
  const text = await res.text();
  return { status: res.status, body: text ? (JSON.parse(text) as Record<string, unknown>) : {}, headers: res.headers };
}

/** The response headers that matter, as [name, value] (date, length and connection headers vary). */
const headerSet = (h: Headers) =>
  [...h.entries()].filter(([k]) => !['date', 'content-length', 'connection', 'keep-alive', 'etag'].includes(k)).sort(([a], [b]) => a.localeCompare(b));

/** `path` with its fixed words upper-cased (express routes case-insensitively; an id keeps its case). */
const folded = (path: string) => path.replace(/^\/api\/requests\/([^/]+)\/decision$/, '/API/REQUESTS/$1/DECISION').replace(/^\/ciba\//, '/CIBA/');

/** Sends `body` to `path` directly (plain JSON) and through express (gzip, trailing slash, upper-case path) and checks all four agree. */
async function bothWays(path: string, body: string, headers: Record<string, string>, same: (a: Answer, b: Answer) => void): Promise<Answer> {
  assert.notEqual(folded(path), path, 'no case-folded form of the path');
  const json = { 'content-type': 'application/json', ...headers };
  const direct = await post(path, body, json);
  const others = [
    await post(path, gzipSync(body), { ...json, 'content-encoding': 'gzip' }),
    await post(`${path}/`, body, json),
    await post(folded(path), body, json),
  ];
  for (const other of others) {
    assert.equal(other.status, direct.status, JSON.stringify([direct.body, other.body]));
    assert.deepEqual(headerSet(other.headers), headerSet(direct.headers));
    same(direct, other);
  }
  return direct;
}

const sameBody = (a: Answer, b: Answer) => assert.deepEqual(a.body, b.body);

test('delegation: accepted the same way directly and through express, and refused the same way', async () => {
  const delegation = (binding: string) => JSON.stringify({ login_hint: 'alice', scope: 'openid', is_consent_required: false, binding_message: binding });
  // Each way needs a fresh token (a token's jti is accepted once): the answers differ only in the request id.
  for (const way of ['direct', 'gzip', 'slash'] as const) {
    const token = await keycloak.delegationToken({ sub });
    const headers = { 'content-type': 'application/json', authorization: `Bearer ${token}` };
    const body = delegation(`way ${way}`);
    const res =
      way === 'direct'
        ? await post(server.delegationUrl.slice(server.url.length), body, headers)
        : way === 'gzip'
          ? await post(server.delegationUrl.slice(server.url.length), gzipSync(body), { ...headers, 'content-encoding': 'gzip' })
          : await post(`${server.delegationUrl.slice(server.url.length)}/`, body, headers);
    assert.equal(res.status, 201, JSON.stringify(res.body));
    assert.equal(typeof res.body.id, 'string');
    assert.equal(res.headers.get('cache-control'), 'no-store');
    assert.equal(res.headers.get('x-content-type-options'), 'nosniff');
  }
  const path = server.delegationUrl.slice(server.url.length);
  const spent = await keycloak.delegationToken({ sub });
  await post(path, delegation('first'), { 'content-type': 'application/json', authorization: `Bearer ${spent}` });
  for (const [body, headers, status] of [
    [delegation('x'), {}, 401],
    [delegation('x'), { authorization: 'Bearer not-a-jwt' }, 401],
    [delegation('replayed'), { authorization: `Bearer ${spent}` }, 401],
    ['{"login_hint": ', { authorization: `Bearer ${spent}` }, 400],
    ['"a string"', { authorization: `Bearer ${spent}` }, 400],
    ['   ', { authorization: `Bearer ${spent}` }, 400],
  ] as const) {
    const r = await bothWays(path, body, headers, sameBody);
    assert.equal(r.status, status, `${body}: ${JSON.stringify(r.body)}`);
  }
});

test('decision: the device is authenticated before its body is read, and every refusal matches express', async () => {
  const token = await keycloak.delegationToken({ sub });
  const res = await post(server.delegationUrl.slice(server.url.length), JSON.stringify({ login_hint: 'alice', scope: 'openid', is_consent_required: false }), {
    'content-type': 'application/json',
    authorization: `Bearer ${token}`,
  });
  const { id } = res.body as { id: string };
  const path = ENTITY_API.decision(id);
  const device = { authorization: `Bearer ${phone.enrollment!.device_token}` };
  // No device: 401 even for a body that is not JSON (express authenticates first, so does the direct path).
  const anonymous = await bothWays(path, '{broken', {}, sameBody);
  assert.equal(anonymous.status, 401);
  assert.match(anonymous.headers.get('www-authenticate') ?? '', /^Bearer/);
  assert.equal(anonymous.headers.get('access-control-allow-origin'), '*', 'the API answers carry CORS headers');
  for (const [body, status] of [
    ['{broken', 400],
    ['[]', 400],
    [JSON.stringify({ signed: 'not.a.jws' }), 400],
    [JSON.stringify({ signed: await phone.sign({ request_id: 'another', device_id: phone.id, decision: 'approve', iat: nowSeconds() }) }), 400],
  ] as const) {
    const r = await bothWays(path, body, device, sameBody);
    assert.equal(r.status, status, `${body}: ${JSON.stringify(r.body)}`);
  }
  const unknown = await bothWays(ENTITY_API.decision('no-such-request'), JSON.stringify({ signed: 'x' }), device, sameBody);
  assert.equal(unknown.status, 404);
  // Over the size limit: 413 both ways, before anything is parsed.
  const big = await bothWays(path, JSON.stringify({ signed: 'x'.repeat(defaults.maxBodyBytes) }), device, sameBody);
  assert.equal(big.status, 413);
  // And the real decision, directly: the request is settled once; a second answer (through express) is 409.
  const signed = await phone.sign({ request_id: id, device_id: phone.id, decision: 'approve', iat: nowSeconds() });
  const ok = await post(path, JSON.stringify({ signed }), { ...device, 'content-type': 'application/json' });
  assert.deepEqual([ok.status, ok.body.status], [200, 'approved']);
  const again = await post(`${path}/`, JSON.stringify({ signed }), { ...device, 'content-type': 'application/json' });
  assert.equal(again.status, 409);
});

test('the direct routes take plain JSON POSTs to their exact paths and leave everything else to express', async () => {
  const fellBack: string[] = [];
  const served: Array<Record<string, string>> = [];
  const handler = directApi(
    {
      routes: [
        {
          match: exactPath('/ciba/delegation'),
          endpoint: async (r) => {
            served.push({ ...r.params });
            return { status: 201, body: { ok: true } };
          },
          api: false,
        },
        {
          match: idPath('/api/requests/', '/decision'),
          endpoint: async (r) => {
            served.push({ ...r.params });
            return { status: 200, body: r.body as object };
          },
          api: true,
        },
      ],
      limit: 1000,
      log: createLogger('test', { NOD_LOG_LEVEL: 'silent' }),
    },
    (req, res) => {
      fellBack.push(`${req.method} ${req.url} ${req.headers['content-type'] ?? ''} ${req.headers['content-encoding'] ?? ''}`.trim());
      res.writeHead(418).end();
    },
  );
  const s = createServer(handler);
  const url = await listen(s);
  try {
    const send = (path: string, headers: Record<string, string> = { 'content-type': 'application/json' }, method = 'POST') =>
      fetch(`${url}${path}`, { method, headers, ...(method === 'GET' ? {} : { body: '{"a":1}' }) }).then(async (r) => [r.status, await r.text()] as const);
    assert.deepEqual(await send('/ciba/delegation'), [201, '{"ok":true}']);
    assert.deepEqual(await send('/ciba/delegation?x=1', { 'content-type': 'application/json; charset=UTF-8' }), [201, '{"ok":true}']);
    assert.deepEqual(await send('/api/requests/r%2F1/decision'), [200, '{"a":1}']);
    assert.deepEqual(served, [{}, {}, { id: 'r/1' }], 'path parameters are decoded');
    for (const [path, headers, method] of [
      ['/ciba/delegation/', undefined, 'POST'],
      ['/CIBA/delegation', undefined, 'POST'],
      ['/ciba/delegation', undefined, 'GET'],
      ['/ciba/delegation', { 'content-type': 'text/plain' }, 'POST'],
      ['/ciba/delegation', { 'content-type': 'application/json; charset=latin1' }, 'POST'],
      ['/ciba/delegation', { 'content-type': 'application/json', 'content-encoding': 'gzip' }, 'POST'],
      ['/api/requests/%E0%A4%A/decision', undefined, 'POST'],
      ['/api/requests//decision', undefined, 'POST'],
      ['/api/requests/a/b/decision', undefined, 'POST'],
    ] as const) {
      const [status] = await send(path, headers ?? { 'content-type': 'application/json' }, method);
      assert.equal(status, 418, `${method} ${path} ${JSON.stringify(headers)} was not left to express`);
    }
    assert.equal(fellBack.length, 9);
    // A body that is not strict JSON is refused on the direct path as body-parser refuses it.
    const bad = await fetch(`${url}/ciba/delegation`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '42' });
    assert.deepEqual([bad.status, ((await bad.json()) as { error: string }).error], [400, 'invalid_request']);
  } finally {
    await close(s);
  }
});
