/**
 * Crash consistency under kill -9. The provider and the entity run as two `nod` processes; CIBA
 * requests, device decisions, token polls, refresh-token rotations and enrollments run against
 * them concurrently (workload.ts) while they are SIGKILLed at seeded random moments and
 * restarted on the same data. Afterwards everything Nod acknowledged must still hold, and nothing
 * may have been issued twice. On lowdb, a torn journal tail is written between a kill and its
 * restart: it is dropped with a log line, never a refusal to start. On Redis (skipped where
 * redis-server is not installed) a node is killed, not Redis.
 *
 * Replay a run with its seed: NOD_CRASH_SEED=<seed> node --import tsx --test test/crash/kill9.test.ts
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, it } from '../helpers/node-test.ts';
import { redisMissing, startRedis } from '../helpers/redis-server.ts';
import { Teardown } from '../helpers/teardown.ts';
import { crashSystem, seededRandom, tearJournal, type CrashSystem } from './nodes.ts';
import { Workload } from './workload.ts';

const SEED = process.env.NOD_CRASH_SEED ? Number(process.env.NOD_CRASH_SEED) : Math.floor(Math.random() * 2 ** 31);
console.log(`kill -9 test seed: ${SEED} (replay with NOD_CRASH_SEED=${SEED})`);

/** How long a dead node's claims on queued work last: short, so the restarted node takes the work at once (Redis). */
const WORK_LEASE_MS = 1500;

type Target = 'provider' | 'server';

/**
 * Four kill events in a seeded order: the provider, the entity, both at once (each restarted in
 * parallel), and one more of a seeded pick: five kills or more. With `tearJournals` (lowdb), the
 * first restart of each part finds a torn journal tail.
 */
async function chaos(sys: CrashSystem, tearJournals: boolean, random: () => number): Promise<string[]> {
  const pick = (): Target[][] => [['provider'], ['server'], ['provider', 'server']];
  const events = [...pick(), pick()[Math.floor(random() * 3)]!];
  for (let i = events.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [events[i], events[j]] = [events[j]!, events[i]!];
  }
  const done: string[] = [];
  const torn = new Set<Target>();
  for (const targets of events) {
    await sleep(300 + random() * 1200);
    const parts = targets.map((t) => (t === 'provider' ? sys.provider : sys.entity));
    await Promise.all(parts.map((p) => p.kill()));
    const tear = targets.filter((t) => tearJournals && !torn.has(t));
    for (const t of tear) {
      torn.add(t);
      tearJournal(sys.dataDir, t);
    }
    const started = performance.now();
    const runs = await Promise.all(parts.map((p) => p.start()));
    done.push(`${targets.join('+')}${tear.length ? ` (torn journal: ${tear.join('+')})` : ''} back in ${Math.round(performance.now() - started)} ms`);
    for (const [i, t] of targets.entries()) {
      if (tear.includes(t))
        assert.match(runs[i]!.stdout, /"event":"store\.journal_tail_dropped"/, `${t} restarted without saying it dropped the torn journal tail`);
    }
  }
  assert.ok(torn.size === 2 || !tearJournals);
  return done;
}

async function scenario(storeEnv: NodeJS.ProcessEnv, tearJournals: boolean, teardown: Teardown): Promise<void> {
  const dataDir = teardown.add(mkdtempSync(join(tmpdir(), 'nod-crash-')), (d) => rmSync(d, { recursive: true, force: true }));
  const sys = await crashSystem(dataDir, storeEnv, WORK_LEASE_MS);
  teardown.add(sys.provider, (p) => p.kill());
  teardown.add(sys.entity, (p) => p.kill());
  const phases: string[] = [];
  let at = performance.now();
  const phase = (name: string) => {
    phases.push(`${name} ${Math.round(performance.now() - at)} ms`);
    at = performance.now();
  };
  await Promise.all([sys.provider.start(), sys.entity.start()]);
  phase('nodes up');
  const work = teardown.add(new Workload(sys.issuer, sys.serverUrl, seededRandom(SEED + 1)), (w) => w.stop());
  await work.start();
  phase('first device');
  const kills = await chaos(sys, tearJournals, seededRandom(SEED));
  phase('chaos');
  // Generous: a callback that failed while the provider was down is retried at most 10 s later (callbackRetryMaxMs).
  await work.settle(40_000);
  await work.stop();
  phase('settle');
  const violations = await work.check();
  phase('check');
  const summary = `${storeEnv.NOD_STORE ? 'redis' : 'lowdb'}, seed ${SEED}; ${phases.join(', ')}; kills: ${kills.join(', ')}; ${JSON.stringify(work.stats)}; first errors: ${JSON.stringify(work.errors)}`;
  console.log(summary);
  if (violations.length) {
    // What the parts said about it: their warnings and errors, every run.
    const lines = [sys.provider, sys.entity].flatMap((part) =>
      part.runs.flatMap((run, n) =>
        run.stdout
          .split('\n')
          .filter((l) => /"level":"(warn|error)"/.test(l))
          .map((l) => `${part.command} run ${n + 1}: ${l.slice(0, 400)}`),
      ),
    );
    console.log(lines.slice(-60).join('\n'));
  }
  assert.deepEqual(violations, [], summary);
  // The workload did what it is meant to exercise (or the checks above prove little).
  assert.ok(work.stats.tokens > 0 && work.stats.denied > 0 && work.stats.rotations > 0, summary);
}

// The two stores run at once: most of a run is waiting (restarts, poll intervals, callbacks), and
// on a loaded machine two runs get twice the CPU share of one: 34 s for both at load average 5,
// where one after the other took 60 s.
describe('kill -9 of the provider and the entity', { concurrency: 2 }, () => {
  it('on lowdb loses nothing acknowledged, issues nothing twice, and drops a torn journal tail with a log line', { timeout: 150_000 }, async () => {
    const teardown = new Teardown();
    try {
      await scenario({ NOD_STORE: '' }, true, teardown);
    } finally {
      await teardown.run();
    }
  });

  it('on Redis (a node is killed, not Redis) loses nothing acknowledged and issues nothing twice', {
    skip: redisMissing ?? false,
    timeout: 150_000,
  }, async () => {
    const teardown = new Teardown();
    try {
      const redis = teardown.add(await startRedis(), (r) => r.stop());
      await scenario({ NOD_STORE: redis.url, NOD_STORE_PREFIX: `crash${randomBytes(4).toString('hex')}:` }, false, teardown);
    } finally {
      await teardown.run();
    }
  });
});
