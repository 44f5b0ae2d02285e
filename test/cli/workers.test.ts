/**
 * `nod start --workers N` as an operator runs it: refused with a clear message on the embedded
 * store; on Redis (a real redis-server on a free port) N workers serve both ports, a CIBA round
 * trip goes through them, a worker that dies is replaced, and SIGTERM stops them all. The Redis
 * part is skipped, with the install command, where redis-server is not installed.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { CIBA_GRANT_TYPE } from '../../shared/constants.ts';
import { after, describe, it } from '../helpers/node-test.ts';
import { redisMissing, startRedis, type TestRedis } from '../helpers/redis-server.ts';
import { loopbackSystem, NodProcess, runNod } from './helpers.ts';

const basic = `Basic ${Buffer.from('demo-bank:demo-bank-secret').toString('base64')}`;
const form = { 'content-type': 'application/x-www-form-urlencoded', authorization: basic };

/** The pids of the workers started so far, from the primary's `cluster.worker_started` log lines. */
const workerPids = (stdout: string) => [...stdout.matchAll(/"event":"cluster\.worker_started".*?"pid":(\d+)/g)].map((m) => Number(m[1]));
const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

describe('nod start --workers', () => {
  it('is refused on the embedded store, saying what to set', async () => {
    const exit = await runNod(['start', '--workers', '2'], { NOD_STORE: '' });
    assert.equal(exit.code, 2);
    assert.match(exit.stderr, /--workers needs a store every worker shares: set NOD_STORE=redis:\/\//);
    assert.equal((await runNod(['start', '--workers', 'two'], { NOD_STORE: 'redis://127.0.0.1:1' })).code, 2);
  });

  describe('on Redis', { skip: redisMissing ?? false }, () => {
    let redis: TestRedis | undefined;
    let nod: NodProcess | undefined;
    const dataDir = mkdtempSync(join(tmpdir(), 'nod-workers-'));
    after(async () => {
      nod?.kill('SIGKILL');
      await nod?.exited;
      for (const pid of workerPids(nod?.stdout ?? '')) if (alive(pid)) process.kill(pid, 'SIGKILL');
      await redis?.stop();
      rmSync(dataDir, { recursive: true, force: true });
    });

    it('serves both ports with 2 workers, replaces a dead worker, and stops them all on SIGTERM', { timeout: 150_000 }, async () => {
      redis = await startRedis();
      const { issuer, env } = await loopbackSystem(dataDir);
      nod = new NodProcess(['start', '--workers', '2'], {
        ...env,
        NOD_STORE: redis.url,
        NOD_STORE_PREFIX: `w${randomBytes(4).toString('hex')}:`,
        NOD_DEMO: '1',
        NOD_AUTO_APPROVE: '1',
        NOD_CIBA_INTERVAL: '1',
        NOD_LOG_LEVEL: 'info',
        NOD_LOG_FORMAT: 'json',
      });
      await nod.waitFor(/2 workers \(node:cluster\)/, 90_000);
      assert.equal(nod.stdout.match(/Stop: Ctrl-C/g)?.length, 1, 'one banner');
      // Both workers serve (each logs server.started once its two parts listen).
      await nod.waitFor(/"event":"server\.started"[\s\S]*"event":"server\.started"/, 60_000);

      // A CIBA round trip through the workers (the demo entity approves by itself).
      const started = await fetch(`${issuer}/bc-authorize`, { method: 'POST', headers: form, body: 'scope=openid&login_hint=alice' });
      assert.equal(started.status, 200, await started.clone().text());
      const { auth_req_id } = (await started.json()) as { auth_req_id: string };
      let tokens: { id_token?: string; error?: string } = {};
      for (let i = 0; i < 20 && !tokens.id_token; i++) {
        await sleep(1100);
        const res = await fetch(`${issuer}/token`, {
          method: 'POST',
          headers: form,
          body: `grant_type=${encodeURIComponent(CIBA_GRANT_TYPE)}&auth_req_id=${auth_req_id}`,
        });
        tokens = (await res.json()) as typeof tokens;
        assert.ok(tokens.id_token || tokens.error === 'authorization_pending', JSON.stringify(tokens));
      }
      assert.ok(tokens.id_token, 'tokens after the automated approval');

      // A worker killed outright is replaced, and the ports keep answering meanwhile.
      const [first] = workerPids(nod.stdout);
      process.kill(first!, 'SIGKILL');
      await nod.waitFor(/"event":"cluster\.worker_died"/, 20_000);
      await nod.waitFor(/"worker":3,"pid":\d+/, 20_000);
      // (A kept-alive connection to the killed worker may be reused once and fail: a client retries it.)
      const discovery = await fetch(`${issuer}/.well-known/openid-configuration`).catch(() => fetch(`${issuer}/.well-known/openid-configuration`));
      assert.equal(discovery.status, 200);

      nod.kill('SIGTERM');
      const exit = await nod.exited;
      assert.equal(exit.code, 0, exit.stderr);
      const pids = workerPids(exit.stdout);
      assert.equal(pids.length, 3);
      for (let i = 0; i < 50 && pids.some(alive); i++) await sleep(100);
      assert.deepEqual(pids.filter(alive), [], 'no worker outlives the primary');
      assert.doesNotMatch(exit.stdout, /cluster\.worker_died.*"worker":[23]/, 'no worker restarted while stopping');
    });
  });
});
