/**
 * Side-by-side rounds: the same load (connections, duration) against ours (A) and theirs (B),
 * alternated A B B A so that drift (thermal, other work on the machine) hits both sides.
 */
import type { Child } from './child.ts';
import type { LoadResult, LoadSpec } from '../load.ts';

export interface SideResult {
  /** Mean over rounds. */
  readonly rps: number;
  readonly p50: number;
  readonly p99: number;
  readonly errors: number;
  readonly requests: number;
  /** Server CPU time per request, microseconds (from the server process's own counters). */
  readonly cpuMicrosPerReq: number;
  readonly rounds: readonly LoadResult[];
}

export interface Side {
  readonly server: Child<unknown>;
  /** Called before every round: the spec for it (fresh ids may be made here). */
  readonly spec: () => Promise<LoadSpec> | LoadSpec;
}

export interface CompareOptions {
  readonly load: Child<unknown>;
  /** Rounds per side; the order is A B B A A B B A ... */
  readonly rounds: number;
  /** Seconds of unmeasured warm-up per side before the first round. */
  readonly warmup: number;
}

/** The A/B order for `rounds` rounds per side: A B B A A B ... */
export function abOrder(rounds: number): Array<'A' | 'B'> {
  const out: Array<'A' | 'B'> = [];
  for (let i = 0; i < rounds; i++) out.push(...(i % 2 === 0 ? (['A', 'B'] as const) : (['B', 'A'] as const)));
  return out;
}

async function round(load: Child<unknown>, side: Side, durationOverride?: number): Promise<{ r: LoadResult; cpu: number }> {
  const spec = await side.spec();
  const before = await side.server.usage();
  const r = await load.call<LoadResult>('run', durationOverride ? { ...spec, duration: durationOverride } : spec);
  const after = await side.server.usage();
  return { r, cpu: after.cpuMicros - before.cpuMicros };
}

function summarise(results: Array<{ r: LoadResult; cpu: number }>): SideResult {
  const mean = (f: (x: LoadResult) => number) => results.reduce((s, x) => s + f(x.r), 0) / results.length;
  const requests = results.reduce((s, x) => s + x.r.requests, 0);
  const cpu = results.reduce((s, x) => s + x.cpu, 0);
  return {
    rps: mean((x) => x.rps),
    p50: mean((x) => x.p50),
    p99: mean((x) => x.p99),
    errors: results.reduce((s, x) => s + x.r.errors, 0),
    requests,
    cpuMicrosPerReq: requests ? cpu / requests : 0,
    rounds: results.map((x) => x.r),
  };
}

/** Runs the alternating rounds and returns both sides' summaries. */
export async function compare(a: Side, b: Side, options: CompareOptions): Promise<{ ours: SideResult; theirs: SideResult }> {
  if (options.warmup > 0) {
    await round(options.load, a, options.warmup);
    await round(options.load, b, options.warmup);
  }
  const ra: Array<{ r: LoadResult; cpu: number }> = [];
  const rb: Array<{ r: LoadResult; cpu: number }> = [];
  for (const which of abOrder(options.rounds)) {
    if (which === 'A') ra.push(await round(options.load, a));
    else rb.push(await round(options.load, b));
  }
  return { ours: summarise(ra), theirs: summarise(rb) };
}

/** Runs rounds against one side only (rows with nothing to compare against). */
export async function single(a: Side, options: CompareOptions): Promise<SideResult> {
  if (options.warmup > 0) await round(options.load, a, options.warmup);
  const ra: Array<{ r: LoadResult; cpu: number }> = [];
  for (let i = 0; i < options.rounds; i++) ra.push(await round(options.load, a));
  return summarise(ra);
}
