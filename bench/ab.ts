/**
 * `npm run bench -- --ab=<ref>[,<ref>...]`: the CIBA round trip of this working tree against other
 * commits, side by side in one run: the only comparison this kind of machine allows (a shared
 * 2-core VM whose speed moves by a third within minutes, so two runs minutes apart compare the
 * machine's moods, not the code).
 *
 * Each variant is a whole stack of its own, all alive at once: its checkout's provider and entity
 * (a ref is checked out into a temporary git worktree, removed afterwards), and this checkout's
 * load (client and devices), so the load is the same for every variant. After a warm-up (fresh
 * processes run the trip about twice as slowly until V8 has compiled them), blocks of sequential
 * trips alternate between the variants (A B, B A, ...), then bursts of trips started at once do.
 * Printed per variant: latency, burst time, CPU per trip of provider and entity; and for each ref
 * the working tree's ratios with their spread over the blocks (min / median / max of block i of
 * one over block i of the other), so that a change can be told from noise.
 *
 * `<ref>@<node flags>` runs that variant's provider and entity with those node flags (comma-separated),
 * e.g. `--ab=HEAD@--max-semi-space-size=64` to weigh a V8 setting on the same code.
 *
 * A ref must have this checkout's bench server calls (bench/servers/*.ts: seedUsers,
 * deviceAppToken, upsertClient), as every commit since the round-trip row has.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DELEGATION_PATH } from '../shared/auth-channel.ts';
import { freePort } from '../shared/http/free_port.ts';
import type { TripTimes } from './cd.ts';
import { childTracker, spawnChild, type Child } from './lib/child.ts';
import { EXPIRED_GRACE } from './lib/context.ts';
import { fmtLoad, loadAverage } from './lib/machine.ts';
import { fmt, table } from './lib/table.ts';
import { percentile } from './load.ts';
import { startTripLoad, usersFor, type TripLoad } from './rows/roundtrip.ts';
import type { EntityInfo } from './servers/entity.ts';
import type { NodInfo } from './servers/nod.ts';

const ROOT = fileURLToPath(new URL('..', import.meta.url));

export interface AbOptions {
  /** Git refs to compare the working tree with. */
  readonly refs: readonly string[];
  /** Alternating blocks of sequential trips per variant. */
  readonly blocks: number;
  readonly blockTrips: number;
  /** Alternating bursts per variant, `burstTrips` started at once each. */
  readonly bursts: number;
  readonly burstTrips: number;
  /** Unmeasured bursts per variant first. */
  readonly warmupBursts: number;
  readonly log: (line: string) => void;
  /** Directory for the JSON result (default bench/results). */
  readonly resultsDir?: string;
}

/** The A/B settings of a full run and of --quick (a smoke run: figures not meaningful). */
export function abSettings(quick: boolean, blocks?: number): Omit<AbOptions, 'refs' | 'log' | 'resultsDir'> {
  return quick
    ? { blocks: blocks ?? 2, blockTrips: 10, bursts: 1, burstTrips: 20, warmupBursts: 1 }
    : { blocks: blocks ?? 20, blockTrips: 50, bursts: 6, burstTrips: 1000, warmupBursts: 2 };
}

export interface VariantResult {
  readonly name: string;
  readonly commit: string;
  /** p50 of each sequential block, ms, in block order. */
  readonly blockP50: number[];
  readonly sequential: { readonly trips: number; readonly p50: number; readonly p90: number; readonly p99: number };
  /** Seconds from the first trip started to the last tokens in hand, per burst. */
  readonly bursts: number[];
  /** CPU per trip, ms. */
  readonly cpuSequential: { readonly provider: number; readonly entity: number };
  readonly cpuBurst: { readonly provider: number; readonly entity: number };
  readonly failed: number;
}

export interface AbResults {
  readonly startedAt: string;
  readonly settings: Omit<AbOptions, 'log' | 'resultsDir'>;
  readonly load: { readonly start: readonly number[]; readonly end: readonly number[] };
  readonly variants: VariantResult[];
  readonly file?: string;
}

interface Variant {
  readonly name: string;
  readonly commit: string;
  readonly nod: Child<NodInfo>;
  readonly entity: Child<EntityInfo>;
  readonly load: TripLoad;
  /** Users not yet given a trip (anti-fatigue stays on: 5 trips per user a minute). */
  next: number;
  readonly seq: number[];
  readonly blockP50: number[];
  readonly bursts: number[];
  readonly cpuSeq: { provider: number; entity: number };
  readonly cpuBurst: { provider: number; entity: number };
  failed: number;
}

function git(args: string[]): string {
  return execFileSync('git', ['-C', ROOT, ...args], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }).trim();
}

/** The commit a ref names, or a usage error that says what is wrong. */
export function resolveRef(ref: string): string {
  try {
    return git(['rev-parse', '--verify', '--quiet', `${ref}^{commit}`]);
  } catch {
    throw new TypeError(`--ab: ${ref} is not a commit of this repository (git rev-parse found nothing)`);
  }
}

/** Checks out `commit` into a new temporary worktree (the `n`th: one commit may be two variants, with other flags) that uses this checkout's node_modules; returns its directory. */
function checkout(commit: string, parent: string, n: number): string {
  const dir = join(parent, `${n}-${commit.slice(0, 12)}`);
  git(['worktree', 'add', '--detach', '--quiet', dir, commit]);
  symlinkSync(join(ROOT, 'node_modules'), join(dir, 'node_modules'), 'dir');
  return dir;
}

/** Users per variant: enough for every block and burst. */
function usersNeeded(o: Omit<AbOptions, 'refs' | 'log' | 'resultsDir'>): number {
  return o.blocks * usersFor(o.blockTrips) + (o.bursts + o.warmupBursts) * usersFor(o.burstTrips);
}

/** A ref as given: `<ref>` or `<ref>@<node flags>` (comma-separated, for its provider and entity). */
export function parseVariant(spec: string): { ref: string; nodeFlags: string[] } {
  const at = spec.indexOf('@--');
  if (at < 0) return { ref: spec, nodeFlags: [] };
  return { ref: spec.slice(0, at), nodeFlags: spec.slice(at + 1).split(',').filter(Boolean) };
}

async function startVariant(
  name: string,
  commit: string,
  benchDir: string | undefined,
  nodeFlags: readonly string[],
  users: number,
  track: <T extends Child<unknown>>(p: Promise<T>) => Promise<T>,
): Promise<Variant> {
  const [nodPort, entityPort] = [await freePort('127.0.0.1'), await freePort('127.0.0.1')];
  const issuer = `http://127.0.0.1:${nodPort}`;
  const from = { nodeFlags, ...(benchDir ? { benchDir } : {}) };
  const [entity, nod] = await Promise.all([
    track(spawnChild<EntityInfo>('servers/entity.ts', { port: entityPort, issuer, settledRetention: EXPIRED_GRACE }, from)),
    track(
      spawnChild<NodInfo>(
        'servers/nod.ts',
        { port: nodPort, authChannelUrl: `http://127.0.0.1:${entityPort}${DELEGATION_PATH}`, cibaInterval: 1, expiredRequestGrace: EXPIRED_GRACE },
        from,
      ),
    ),
  ]);
  // The load is this checkout's, whichever the servers are.
  const load = await startTripLoad(nod, entity, <I>(module: string, args: unknown) => track(spawnChild<I>(module, args)), users, 'ab');
  return {
    name,
    commit,
    nod,
    entity,
    load,
    next: 0,
    seq: [],
    blockP50: [],
    bursts: [],
    cpuSeq: { provider: 0, entity: 0 },
    cpuBurst: { provider: 0, entity: 0 },
    failed: 0,
  };
}

/** Runs `count` trips on a variant (sequential or at once) and adds their CPU to `into`; returns the trips. */
async function trips(v: Variant, count: number, concurrent: boolean, into?: { provider: number; entity: number }): Promise<TripTimes[]> {
  const users = v.load.users.slice(v.next, v.next + usersFor(count));
  v.next += users.length;
  const cpu = async () => [(await v.nod.usage()).cpuMicros, (await v.entity.usage()).cpuMicros] as const;
  const before = await cpu();
  const done = await v.load.cd.call<TripTimes[]>('trips', { users, count, concurrent, prefix: `${v.commit.slice(0, 7)}-${v.next}` });
  const after = await cpu();
  if (into) {
    into.provider += (after[0] - before[0]) / 1000;
    into.entity += (after[1] - before[1]) / 1000;
  }
  v.failed += done.filter((t) => !t.ok).length;
  return done;
}

const sorted = (xs: readonly number[]) => [...xs].sort((a, b) => a - b);
const median = (xs: readonly number[]) => percentile(sorted(xs), 50);

/** Runs the A/B and returns (and writes as JSON) its results. */
export async function runAb(options: AbOptions): Promise<AbResults> {
  const { log } = options;
  const commits = options.refs.map(parseVariant).map(({ ref, nodeFlags }) => ({ ref, nodeFlags, commit: resolveRef(ref) }));
  const head = git(['rev-parse', 'HEAD']);
  const dirty = git(['status', '--porcelain', '--untracked-files=no']) !== '';
  const parent = mkdtempSync(join(tmpdir(), 'nod-ab-'));
  const worktrees: string[] = [];
  const { children, track } = childTracker();
  /** Removes the worktrees (synchronous, so that an interrupted run cleans up too, its children killed first). */
  const removeWorktrees = () => {
    for (const dir of worktrees.splice(0)) {
      try {
        git(['worktree', 'remove', '--force', dir]);
      } catch {
        /* removed with its parent below, then pruned */
      }
    }
    rmSync(parent, { recursive: true, force: true });
    git(['worktree', 'prune']);
  };
  const interrupted = (signal: NodeJS.Signals) => {
    for (const c of children) {
      try {
        process.kill(c.pid, 'SIGKILL');
      } catch {
        /* gone already */
      }
    }
    removeWorktrees();
    process.exit(signal === 'SIGINT' ? 130 : 143);
  };
  process.once('SIGINT', interrupted).once('SIGTERM', interrupted);
  const startedAt = new Date().toISOString();
  const settings = { refs: options.refs, blocks: options.blocks, blockTrips: options.blockTrips, bursts: options.bursts, burstTrips: options.burstTrips, warmupBursts: options.warmupBursts };
  try {
    const users = usersNeeded(options);
    const variants: Variant[] = [await startVariant(`working tree (${head.slice(0, 7)}${dirty ? ' + changes' : ''})`, head, undefined, [], users, track)];
    for (const { ref, nodeFlags, commit } of commits) {
      const dir = checkout(commit, parent, worktrees.length);
      worktrees.push(dir);
      log(`${ref}: checked out ${commit.slice(0, 12)} into ${dir}`);
      const flags = nodeFlags.length ? ` ${nodeFlags.join(' ')}` : '';
      variants.push(await startVariant(`${ref} (${commit.slice(0, 7)})${flags}`, commit, join(dir, 'bench'), nodeFlags, users, track));
    }
    log(`${variants.length} stacks up, ${users} devices each`);
    for (let i = 0; i < options.warmupBursts; i++) for (const v of variants) await trips(v, options.burstTrips, true);
    const start = loadAverage();
    const inTurn = (i: number) => (i % 2 ? [...variants].reverse() : variants);
    for (let b = 0; b < options.blocks; b++) {
      for (const v of inTurn(b)) {
        const done = (await trips(v, options.blockTrips, false, v.cpuSeq)).filter((t) => t.ok).map((t) => t.tokensAt - t.startedAt);
        v.seq.push(...done);
        v.blockP50.push(median(done));
      }
    }
    log(`${options.blocks} blocks of ${options.blockTrips} sequential trips done`);
    for (let b = 0; b < options.bursts; b++) {
      for (const v of inTurn(b)) {
        const done = await trips(v, options.burstTrips, true, v.cpuBurst);
        v.bursts.push((Math.max(...done.map((t) => t.tokensAt)) - Math.min(...done.map((t) => t.startedAt))) / 1000);
      }
    }
    const end = loadAverage();
    const seqTrips = options.blocks * options.blockTrips;
    const burstTrips = options.bursts * options.burstTrips;
    const per = (cpu: { provider: number; entity: number }, n: number) => ({ provider: cpu.provider / n, entity: cpu.entity / n });
    const results: AbResults = {
      startedAt,
      settings,
      load: { start, end },
      variants: variants.map((v) => {
        const s = sorted(v.seq);
        return {
          name: v.name,
          commit: v.commit,
          blockP50: v.blockP50,
          sequential: { trips: s.length, p50: percentile(s, 50), p90: percentile(s, 90), p99: percentile(s, 99) },
          bursts: v.bursts,
          cpuSequential: per(v.cpuSeq, seqTrips),
          cpuBurst: per(v.cpuBurst, burstTrips),
          failed: v.failed,
        };
      }),
    };
    const dir = options.resultsDir ?? join(ROOT, 'bench', 'results');
    mkdirSync(dir, { recursive: true });
    const file = join(dir, `ab-${startedAt.replace(/[:.]/g, '-')}.json`);
    writeFileSync(file, JSON.stringify(results, null, 2));
    return { ...results, file };
  } finally {
    process.off('SIGINT', interrupted).off('SIGTERM', interrupted);
    await Promise.all(children.map((c) => c.stop()));
    removeWorktrees();
  }
}

/** min / median / max of the per-pair ratios a[i] / b[i]. */
function spread(a: readonly number[], b: readonly number[]): string {
  const r = sorted(a.map((x, i) => x / b[i]!).filter(Number.isFinite));
  if (!r.length) return '-';
  return `${r[0]!.toFixed(2)} / ${median(r).toFixed(2)} / ${r.at(-1)!.toFixed(2)}`;
}

/** The printed report. */
export function formatAb(r: AbResults): string {
  const s = r.settings;
  const out = [
    `== CIBA round trip A/B — ${r.startedAt} — load average at start ${fmtLoad(r.load.start)}, at end ${fmtLoad(r.load.end)} ==`,
    `each variant: its own provider and entity, this checkout's client and devices, all alive at once; ${s.warmupBursts} × ${fmt.n(s.burstTrips)} trips at once unmeasured, then ${s.blocks} blocks of ${s.blockTrips} sequential trips and ${s.bursts} bursts of ${fmt.n(s.burstTrips)} at once, alternating between the variants (A B, B A, ...)`,
    table([
      ['variant', 'seq p50', 'p90', 'p99', 'burst s (median)', 'CPU/trip seq: provider', 'entity', 'burst: provider', 'entity', 'failed'],
      ...r.variants.map((v) => [
        v.name,
        fmt.ms(v.sequential.p50),
        fmt.ms(v.sequential.p90),
        fmt.ms(v.sequential.p99),
        v.bursts.length ? median(v.bursts).toFixed(2) : '-',
        fmt.ms(v.cpuSequential.provider),
        fmt.ms(v.cpuSequential.entity),
        fmt.ms(v.cpuBurst.provider),
        fmt.ms(v.cpuBurst.entity),
        String(v.failed),
      ]),
    ]),
  ];
  const [tree, ...others] = r.variants;
  for (const o of others) {
    out.push(
      `${tree!.name} / ${o.name}: seq p50 ${(tree!.sequential.p50 / o.sequential.p50).toFixed(2)} (per block min / med / max ${spread(tree!.blockP50, o.blockP50)}), ` +
        `burst ${(median(tree!.bursts) / median(o.bursts)).toFixed(2)} (per burst ${spread(tree!.bursts, o.bursts)}), ` +
        `CPU/trip seq provider ${(tree!.cpuSequential.provider / o.cpuSequential.provider).toFixed(2)} entity ${(tree!.cpuSequential.entity / o.cpuSequential.entity).toFixed(2)}, ` +
        `burst provider ${(tree!.cpuBurst.provider / o.cpuBurst.provider).toFixed(2)} entity ${(tree!.cpuBurst.entity / o.cpuBurst.entity).toFixed(2)} (below 1: the working tree is faster)`,
    );
  }
  if (r.file) out.push(`JSON: ${r.file}`);
  return out.join('\n');
}
