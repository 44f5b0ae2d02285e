/**
 * `npm run bench [-- options]`: Nod against panva's oidc-provider, side by side.
 *
 * Starts our provider, oidc-provider, our entity and the load generator, each in its own process
 * on loopback, runs the rows in alternating rounds, prints the table and writes it as JSON to
 * bench/results/<timestamp>.json. Options (README, "Benchmark"):
 *   --quick                     smoke mode: tiny rounds, figures not meaningful
 *   --only=<ids>                sections (token, ciba, roundtrip, scale, app) or rows (cc, code, refresh, bc, poll)
 *   --profile=<ids>|all         CPU-profile these rows (one measured round each) and print where the time went
 *   --rounds=N --duration=S --warmup=S --connections=N
 *   --profile-interval=µs       sampling interval of --profile (default 250)
 *   --cpu-prof                  whole-process `node --cpu-prof` profiles of provider and entity
 *   --silent                    no progress lines
 *   --ab=<ref>[,<ref>...]       instead: the round trip of the working tree against these commits, side by side (bench/ab.ts);
 *                               --rounds=N blocks of sequential trips per variant (default 20), --quick
 */
import { freePort } from '../shared/http/free_port.ts';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { fileURLToPath } from 'node:url';
import { childTracker, spawnChild, type Child, type Usage } from './lib/child.ts';
import { compareSides, type ProfileFile } from './lib/compare.ts';
import { EXPIRED_GRACE, NotAvailable, type BenchContext, type CompareRow, type SkippedRow } from './lib/context.ts';
import { fmtLoad, fmtSteal, loadAverage, stealSample, stealShare } from './lib/machine.ts';
import { formatProfile, summariseProfile } from './lib/profile.ts';
import { fmt, table } from './lib/table.ts';
import type { NodInfo } from './servers/nod.ts';
import type { PanvaInfo } from './servers/panva.ts';
import type { EntityInfo } from './servers/entity.ts';
import { DELEGATION_PATH } from '../shared/auth-channel.ts';
import { clientCredentialsRows } from './rows/token.ts';
import { codeRows } from './rows/code.ts';
import { refreshRows } from './rows/refresh.ts';
import { bcRows, pollRows } from './rows/ciba.ts';
import { roundTrip, printRoundTrip, type RoundTripResult } from './rows/roundtrip.ts';
import { scale, printScale, type ScaleResult } from './rows/scale.ts';
import { appSize, buildDeviceApp, printAppSize, type AppSizeResult } from './rows/app_size.ts';
import { nodes, printNodes, type NodesResult } from './rows/nodes.ts';
import { abSettings, formatAb, runAb } from './ab.ts';

/** Side-by-side rows: id, section, what it measures, and the function that runs it. */
const ROWS = [
  { id: 'cc', section: 'token', title: 'client_credentials', run: clientCredentialsRows },
  { id: 'code', section: 'token', title: 'authorization code exchange', run: codeRows },
  { id: 'refresh', section: 'token', title: 'refresh token rotation', run: refreshRows },
  { id: 'bc', section: 'ciba', title: 'CIBA backchannel authentication request', run: bcRows },
  { id: 'poll', section: 'ciba', title: 'CIBA poll', run: pollRows },
] as const;
const SECTIONS = ['token', 'ciba', 'roundtrip', 'scale', 'app', 'nodes'] as const;
type Section = (typeof SECTIONS)[number];
/** Row ids that are printed as their own line but measured with another row. */
const ALIASES: Record<string, string> = { 'cc-jwt': 'cc', 'cc-opaque': 'cc', 'bc-noop': 'bc' };
/** What --profile can profile. */
export const PROFILABLE = [...ROWS.map((r) => r.id), 'roundtrip'] as const;
const SECTION_TITLES: Record<Section, string> = {
  token: 'Token endpoint',
  ciba: 'CIBA',
  roundtrip: 'CIBA round trip',
  scale: 'Scale: pending CIBA requests',
  app: 'Device app',
  nodes: 'Scaling out: CIBA round trips per second, lowdb in 1 process vs Redis with 1 and 2 workers',
};

export interface BenchOptions {
  readonly quick: boolean;
  /** Sections and row ids to run (default: everything). */
  readonly only: readonly string[];
  /** Row ids to CPU-profile (runs only these, one measured round each unless rounds is given). */
  readonly profile?: readonly string[];
  /** Sampling interval of --profile, µs. */
  readonly profileIntervalUs?: number;
  /** Whole-process CPU profiles (node --cpu-prof) of our provider and entity, in bench/results/prof/. */
  readonly cpuProf: boolean;
  readonly connections?: number;
  readonly duration?: number;
  readonly rounds?: number;
  readonly warmup?: number;
  /** Print progress lines. */
  readonly verbose: boolean;
  /** Directory for the JSON result (default bench/results). */
  readonly resultsDir?: string;
  /** Run the A/B of the round trip against these git refs instead (bench/ab.ts). */
  readonly ab?: readonly string[];
}

export interface SectionLoad {
  readonly section: Section;
  readonly start: readonly number[];
  readonly end: readonly number[];
  readonly seconds: number;
  /** Share (0-1) of the machine's CPU time the hypervisor stole during the section; absent where unknown. */
  readonly steal?: number;
}

export interface BenchResults {
  readonly startedAt: string;
  readonly quick: boolean;
  readonly machine: { readonly cpus: number; readonly model: string; readonly node: string; readonly loadavgBefore: readonly number[] };
  readonly settings: { readonly connections: number; readonly duration: number; readonly rounds: number; readonly warmup: number; readonly order: string };
  readonly persistence: typeof PERSISTENCE;
  readonly sections: SectionLoad[];
  readonly rows: Array<CompareRow | SkippedRow>;
  roundTrip?: RoundTripResult | SkippedRow;
  scale?: ScaleResult | SkippedRow;
  app?: AppSizeResult | SkippedRow;
  nodes?: NodesResult | SkippedRow;
  readonly profiles: ProfileFile[];
  readonly file?: string;
}

/** CIBA poll interval of our provider in this run (config field ciba.interval, NOD_CIBA_INTERVAL). */
const CIBA_INTERVAL = 1;

export const PERSISTENCE = {
  ours: 'lowdb snapshot + append-only journal in a temp data dir, group commit (one fsynced journal append of the changed records per batch; durable responses wait for it); access tokens are JWTs with no write',
  oursSettings: `CIBA poll interval ${CIBA_INTERVAL} s; expired CIBA requests kept ${EXPIRED_GRACE} s past expiry at the provider (300 s in production) and at the entity (600 s) so the sweep is seen within the run; anti-fatigue limit at its default (5 per user per minute), many bench users instead`,
  theirs: "oidc-provider's own in-memory adapter, its LRU raised from 1,000 to 200,000 entries (nothing on disk)",
};

/** Resolves aliases and checks every id; throws a usage error naming the known ones. */
function ids(list: string, allowed: readonly string[], what: string): string[] {
  const out = list
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean)
    .map((s) => ALIASES[s] ?? s);
  for (const id of out) if (!allowed.includes(id)) throw new TypeError(`${what}: unknown id ${id} (known: ${allowed.join(', ')})`);
  return [...new Set(out)];
}

export function parseArgs(argv: readonly string[]): BenchOptions {
  // --name=value or --name value
  const get = (name: string): string | undefined => {
    const i = argv.findIndex((a) => a === `--${name}` || a.startsWith(`--${name}=`));
    if (i < 0) return undefined;
    const a = argv[i]!;
    return a.includes('=') ? a.slice(a.indexOf('=') + 1) : argv[i + 1];
  };
  const num = (name: string) => {
    const v = get(name);
    if (v === undefined) return undefined;
    const n = Number(v);
    if (!(n >= 0)) throw new TypeError(`--${name} must be a number`);
    return n;
  };
  const profileArg = get('profile');
  const profile = profileArg === undefined ? undefined : profileArg === 'all' ? [...PROFILABLE] : ids(profileArg, PROFILABLE, '--profile');
  const abArg = get('ab');
  // Refs are comma-separated, and so are a ref's node flags (`<ref>@--a,--b`): a comma before `--` continues the flags.
  const ab = abArg
    ?.split(/,(?!--)/)
    .map((r) => r.trim())
    .filter(Boolean);
  if (abArg !== undefined && !ab?.length) throw new TypeError('--ab needs a git ref (a commit, branch or tag), e.g. --ab=HEAD~1');
  const onlyArg = get('only');
  const only = onlyArg !== undefined ? ids(onlyArg, [...SECTIONS, ...ROWS.map((r) => r.id)], '--only') : (profile ?? [...SECTIONS]);
  return {
    quick: argv.includes('--quick'),
    only,
    ...(profile ? { profile } : {}),
    profileIntervalUs: num('profile-interval'),
    cpuProf: argv.includes('--cpu-prof'),
    connections: num('connections'),
    duration: num('duration'),
    rounds: num('rounds'),
    warmup: num('warmup'),
    verbose: !argv.includes('--silent'),
    ...(ab ? { ab } : {}),
  };
}

function skipped(name: string, e: unknown, id?: string): SkippedRow {
  const reason = e instanceof NotAvailable ? e.message : `failed: ${(e as Error).message.split('\n')[0]}`;
  return { kind: 'skipped', name, reason, ...(id ? { id } : {}) };
}

/** Runs the benchmark and returns its results (also written as JSON). */
export async function runBench(options: BenchOptions): Promise<BenchResults> {
  const q = options.quick;
  const profiling = (options.profile?.length ?? 0) > 0;
  const wanted = (id: string, section: Section) => options.only.includes(id) || options.only.includes(section);
  const settings = {
    connections: options.connections ?? (q ? 10 : 50),
    duration: options.duration ?? (q ? 1 : 5),
    rounds: options.rounds ?? (profiling || q ? 1 : 6),
    warmup: options.warmup ?? (q ? 0 : 2),
    order: '',
  };
  settings.order = `${settings.rounds} round(s) per side, side order reversed every other round (A B, B A, ... or A B C, C B A, ...)${settings.warmup ? `, after an unmeasured ${settings.warmup} s warm-up of each side` : ''}`;
  const log = (m: string) => {
    if (options.verbose) console.error(`[bench] ${m}`);
  };
  const results: BenchResults = {
    startedAt: new Date().toISOString(),
    quick: q,
    machine: { cpus: cpus().length, model: cpus()[0]?.model ?? '?', node: process.version, loadavgBefore: loadAverage() },
    settings,
    persistence: PERSISTENCE,
    sections: [],
    rows: [],
    profiles: [],
  };
  const resultsDir = options.resultsDir ?? fileURLToPath(new URL('./results', import.meta.url));
  const profDir = `${resultsDir}/prof`;
  const profileDir = `${resultsDir}/profiles/${results.startedAt.replace(/[:.]/g, '-')}`;
  const { children, track } = childTracker();
  let appDirToRemove: string | undefined;
  const section = async (name: Section, body: () => Promise<void>) => {
    const start = loadAverage();
    const [t0, steal0] = [performance.now(), stealSample()];
    log(`== ${SECTION_TITLES[name]}: load average ${fmtLoad(start)}`);
    await body();
    const steal = stealShare(steal0, stealSample());
    results.sections.push({ section: name, start, end: loadAverage(), seconds: (performance.now() - t0) / 1000, ...(steal !== undefined ? { steal } : {}) });
  };
  try {
    // Whole deployments of their own: run first, before the other sections' processes exist.
    if (wanted('nodes', 'nodes'))
      await section('nodes', async () => {
        const nodesCtx = {
          quick: q,
          rounds: options.rounds ?? (q ? 1 : 4),
          log,
          spawn: <I>(module: string, args: unknown) => track(spawnChild<I>(module, args)),
        };
        results.nodes = await nodes(nodesCtx).catch((e) => skipped('Scaling out', e));
      });
    if (options.only.every((id) => id === 'nodes')) return writeResults(results, resultsDir, q);
    const nodFlags = options.cpuProf ? ['--cpu-prof', `--cpu-prof-dir=${profDir}`] : [];
    let appDir: string | undefined, appError: string | undefined;
    if (options.only.includes('app')) {
      appDir = await buildDeviceApp().catch((e: Error) => {
        appError = e.message.split('\n')[0];
        return undefined;
      });
      if (appDir) log(`device app built into ${appDir}`);
      appDirToRemove = appDir;
    }
    // The providers and the entity must know each other's URL before any starts.
    const [nodPort, entityPort, panvaPort] = [await freePort('127.0.0.1'), await freePort('127.0.0.1'), await freePort('127.0.0.1')];
    const nodIssuer = `http://127.0.0.1:${nodPort}`;
    const panvaIssuer = `http://127.0.0.1:${panvaPort}`;
    const delegationUrl = `http://127.0.0.1:${entityPort}${DELEGATION_PATH}`;
    const entityP = track(
      spawnChild<EntityInfo>(
        'servers/entity.ts',
        { port: entityPort, issuer: nodIssuer, alsoTrusted: [panvaIssuer], settledRetention: EXPIRED_GRACE, ...(appDir ? { appDir } : {}) },
        { nodeFlags: nodFlags },
      ),
    ).catch((e: Error) => e);
    const [load, nod, panva, entity] = await Promise.all([
      track(spawnChild<unknown>('load.ts', {})),
      track(
        spawnChild<NodInfo>(
          'servers/nod.ts',
          { port: nodPort, authChannelUrl: delegationUrl, cibaInterval: CIBA_INTERVAL, expiredRequestGrace: EXPIRED_GRACE },
          { nodeFlags: nodFlags },
        ),
      ),
      track(spawnChild<PanvaInfo>('servers/panva.ts', { port: panvaPort, delegationUrl })),
      entityP,
    ]);
    log(
      `ours ${nod.info.issuer} (pid ${nod.pid}), theirs ${panva.info.issuer} (pid ${panva.pid}), load pid ${load.pid}` +
        (entity instanceof Error ? `, entity failed: ${entity.message.split('\n')[0]}` : `, entity ${entity.info.url} (pid ${entity.pid})`),
    );
    // CPU time of every benchmark process: the last known figure of a child that has gone.
    const lastUsage = new Map<Child<unknown>, number>();
    const ownCpu = async () => {
      let sum = 0;
      for (const c of children) {
        const u = await c.usage().then(
          (x: Usage) => x.cpuMicros,
          () => lastUsage.get(c) ?? 0,
        );
        lastUsage.set(c, u);
        sum += u;
      }
      const self = process.cpuUsage();
      return sum + self.user + self.system;
    };
    const profileFor = (row: string) => (options.profile?.includes(row) ? { dir: profileDir, intervalUs: options.profileIntervalUs ?? 250 } : undefined);
    const ctx: BenchContext = {
      quick: q,
      ...settings,
      load,
      nod,
      panva,
      log,
      appDir,
      appError,
      ...(entity instanceof Error ? { entityError: entity.message.split('\n')[0] } : { entity }),
      spawn: <I>(module: string, args: unknown) => track(spawnChild<I>(module, args)),
      ownCpu,
      profiling: profileFor,
      profiles: results.profiles,
      compare: async (row, sides) => {
        const profile = profileFor(row);
        const { results: r, profiles } = await compareSides(sides, {
          load,
          rounds: settings.rounds,
          duration: settings.duration,
          warmup: settings.warmup,
          ownCpu,
          ...(profile ? { profile: { ...profile, row } } : {}),
        });
        results.profiles.push(...profiles);
        return r;
      },
    };

    for (const s of ['token', 'ciba'] as const) {
      const rows = ROWS.filter((r) => r.section === s && wanted(r.id, s));
      if (!rows.length) continue;
      await section(s, async () => {
        for (const row of rows) {
          try {
            const store = await nod.call<{ records: number; fileBytes: number }>('storeStats');
            const oursStoreAtStart = { records: store.records, fileBytes: store.fileBytes };
            results.rows.push(...(await row.run(ctx)).map((r) => ({ ...r, oursStoreAtStart })));
          } catch (e) {
            results.rows.push(skipped(row.title, e, row.id));
          }
        }
      });
    }
    if (wanted('roundtrip', 'roundtrip'))
      await section('roundtrip', async () => {
        results.roundTrip = await roundTrip(ctx).catch((e) => skipped('CIBA round trip', e));
      });
    if (wanted('scale', 'scale'))
      await section('scale', async () => {
        results.scale = await scale(ctx).catch((e) => skipped('Scale: 10,000 pending CIBA requests', e));
      });
    if (wanted('app', 'app'))
      await section('app', async () => {
        results.app = await appSize(ctx).catch((e) => skipped('Device app size', e));
      });
  } finally {
    await Promise.all(children.map((c) => c.stop()));
    if (appDirToRemove) rmSync(appDirToRemove, { recursive: true, force: true });
  }
  return writeResults(results, resultsDir, q);
}

/** Summarises the profiles and writes the results as JSON; returns them with the file's path. */
function writeResults(results: BenchResults, resultsDir: string, q: boolean): BenchResults {
  for (const p of results.profiles) {
    try {
      p.summary = summariseProfile(p.file, p.process === 'oidc-provider' ? 8 : 15);
    } catch (e) {
      p.error = (e as Error).message;
    }
  }
  mkdirSync(resultsDir, { recursive: true });
  const file = `${resultsDir}/${results.startedAt.replace(/[:.]/g, '-')}${q ? '-quick' : ''}.json`;
  writeFileSync(file, JSON.stringify(results, null, 2));
  return { ...results, file };
}

const spreadText = (row: CompareRow) => (row.spread ? `${fmt.ratio(row.spread.min)} / ${fmt.ratio(row.spread.median)} / ${fmt.ratio(row.spread.max)}` : '-');

/** Cores other processes used: the mean over both sides' rounds, and the worst round. */
function othersText(row: CompareRow): string {
  const sides = [row.ours, ...(row.theirs ? [row.theirs] : [])];
  const rounds = sides.flatMap((s) => s.rounds);
  const mean = rounds.reduce((s, r) => s + r.othersCores, 0) / rounds.length;
  return `${mean.toFixed(2)} (${Math.max(...rounds.map((r) => r.othersCores)).toFixed(2)})`;
}

function rowsTable(rows: ReadonlyArray<CompareRow | SkippedRow>, notes: string[]): string {
  const head = [
    'row',
    'ours req/s',
    'p50 ms',
    'p99 ms',
    'err',
    'cpu µs/req',
    'theirs req/s',
    'p50 ms',
    'p99 ms',
    'err',
    'cpu µs/req',
    'ours/theirs',
    'per round min / med / max',
    'others cores',
  ];
  const lines: string[][] = [head];
  for (const row of rows) {
    if (row.kind === 'skipped') {
      lines.push([row.name, 'not available', ...head.slice(2).map(() => '')]);
      notes.push(`${row.name}: ${row.reason}`);
      continue;
    }
    const o = row.ours,
      t = row.theirs;
    lines.push([
      `${row.name} [${row.id}]`,
      fmt.n(o.rps),
      fmt.ms(o.p50),
      fmt.ms(o.p99),
      fmt.n(o.errors),
      fmt.n(o.cpuMicrosPerReq),
      t ? fmt.n(t.rps) : '-',
      t ? fmt.ms(t.p50) : '-',
      t ? fmt.ms(t.p99) : '-',
      t ? fmt.n(t.errors) : '-',
      t ? fmt.n(t.cpuMicrosPerReq) : '-',
      fmt.ratio(row.ratio),
      spreadText(row),
      othersText(row),
    ]);
    const store = row.oursStoreAtStart
      ? `ours' store at the row's start: ${fmt.n(row.oursStoreAtStart.records)} records, ${row.oursStoreAtStart.fileBytes < 1024 * 1024 ? fmt.kb(row.oursStoreAtStart.fileBytes) : fmt.mb(row.oursStoreAtStart.fileBytes)} on disk`
      : '';
    if (row.note || store) notes.push(`[${row.id}] ${[row.note?.replace(/\.$/, ''), store].filter(Boolean).join('; ')}`);
  }
  return table(lines);
}

/** The printed report. */
export function formatResults(r: BenchResults): string {
  const out: string[] = [];
  out.push(`Nod vs oidc-provider — ${r.startedAt}${r.quick ? ' (QUICK smoke mode: figures are not meaningful)' : ''}`);
  out.push(`machine: ${r.machine.cpus} x ${r.machine.model}, node ${r.machine.node}, load average before ${fmtLoad(r.machine.loadavgBefore)}`);
  out.push(`load: autocannon in its own process, ${r.settings.connections} connections, ${r.settings.duration} s per round; ${r.settings.order}`);
  out.push(`persists — ours: ${r.persistence.ours}`);
  out.push(`         — theirs: ${r.persistence.theirs}`);
  out.push(`ours, bench settings: ${r.persistence.oursSettings}`);
  out.push(
    "ratios: ours/theirs is the ratio of the mean req/s; beside it the min / median / max of the per-round ratios (round i of ours over round i of theirs). 'others cores': CPU used by processes outside the benchmark during the rounds, mean (worst round), in cores of the machine's " +
      `${r.machine.cpus}.`,
  );
  const loadOf = (s: Section) => {
    const l = r.sections.find((x) => x.section === s);
    return l ? ` — load average at start ${fmtLoad(l.start)}, at end ${fmtLoad(l.end)}, ${fmtSteal(l.steal)} (${l.seconds.toFixed(0)} s)` : '';
  };
  for (const s of ['token', 'ciba'] as const) {
    const rows = r.rows.filter((row) => ROWS.find((x) => x.id === (ALIASES[row.id ?? ''] ?? row.id))?.section === s);
    if (!rows.length) continue;
    const notes: string[] = [];
    out.push('', `== ${SECTION_TITLES[s]}${loadOf(s)} ==`, rowsTable(rows, notes));
    if (notes.length) out.push(...notes.map((n) => `  * ${n}`));
  }
  for (const [name, section, print] of [
    ['roundtrip', r.roundTrip, printRoundTrip],
    ['scale', r.scale, printScale],
    ['app', r.app, printAppSize],
    ['nodes', r.nodes, printNodes],
  ] as const) {
    if (!section) continue;
    out.push('', `== ${SECTION_TITLES[name]}${loadOf(name)} ==`);
    if ('kind' in section && section.kind === 'skipped') out.push(`not available: ${section.reason}`);
    else out.push((print as (x: unknown) => string)(section));
  }
  if (r.profiles.length) {
    out.push('', '== CPU profiles (one measured round of each side; busy = not idle; TypeScript lines mapped to the source) ==');
    for (const p of r.profiles) {
      const name = p.file.split('/').pop()!.replace('.cpuprofile', '');
      out.push(p.summary ? formatProfile(p.summary, name) : `-- ${name}: not summarised: ${p.error ?? '?'}`);
    }
  }
  if (r.file) out.push('', `JSON: ${r.file}`);
  return out.join('\n');
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  let options: BenchOptions;
  try {
    options = parseArgs(process.argv.slice(2));
  } catch (e) {
    console.error(`npm run bench: ${(e as Error).message}`);
    process.exit(2);
  }
  if (options.ab) {
    const ab = await runAb({
      refs: options.ab,
      ...abSettings(options.quick, options.rounds),
      log: (m) => options.verbose && console.error(`[bench] ${m}`),
    }).catch((e: Error) => {
      console.error(`npm run bench -- --ab: ${e.message}`);
      process.exit(1);
    });
    console.log(formatAb(ab));
  } else {
    const results = await runBench(options);
    console.log(formatResults(results));
  }
}
