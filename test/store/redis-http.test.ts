/**
 * Redis going away under a running provider and entity: every request gets an answer at once
 * (503, Retry-After, a JSON error or an error page, never a hang or a stack trace), /readyz says
 * 503, and when Redis is back both serve again without a restart. A real redis-server that keeps
 * its data across the restart (append-only file), as a deployment's would.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { startServer, type RunningServer } from '../../server/app.ts';
import { startTestProvider, tempDir, type TestProvider } from '../helpers/provider.ts';
import { redisMissing, startRedis, type TestRedis } from '../helpers/redis-server.ts';

const basic = (id: string, secret: string) => `Basic ${Buffer.from(`${id}:${secret}`).toString('base64')}`;

async function timedFetch(url: string, init?: RequestInit): Promise<{ ms: number; res: Response; text: string }> {
  const started = performance.now();
  const res = await fetch(url, { ...init, signal: AbortSignal.timeout(10_000) });
  const text = await res.text();
  return { ms: performance.now() - started, res, text };
}

describe('Redis unavailable under running nodes', { skip: redisMissing ?? false }, () => {
  let redis: TestRedis | undefined;
  let provider: TestProvider | undefined;
  let entity: RunningServer | undefined;
  const dirs = [tempDir('nod-redis-aof-'), tempDir()];
  before(async () => {
    redis = await startRedis({ persistDir: dirs[0]! });
    const store = { url: redis.url, prefix: 'http:' };
    provider = await startTestProvider({ store });
    entity = await startServer({ port: 0, host: '127.0.0.1', dataDir: dirs[1]!, store, trustedIssuers: [provider.issuer] });
  });
  after(async () => {
    await entity?.close();
    await provider?.stop();
    await redis?.stop();
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  });

  const token = () =>
    timedFetch(`${provider!.issuer}/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: basic('demo-service', 'demo-service-secret') },
      body: 'grant_type=client_credentials&scope=api',
    });

  test('503 with Retry-After and a JSON error at once, readiness 503, then recovery without a restart', { timeout: 60_000 }, async () => {
    assert.equal((await token()).res.status, 200);
    assert.equal((await timedFetch(`${provider!.issuer}/readyz`)).res.status, 200);
    await redis!.stop();

    const t = await token();
    assert.equal(t.res.status, 503);
    assert.ok(Number(t.res.headers.get('retry-after')) >= 1);
    assert.deepEqual(Object.keys(JSON.parse(t.text)).sort(), ['error', 'error_description']);
    assert.equal(JSON.parse(t.text).error, 'temporarily_unavailable');
    assert.doesNotMatch(t.text, /at .*\.ts|Error:|ECONNREFUSED|Stream/);
    const page = await timedFetch(`${provider!.issuer}/login?client_id=demo-web`);
    assert.equal(page.res.status, 503, 'an HTML page says so too');
    assert.match(page.text, /Something went wrong/);
    const ready = await timedFetch(`${provider!.issuer}/readyz`);
    assert.equal(ready.res.status, 503);
    assert.equal(JSON.parse(ready.text).store.ok, false);
    const entityReady = await timedFetch(`${entity!.url}/readyz`);
    assert.equal(entityReady.res.status, 503);
    const api = await timedFetch(`${entity!.url}/api/requests`, { headers: { authorization: `Bearer ${'x'.repeat(43)}` } });
    assert.equal(api.res.status, 503);
    assert.equal(JSON.parse(api.text).error, 'temporarily_unavailable');
    const delegation = await timedFetch(`${entity!.url}/ciba/delegation`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        authorization: `Bearer ${await provider!.ctx.keys.sign({ iss: provider!.issuer, aud: provider!.issuer, jti: 'j1', sub: 's', azp: 'demo-bank', exp: Math.floor(Date.now() / 1000) + 60 }, 'ES256')}`,
      },
      body: JSON.stringify({ login_hint: 'alice', scope: 'openid', is_consent_required: false }),
    });
    assert.equal(delegation.res.status, 503);
    for (const [what, r] of Object.entries({ token: t, page, ready, entityReady, api, delegation })) {
      assert.ok(r.ms < 2500, `${what} took ${r.ms} ms`);
    }
    console.log(
      `# redis down: token ${t.ms.toFixed(0)} ms, login page ${page.res.status} in ${page.ms.toFixed(0)} ms, /readyz ${ready.ms.toFixed(0)} ms, entity API ${api.ms.toFixed(0)} ms, delegation ${delegation.ms.toFixed(0)} ms`,
    );

    await redis!.start();
    const started = Date.now();
    while ((await timedFetch(`${provider!.issuer}/readyz`)).res.status !== 200 || (await timedFetch(`${entity!.url}/readyz`)).res.status !== 200) {
      assert.ok(Date.now() - started < 15_000, 'not ready again within 15 s');
      await sleep(100);
    }
    console.log(`# redis back: both ready after ${Date.now() - started} ms`);
    const again = await token();
    assert.equal(again.res.status, 200, again.text);
  });
});
