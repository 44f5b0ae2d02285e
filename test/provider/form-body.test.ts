/**
 * Form bodies at the token endpoint (provider/middleware/parse_form.ts): decoding, and every
 * malformed body answered with the protocol's 4xx, on the fast path and on express's parser
 * (compressed bodies, other charsets).
 */
import { test, before, after } from '../helpers/node-test.ts';
import assert from 'node:assert/strict';
import { gzipSync } from 'node:zlib';
import { startTestProvider, type TestProvider } from '../helpers/provider.ts';
import { basicAuth } from '../helpers/sign-in.ts';

let provider: TestProvider;
before(async () => {
  provider = await startTestProvider();
});
after(() => provider?.stop());

const AUTH = basicAuth('demo-service', 'demo-service-secret');

async function post(body: string | Buffer, headers: Record<string, string> = {}) {
  const res = await fetch(`${provider.issuer}/token`, {
    method: 'POST',
    headers: { authorization: AUTH, 'content-type': 'application/x-www-form-urlencoded', ...headers },
    body: typeof body === 'string' ? body : new Uint8Array(body),
  });
  return { status: res.status, json: (await res.json()) as Record<string, string>, headers: res.headers };
}

test('a form body is decoded (percent-escapes, plus as space, charset=utf-8) and answered without caching', async () => {
  for (const [body, headers] of [
    ['grant_type=client_credentials&scope=api', {}],
    ['grant_type=client%5Fcredentials&scope=%61pi', { 'content-type': 'application/x-www-form-urlencoded; charset=UTF-8' }],
  ] as const) {
    const r = await post(body, headers);
    assert.equal(r.status, 200, JSON.stringify(r.json));
    assert.equal(r.json.scope, 'api');
    assert.equal(r.headers.get('cache-control'), 'no-store');
    assert.equal(r.headers.get('pragma'), 'no-cache');
    assert.match(r.headers.get('content-type') ?? '', /^application\/json; charset=utf-8$/);
  }
  const spaced = await post('grant_type=client_credentials&scope=api+openid');
  assert.equal(spaced.json.error, 'invalid_scope', 'plus decodes to a space: two scopes, openid not allowed here');
});

test('a gzip-compressed form goes through express parser and works the same', async () => {
  const r = await post(gzipSync('grant_type=client_credentials&scope=api'), { 'content-encoding': 'gzip' });
  assert.equal(r.status, 200, JSON.stringify(r.json));
});

test('malformed bodies get the protocol error, never a 500', async () => {
  const repeated = await post('grant_type=client_credentials&scope=api&scope=api');
  assert.deepEqual([repeated.status, repeated.json.error], [400, 'invalid_request']);
  assert.match(repeated.json.error_description ?? '', /repeated/);
  const big = await post(`grant_type=client_credentials&pad=${'x'.repeat(70 * 1024)}`);
  assert.deepEqual([big.status, big.json.error], [413, 'invalid_request']);
  const many = await post(`grant_type=client_credentials&${Array.from({ length: 120 }, (_, i) => `p${i}=1`).join('&')}`);
  assert.deepEqual([many.status, many.json.error], [400, 'invalid_request']);
  const json = await post('{"grant_type":"client_credentials"}', { 'content-type': 'application/json' });
  assert.deepEqual([json.status, json.json.error], [400, 'invalid_request']);
  const none = await post('');
  assert.deepEqual([none.status, none.json.error], [400, 'invalid_request']);
  const badGzip = await post(Buffer.from('not gzip'), { 'content-encoding': 'gzip' });
  assert.equal(badGzip.status, 400);
});

test('errors the endpoint answers itself keep the Basic challenge of a failed client login', async () => {
  const wrong = await fetch(`${provider.issuer}/token`, {
    method: 'POST',
    headers: { authorization: basicAuth('demo-service', 'wrong-secret'), 'content-type': 'application/x-www-form-urlencoded' },
    body: 'grant_type=client_credentials',
  });
  assert.equal(wrong.status, 401);
  assert.equal(wrong.headers.get('www-authenticate'), 'Basic realm="nod"');
  assert.equal(((await wrong.json()) as { error: string }).error, 'invalid_client');
});

test('the direct path and express answer alike: same headers (security, CORS, no-store) and the same errors', async () => {
  const names = (h: Headers) => [...h.keys()].filter((k) => k !== 'date' && k !== 'content-length' && k !== 'connection' && k !== 'keep-alive').sort();
  const body = 'grant_type=client_credentials&scope=api';
  // A plain UTF-8 form is served directly; a gzip body, a trailing slash and a case-folded path go through express.
  const direct = await post(body);
  const viaExpress = [await post(gzipSync(body), { 'content-encoding': 'gzip' })];
  for (const path of ['/token/', '/TOKEN']) {
    const res = await fetch(`${provider.issuer}${path}`, {
      method: 'POST',
      headers: { authorization: AUTH, 'content-type': 'application/x-www-form-urlencoded' },
      body,
    });
    viaExpress.push({ status: res.status, json: (await res.json()) as Record<string, string>, headers: res.headers });
  }
  for (const other of viaExpress) {
    assert.equal(other.status, 200, JSON.stringify(other.json));
    assert.deepEqual(names(other.headers), names(direct.headers));
  }
  assert.equal(direct.headers.get('access-control-allow-origin'), '*');
  assert.equal(direct.headers.get('x-content-type-options'), 'nosniff');
  // The same refusal both ways: a repeated parameter.
  const repeated = 'grant_type=client_credentials&scope=api&scope=api';
  const a = await post(repeated);
  const b = await post(gzipSync(repeated), { 'content-encoding': 'gzip' });
  assert.deepEqual([a.status, a.json], [b.status, b.json]);
  assert.deepEqual(names(a.headers), names(b.headers));
});
