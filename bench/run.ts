/**
 * `npm run bench [-- --quick] [-- --only=token,ciba,roundtrip,scale,app] [-- --cpu-prof]`
 *
 * Starts our provider, panva's oidc-provider, the entity and the load generator, each in its own
 * process on loopback, runs the rows, prints the table and writes it as JSON to
 * bench/results/<timestamp>.json.
 */
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { fileURLToPath } from 'node:url';
import { spawnChild, type Child } from './lib/child.ts';
import { EXPIRED_GRACE, NotAvailable, type BenchContext, type CompareRow, type SkippedRow } from './lib/context.ts';
import { fmt, table } from './lib/table.ts';
import type { NodInfo } from './servers/nod.ts';
import type { PanvaInfo } from './servers/panva.ts';
import type { EntityInfo } from './servers/entity.ts';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { DELEGATION_PATH } from '../shared/auth-channel.ts';
import { tokenRows } from './rows/token.ts';
import { cibaRows } from './rows/ciba.ts';
import { roundTrip, printRoundTrip, type RoundTripResult } from './rows/roundtrip.ts';
import { scale, printScale, type ScaleResult } from './rows/scale.ts';
import { appSize, buildDeviceApp, printAppSize, type AppSizeResult } from './rows/app_size.ts';

const SECTIONS = ['token', 'ciba', 'roundtrip', 'scale', 'app'] as const;
type Section = (typeof SECTIONS)[number];

export interface BenchOptions {
  readonly quick: boolean;
  readonly only: readonly Section[];
  /** Write CPU profiles of our provider and entity processes to bench/results/prof/. */
  readonly cpuProf: boolean;
  readonly connections?: number;
  readonly duration?: number;
  /** Print progress lines. */
  readonly verbose: boolean;
  /** Directory for the JSON result (default bench/results). */
  readonly resultsDir?: string;
}

export interface BenchResults {
  readonly startedAt: string;
  readonly quick: boolean;
  readonly machine: { readonly cpus: number; readonly model: string; readonly node: string; readonly loadavgBefore: readonly number[] };
  readonly settings: { readonly connections: number; readonly duration: number; readonly rounds: number; readonly warmup: number; readonly order: string };
  readonly persistence: typeof PERSISTENCE;
  readonly rows: Array<CompareRow | SkippedRow>;
  roundTrip?: RoundTripResult | SkippedRow;
  scale?: ScaleResult | SkippedRow;
  app?: AppSizeResult | SkippedRow;
  readonly file?: string;
}

/** CIBA poll interval of our provider in this run (config field ciba.interval, NOD_CIBA_INTERVAL). */
const CIBA_INTERVAL = 1;

export const PERSISTENCE = {
  ours: 'lowdb snapshot + append-only journal in a temp data dir, group commit (one fsynced journal append of the changed records per batch; durable responses wait for it); access tokens are JWTs with no write',
  oursSettings: `CIBA poll interval ${CIBA_INTERVAL} s; expired CIBA requests kept ${EXPIRED_GRACE} s past expiry at the provider (300 s in production) and at the entity (600 s) so the sweep is seen within the run; anti-fatigue limit at its default (5 per user per minute), many bench users instead`,
  theirs: "oidc-provider's in-memory development adapter (LRU of 1,000 entries, nothing on disk)",
};

async function freePort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((resolve) => s.listen(0, '127.0.0.1', resolve));
  const { port } = s.address() as AddressInfo;
  await new Promise<void>((resolve) => s.close(() => resolve()));
  return port;
}

function parseArgs(argv: readonly string[]): BenchOptions {
  const get = (name: string) => argv.find((a) => a.startsWith(`--${name}=`))?.split('=')[1];
  const only = get('only')
    ?.split(',')
    .filter((s): s is Section => (SECTIONS as readonly string[]).includes(s)) ?? [...SECTIONS];
  return {
    quick: argv.includes('--quick'),
    only,
    cpuProf: argv.includes('--cpu-prof'),
    connections: get('connections') ? Number(get('connections')) : undefined,
    duration: get('duration') ? Number(get('duration')) : undefined,
    verbose: !argv.includes('--silent'),
  };
}

function skipped(name: string, e: unknown): SkippedRow {
  const reason = e instanceof NotAvailable ? e.message : `failed: ${(e as Error).message.split('\n')[0]}`;
  return { kind: 'skipped', name, reason };
}

/** Runs the benchmark and returns its results (also written as JSON). */
export async function runBench(options: BenchOptions): Promise<BenchResults> {
  const q = options.quick;
  const settings = {
    connections: options.connections ?? (q ? 10 : 50),
    duration: options.duration ?? (q ? 1 : 8),
    rounds: q ? 1 : 2,
    warmup: q ? 0 : 2,
    order: q ? 'A B' : 'A B B A (after an unmeasured warm-up of each)',
  };
  const log = (m: string) => {
    if (options.verbose) console.error(`[bench] ${m}`);
  };
  const results: BenchResults = {
    startedAt: new Date().toISOString(),
    quick: q,
    machine: { cpus: cpus().length, model: cpus()[0]?.model ?? '?', node: process.version, loadavgBefore: loadavg().map((x) => Math.round(x * 100) / 100) },
    settings,
    persistence: PERSISTENCE,
    rows: [],
  };
  const resultsDir = options.resultsDir ?? fileURLToPath(new URL('./results/', import.meta.url));
  const profDir = `${resultsDir}/prof`;
  const children: Child<unknown>[] = [];
  let appDirToRemove: string | undefined;
  try {
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
    // The provider and the entity must know each other's URL before either starts.
    const [nodPort, entityPort] = [await freePort(), await freePort()];
    const track = <T extends Child<unknown>>(p: Promise<T>) =>
      p.then((c) => {
        children.push(c);
        return c;
      });
    const entityP = track(
      spawnChild<EntityInfo>(
        'servers/entity.ts',
        { port: entityPort, issuer: `http://127.0.0.1:${nodPort}`, settledRetention: EXPIRED_GRACE, ...(appDir ? { appDir } : {}) },
        { nodeFlags: nodFlags },
      ),
    ).catch((e: Error) => e);
    const [load, nod, panva, entity] = await Promise.all([
      track(spawnChild<unknown>('load.ts', {})),
      track(
        spawnChild<NodInfo>(
          'servers/nod.ts',
          {
            port: nodPort,
            authChannelUrl: `http://127.0.0.1:${entityPort}${DELEGATION_PATH}`,
            cibaInterval: CIBA_INTERVAL,
            expiredRequestGrace: EXPIRED_GRACE,
          },
          { nodeFlags: nodFlags },
        ),
      ),
      track(spawnChild<PanvaInfo>('servers/panva.ts', {})),
      entityP,
    ]);
    log(
      `ours ${nod.info.issuer} (pid ${nod.pid}), theirs ${panva.info.issuer} (pid ${panva.pid}), load pid ${load.pid}` +
        (entity instanceof Error ? `, entity failed: ${entity.message.split('\n')[0]}` : `, entity ${entity.info.url} (pid ${entity.pid})`),
    );
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
    };

    if (options.only.includes('token')) {
      try {
        results.rows.push(...(await tokenRows(ctx)));
      } catch (e) {
        results.rows.push(skipped('client_credentials', e));
      }
    }
    if (options.only.includes('ciba')) {
      try {
        results.rows.push(...(await cibaRows(ctx)));
      } catch (e) {
        results.rows.push(skipped('CIBA backchannel request and poll', e));
      }
    }
    if (options.only.includes('roundtrip')) {
      try {
        results.roundTrip = await roundTrip(ctx);
      } catch (e) {
        results.roundTrip = skipped('CIBA round trip', e);
      }
    }
    if (options.only.includes('scale')) {
      try {
        results.scale = await scale(ctx);
      } catch (e) {
        results.scale = skipped('Scale: 10,000 pending CIBA requests', e);
      }
    }
    if (options.only.includes('app')) {
      try {
        results.app = await appSize(ctx);
      } catch (e) {
        results.app = skipped('Device app size', e);
      }
    }
  } finally {
    await Promise.all(children.map((c) => c.stop()));
    if (appDirToRemove) rmSync(appDirToRemove, { recursive: true, force: true });
  }
  mkdirSync(resultsDir, { recursive: true });
  const file = `${resultsDir}/${results.startedAt.replace(/[:.]/g, '-')}${q ? '-quick' : ''}.json`;
  writeFileSync(file, JSON.stringify(results, null, 2));
  return { ...results, file };
}

/** The printed report. */
export function formatResults(r: BenchResults): string {
  const out: string[] = [];
  out.push(`Nod vs oidc-provider — ${r.startedAt}${r.quick ? ' (QUICK smoke mode: figures are not meaningful)' : ''}`);
  out.push(`machine: ${r.machine.cpus} x ${r.machine.model}, node ${r.machine.node}, load average before ${r.machine.loadavgBefore.join(' ')}`);
  out.push(
    `load: autocannon in its own process, ${r.settings.connections} connections, ${r.settings.duration} s per round, ${r.settings.rounds} round(s) per side, order ${r.settings.order}`,
  );
  out.push(`persists — ours: ${r.persistence.ours}`);
  out.push(`         — theirs: ${r.persistence.theirs}`);
  out.push(`ours, bench settings: ${r.persistence.oursSettings}`);
  out.push('');
  const head = ['row', 'ours req/s', 'p50 ms', 'p99 ms', 'err', 'cpu µs/req', 'theirs req/s', 'p50 ms', 'p99 ms', 'err', 'cpu µs/req', 'ours/theirs'];
  const lines: string[][] = [head];
  const notes: string[] = [];
  for (const row of r.rows) {
    if (row.kind === 'skipped') {
      lines.push([row.name, 'not available', '', '', '', '', '', '', '', '', '', '']);
      notes.push(`${row.name}: ${row.reason}`);
      continue;
    }
    const o = row.ours,
      t = row.theirs;
    lines.push([
      row.name,
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
    ]);
    if (row.note) notes.push(`${row.name}: ${row.note}`);
  }
  if (lines.length > 1) out.push(table(lines));
  if (notes.length) out.push('', ...notes.map((n) => `  * ${n}`));
  for (const [title, section, print] of [
    ['CIBA round trip', r.roundTrip, printRoundTrip],
    ['Scale', r.scale, printScale],
    ['Device app', r.app, printAppSize],
  ] as const) {
    if (!section) continue;
    out.push('', `== ${title} ==`);
    if ('kind' in section && section.kind === 'skipped') out.push(`not available: ${section.reason}`);
    else out.push((print as (x: unknown) => string)(section));
  }
  if (r.file) out.push('', `JSON: ${r.file}`);
  return out.join('\n');
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const options = parseArgs(process.argv.slice(2));
  const results = await runBench(options);
  console.log(formatResults(results));
}
