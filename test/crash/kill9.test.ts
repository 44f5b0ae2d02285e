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

interface Plan {
  /** Kills of the provider and of the entity, in a seeded order. */
  readonly provider: number;
  readonly entity: number;
  /** Write a torn journal tail before the first restart of each (lowdb only). */
  readonly tearJournals: boolean;
}

/** Kills and restarts the parts at seeded random moments while the workload runs; returns what it did. */
async function chaos(sys: CrashSystem, plan: Plan, random: () => number): Promise<string[]> {
  const order = [...Array<'provider'>(plan.provider).fill('provider'), ...Array<'server'>(plan.entity).fill('server')];
  for (let i = order.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [order[i], order[j]] = [order[j]!, order[i]!];
  }
  const done: string[] = [];
  const torn = new Set<string>();
  for (const which of order) {
    await sleep(400 + random() * 1600);
    const part = which === 'provider' ? sys.provider : sys.entity;
    await part.kill();
    const tear = plan.tearJournals && !torn.has(which);
    if (tear) {
      torn.add(which);
      tearJournal(sys.dataDir, which);
    }
    const started = performance.now();
    const run = await part.start();
    done.push(`${which}${tear ? ' (torn journal)' : ''} back in ${Math.round(performance.now() - started)} ms`);
    if (tear) assert.match(run.stdout, /"event":"store\.journal_tail_dropped"/, `${which} restarted without saying it dropped the torn journal tail`);
  }
  return done;
}

async function scenario(storeEnv: NodeJS.ProcessEnv, plan: Plan, teardown: Teardown): Promise<void> {
  const dataDir = teardown.add(mkdtempSync(join(tmpdir(), 'nod-crash-')), (d) => rmSync(d, { recursive: true, force: true }));
  const sys = await crashSystem(dataDir, storeEnv, WORK_LEASE_MS);
  teardown.add(sys.provider, (p) => p.kill());
  teardown.add(sys.entity, (p) => p.kill());
  await Promise.all([sys.provider.start(), sys.entity.start()]);
  const work = teardown.add(new Workload(sys.issuer, sys.serverUrl, seededRandom(SEED + 1)), (w) => w.stop());
  await work.start();
  const kills = await chaos(sys, plan, seededRandom(SEED));
  await work.settle(20_000);
  await work.stop();
  const violations = await work.check();
  const summary = `seed ${SEED}; kills: ${kills.join(', ')}; ${JSON.stringify(work.stats)}; first errors: ${JSON.stringify(work.errors)}`;
  console.log(summary);
  assert.deepEqual(violations, [], summary);
  // The workload did what it is meant to exercise (or the checks above prove little).
  assert.ok(work.stats.tokens > 0 && work.stats.denied > 0 && work.stats.rotations > 0, summary);
}

describe('kill -9 of the provider and the entity', () => {
  it('on lowdb loses nothing acknowledged, issues nothing twice, and drops a torn journal tail with a log line', { timeout: 150_000 }, async () => {
    const teardown = new Teardown();
    try {
      await scenario({ NOD_STORE: '' }, { provider: 3, entity: 3, tearJournals: true }, teardown);
    } finally {
      await teardown.run();
    }
  });

  it('on Redis (a node is killed, not Redis) loses nothing acknowledged and issues nothing twice', { skip: redisMissing ?? false, timeout: 150_000 }, async () => {
    const teardown = new Teardown();
    try {
      const redis = teardown.add(await startRedis(), (r) => r.stop());
      await scenario({ NOD_STORE: redis.url, NOD_STORE_PREFIX: `crash${randomBytes(4).toString('hex')}:` }, { provider: 3, entity: 2, tearJournals: false }, teardown);
    } finally {
      await teardown.run();
    }
  });
});
