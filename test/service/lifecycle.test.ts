/**
 * Every service of an instance is built with its context and stopped by its close(): opening and
 * closing the provider and the entity 20 times (a CIBA round trip through both in some rounds:
 * delegation, the entity's queued work, auto-approval, callback, poll) leaves no handle that keeps
 * the process alive (process.getActiveResourcesInfo()) and no timer of ours, not even an unref'd
 * one (tracked with async_hooks from where it was made). And no module of provider/ or server/
 * keeps mutable state of its own.
 */
import assert from 'node:assert/strict';
import { createHook } from 'node:async_hooks';
import { once } from 'node:events';
import { readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { startServer } from '../../server/app.ts';
import { test } from '../helpers/node-test.ts';
import { startTestProvider, tempDir, type TestProvider } from '../helpers/provider.ts';
import { freePort } from '../entity/helpers.ts';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const basic = (id: string, secret: string) => `Basic ${Buffer.from(`${id}:${secret}`).toString('base64')}`;

/** Counts of the resources that keep the event loop alive, by type. */
function activeResources(): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const type of process.getActiveResourcesInfo()) counts[type] = (counts[type] ?? 0) + 1;
  return counts;
}

/**
 * Timers made from now on by our code (provider/, server/, shared/) and not yet fired or cleared,
 * ref'd or not, each with where it was made. Timers of AbortSignal.timeout are left out: Node
 * keeps each until it fires, whoever made it.
 */
function trackTimers() {
  const live = new Map<number, string>();
  const ours = new RegExp(`${ROOT}(provider|server|shared)/`);
  const hook = createHook({
    init(id, type) {
      if (type !== 'Timeout') return;
      const stack = new Error().stack ?? '';
      if (ours.test(stack) && !/AbortSignal\.timeout|at timeout \(node:internal\/abort_controller/.test(stack)) live.set(id, stack);
    },
    destroy(id) {
      live.delete(id);
    },
  }).enable();
  return {
    left: () =>
      [...live.values()].map(
        (s) =>
          s
            .split('\n')
            .filter((l) => ours.test(l) && !l.includes('node_modules'))[0]
            ?.trim() ?? s,
      ),
    stop: () => hook.disable(),
  };
}

/** bc-authorize, the entity's automated approval and callback, then the tokens (the first poll after a decision is never slow_down). */
async function cibaRoundTrip(provider: TestProvider): Promise<void> {
  const headers = { 'content-type': 'application/x-www-form-urlencoded', authorization: basic('demo-bank', 'demo-bank-secret') };
  const decided = once(provider.ctx.events, 'backchannel_authentication.decided');
  const started = await fetch(`${provider.issuer}/bc-authorize`, { method: 'POST', headers, body: 'scope=openid&login_hint=alice' });
  assert.equal(started.status, 200, await started.clone().text());
  const { auth_req_id } = (await started.json()) as { auth_req_id: string };
  await decided;
  const res = await fetch(`${provider.issuer}/token`, {
    method: 'POST',
    headers,
    body: `grant_type=${encodeURIComponent('urn:openid:params:grant-type:ciba')}&auth_req_id=${auth_req_id}`,
  });
  assert.equal(res.status, 200, await res.clone().text());
  assert.ok(((await res.json()) as { id_token?: string }).id_token);
}

test('opening and closing the provider and the entity 20 times leaves no handle and no timer behind', { timeout: 240_000 }, async () => {
  const baseline = activeResources();
  const timers = trackTimers();
  try {
    // The same data directories each time (keys, secrets and demo users are made once), as a restarted node finds them.
    const [providerDir, entityDir] = [tempDir('nod-lifecycle-'), tempDir('nod-lifecycle-')];
    try {
      for (let i = 0; i < 20; i++) {
        const port = await freePort();
        const app = `http://127.0.0.1:${port}`;
        const provider = await startTestProvider({
          dataDir: providerDir,
          authChannelUrl: `${app}/ciba/delegation`,
          ciba: { expiresIn: 60, maxExpiresIn: 600, interval: 1 },
        });
        try {
          const entity = await startServer({
            port,
            host: '127.0.0.1',
            url: app,
            dataDir: entityDir,
            trustedIssuers: [provider.issuer],
            demo: true,
            autoApprove: true,
          });
          try {
            if (i % 4 === 0) await cibaRoundTrip(provider);
          } finally {
            await entity.close();
          }
        } finally {
          await provider.close();
        }
      }
    } finally {
      for (const dir of [providerDir, entityDir]) rmSync(dir, { recursive: true, force: true });
    }
    // Connections closed by the servers end on the client's side a moment later.
    const deadline = Date.now() + 5000;
    let now = activeResources();
    while (JSON.stringify(now) !== JSON.stringify(baseline) && Date.now() < deadline) {
      await sleep(50);
      now = activeResources();
    }
    assert.deepEqual(now, baseline, 'resources that keep the process alive, before and after');
    assert.deepEqual(timers.left(), [], 'timers of ours still armed after every close()');
  } finally {
    timers.stop();
  }
});

/** Every .ts file under `dir`, tests excluded. */
function sources(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return sources(path);
    return name.endsWith('.ts') && !name.endsWith('.test.ts') ? [path] : [];
  });
}

/**
 * State of an instance belongs on its context (built and stopped with it); a module variable is
 * shared by every instance of the process and outlives them. Allowed: shared/random.ts's pool of
 * CSPRNG bytes (process-wide by nature, each byte handed out once; no instance owns it).
 */
test('no module of provider/, server/ or shared/ keeps mutable state', () => {
  const ALLOWED = new Set([join('shared', 'random.ts')]);
  const found: string[] = [];
  for (const file of ['provider', 'server', 'shared'].flatMap((dir) => sources(join(ROOT, dir)))) {
    const rel = file.slice(ROOT.length);
    if (ALLOWED.has(rel)) continue;
    readFileSync(file, 'utf8')
      .split('\n')
      .forEach((line, n) => {
        // Top level only (no indentation): a `let`/`var`, or a const holding a Map, Set or WeakMap
        // that is not typed read-only (a lookup table says so with ReadonlySet / ReadonlyMap).
        const collection = /^(export )?const \w+\s*(:[^=]+)?=\s*new (Weak)?(Map|Set)\b/.exec(line);
        if (/^(export )?(let|var) /.test(line) || (collection && !/^:\s*Readonly(Set|Map)</.test(collection[2] ?? '')))
          found.push(`${rel}:${n + 1}: ${line.trim()}`);
      });
  }
  assert.deepEqual(found, []);
});
