/**
 * The benchmark in quick mode, once, so its code cannot rot. Asserts that it completes and
 * produces every row (measured or marked "not available"), with its spread, the load of each
 * section, and a readable profile of one row; nothing about speed.
 */
import { test } from '../helpers/node-test.ts';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { formatResults, parseArgs, runBench } from '../../bench/run.ts';
import { abSettings, formatAb, parseVariant, resolveRef, runAb } from '../../bench/ab.ts';
import { execFileSync } from 'node:child_process';
import { roundOrder } from '../../bench/lib/compare.ts';
import { summariseProfile } from '../../bench/lib/profile.ts';
import { fmtSteal, parseProcStat, stealShare } from '../../bench/lib/machine.ts';
import { quietestAttempt, type Attempt, type RunStats } from '../../bench/rows/roundtrip.ts';
import { poolBatches, startFloor } from '../../bench/floor.ts';

/** Why the A/B cannot run here: it checks out commits of this repository's history. */
function noGitCheckout(): string | undefined {
  try {
    execFileSync('git', ['rev-parse', '--verify', '--quiet', 'HEAD'], { stdio: 'ignore' });
    return undefined;
  } catch {
    return 'not a git checkout (or no git): the A/B checks out commits of this repository';
  }
}

test('bench options: rows, aliases and profiles', () => {
  assert.deepEqual(parseArgs(['--profile', 'code']).only, ['code']);
  assert.deepEqual(parseArgs(['--profile=bc-noop']).profile, ['bc']);
  assert.deepEqual(parseArgs(['--only=cc-jwt,token', '--rounds=3']).only, ['cc', 'token']);
  assert.deepEqual(parseArgs(['--only', 'nodes', '--quick']).only, ['nodes']);
  assert.ok(parseArgs([]).only.includes('nodes'), 'a full run includes the nodes row');
  assert.equal(parseArgs(['--rounds', '3']).rounds, 3);
  assert.ok(parseArgs(['--profile=all']).profile!.includes('roundtrip'));
  assert.throws(() => parseArgs(['--profile=nope']), /unknown id nope/);
  assert.deepEqual(roundOrder(3, 2), [0, 1, 2, 2, 1, 0]);
  assert.deepEqual(parseArgs(['--ab=HEAD~1,main']).ab, ['HEAD~1', 'main']);
  assert.deepEqual(parseArgs(['--ab=main@--max-semi-space-size=64,--stack-size=2000,HEAD~1']).ab, ['main@--max-semi-space-size=64,--stack-size=2000', 'HEAD~1']);
  assert.throws(() => parseArgs(['--ab=']), /needs a git ref/);
  assert.deepEqual(parseVariant('HEAD~1'), { ref: 'HEAD~1', nodeFlags: [] });
  assert.deepEqual(parseVariant('main@--max-semi-space-size=64,--stack-size=2000'), { ref: 'main', nodeFlags: ['--max-semi-space-size=64', '--stack-size=2000'] });
  if (!noGitCheckout()) assert.throws(() => resolveRef('no-such-ref-anywhere'), /not a commit of this repository/);
});

test('steal: read from /proc/stat, as a share of the CPU time between two samples', () => {
  const stat = (steal: number, idle: number) => `cpu  100 0 50 ${idle} 5 0 3 ${steal} 0 0\ncpu0 50 0 25 ${idle / 2} 2 0 1 ${steal / 2} 0 0\nintr 1 2\n`;
  const a = parseProcStat(stat(10, 800))!;
  assert.deepEqual(a, { total: 100 + 50 + 800 + 5 + 3 + 10, steal: 10 });
  const b = parseProcStat(stat(60, 1250))!;
  assert.equal(stealShare(a, b), 50 / 500);
  assert.equal(fmtSteal(stealShare(a, b)), 'steal 10.0 %');
  assert.equal(stealShare(a, a), undefined, 'no time passed: unknown, not 0/0');
  assert.equal(stealShare(undefined, b), undefined);
  assert.equal(fmtSteal(undefined), 'steal unknown');
  assert.equal(parseProcStat('cpu  1 2 3 4\n'), undefined, 'an old kernel without the steal column');
  assert.equal(parseProcStat('intr 1 2\n'), undefined);
});

test('round trip: the goals are judged on the attempt with the fastest floor, whatever ours did', () => {
  const runOf = (p50: number) => ({ total: { p50, p99: p50 * 2, max: p50 * 3 } }) as unknown as RunStats;
  const attempt = (floor: number | undefined, ours: number): Attempt => ({
    floor: floor === undefined ? { error: 'no floor' } : { trips: 10, p50: floor, p99: floor * 2, max: floor * 3, cpuPerTrip: { provider: 1, entity: 1, device: 1, client: 1 } },
    sequential: runOf(ours),
    concurrent: runOf(ours),
  });
  assert.equal(quietestAttempt([attempt(5, 4), attempt(3, 9), attempt(4, 2)]), 1, 'the floor decides, not ours');
  assert.equal(quietestAttempt([attempt(undefined, 1), attempt(6, 9)]), 1, 'an attempt with a floor beats one without');
  assert.equal(quietestAttempt([attempt(undefined, 3), attempt(undefined, 1)]), 0, 'no floor anywhere: the first');
  assert.equal(quietestAttempt([attempt(2, 5)]), 0);
});

test('floor batches pool into one run: quantiles over every trip, CPU per trip weighted by trips', () => {
  const batch = (times: number[], provider: number) => ({ trips: times.length, p50: 0, p99: 0, max: 0, cpuPerTrip: { provider, entity: 1, device: 1, client: 1 }, times });
  const pooled = poolBatches([batch([5, 1, 3], 2), batch([2, 4], 7)]);
  assert.deepEqual({ trips: pooled.trips, p50: pooled.p50, max: pooled.max }, { trips: 5, p50: 3, max: 5 });
  assert.equal(pooled.cpuPerTrip.provider, (2 * 3 + 7 * 2) / 5);
  assert.equal(poolBatches([]).trips, 0);
});

test('the floor stays up between batches, each measured on its own, and stops', { timeout: 60_000 }, async () => {
  const floor = await startFloor();
  try {
    const first = await floor.run(5);
    const second = await floor.run(3);
    assert.equal(first.trips, 5);
    assert.equal(second.trips, 3);
    for (const r of [first, second]) {
      assert.ok(r.p50 > 0 && r.p50 <= r.p99 && r.p99 <= r.max, JSON.stringify(r));
      assert.deepEqual(Object.keys(r.cpuPerTrip).sort(), ['client', 'device', 'entity', 'provider']);
      assert.equal(r.times.length, r.trips);
    }
    // Blocks taking turns with ours are pooled into one run: latencies together, CPU per trip over all.
    const pooled = poolBatches([first, second]);
    assert.equal(pooled.trips, 8);
    assert.equal(pooled.max, Math.max(first.max, second.max));
    assert.ok(Math.abs(pooled.cpuPerTrip.provider - (first.cpuPerTrip.provider * 5 + second.cpuPerTrip.provider * 3) / 8) < 1e-9);
  } finally {
    floor.stop();
  }
  await assert.rejects(floor.run(1), /the floor is stopped/);
});

test('quick A/B of the round trip against HEAD, and HEAD with a node flag: every stack measured side by side, the worktrees removed', { timeout: 180_000, skip: noGitCheckout() ?? false }, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'nod-ab-test-'));
  const worktrees = () => execFileSync('git', ['worktree', 'list', '--porcelain'], { encoding: 'utf8' });
  const before = worktrees();
  try {
    // One commit twice, the second with a node flag: two worktrees of one commit side by side.
    const r = await runAb({ refs: ['HEAD', 'HEAD@--max-semi-space-size=32'], ...abSettings(true), log: () => undefined, resultsDir: dir });
    assert.equal(r.variants.length, 3);
    for (const v of r.variants) {
      assert.equal(v.failed, 0, `${v.name}: every trip got its tokens`);
      assert.equal(v.sequential.trips, r.settings.blocks * r.settings.blockTrips, v.name);
      assert.equal(v.blockP50.length, r.settings.blocks);
      assert.equal(v.bursts.length, r.settings.bursts);
      assert.ok(v.cpuSequential.provider > 0 && v.cpuSequential.entity > 0 && v.cpuBurst.entity > 0, `${v.name}: CPU measured`);
    }
    assert.match(r.variants[1]!.name, /^HEAD \([0-9a-f]{7}\)$/);
    assert.match(r.variants[2]!.name, /^HEAD \([0-9a-f]{7}\) --max-semi-space-size=32$/);
    assert.match(formatAb(r), /seq p50 [\d.]+ \(per block min \/ med \/ max /);
    assert.equal(JSON.parse(readFileSync(r.file!, 'utf8')).variants.length, 3);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  assert.equal(worktrees(), before, 'the temporary worktrees are gone');
});

test('quick benchmark completes and produces every row', { timeout: 300_000 }, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'nod-bench-test-'));
  try {
    const r = await runBench({
      quick: true,
      only: ['token', 'ciba', 'roundtrip', 'scale', 'app'],
      profile: ['cc'],
      cpuProf: false,
      verbose: false,
      resultsDir: dir,
    });
    const ids = r.rows.map((row) => row.id);
    for (const id of ['cc-jwt', 'cc-opaque', 'code', 'refresh', 'bc', 'bc-noop', 'poll']) {
      const row = r.rows.find((x) => x.id === id || (x.kind === 'skipped' && id.startsWith(x.id ?? '?')));
      assert.ok(row, `row ${id} is present (have ${ids.join(', ')})`);
    }
    for (const row of r.rows) {
      if (row.kind === 'compare') {
        assert.ok(row.ours.requests > 0, `${row.name}: ours answered`);
        assert.ok(row.theirs && row.theirs.requests > 0, `${row.name}: theirs answered`);
        assert.equal(row.spread?.perRound.length, r.settings.rounds, `${row.name}: one ratio per round`);
      } else {
        assert.ok(row.reason.length > 0, `${row.name}: says why it is not available`);
      }
    }
    for (const section of [r.roundTrip, r.scale, r.app]) assert.ok(section, 'every section is present');
    assert.deepEqual(
      r.sections.map((s) => s.section),
      ['token', 'ciba', 'roundtrip', 'scale', 'app'],
    );
    for (const s of r.sections) assert.equal(s.start.length, 3, `${s.section}: load average at start`);
    // The profiled row: one file per profiled process of each side, each with samples.
    assert.ok(r.profiles.length >= 2, 'profiles of the cc row were written');
    for (const p of r.profiles) {
      assert.ok(existsSync(p.file), p.file);
      assert.ok(summariseProfile(p.file).wallMs > 0, `${p.file} has samples`);
      assert.ok(p.summary && p.summary.selfTop.length > 0, `${p.file} is summarised in the results`);
    }
    const text = formatResults(r);
    assert.match(text, /ours\/theirs/);
    assert.match(text, /per round min \/ med \/ max/);
    assert.match(text, /goals \(issue 15/);
    assert.match(text, /attempt\s+floor p50\s+floor p99\s+steal/, 'the round trip prints its attempts beside the floor and the steal');
    assert.match(text, /load average at start [\d. ]+, at end [\d. ]+, steal (unknown|[\d.]+ %)/, 'each section heading gives the steal');
    assert.match(text, /top functions by self time/);
    const json = JSON.parse(readFileSync(r.file!, 'utf8'));
    assert.equal(json.rows.length, r.rows.length);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
