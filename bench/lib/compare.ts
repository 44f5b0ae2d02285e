/**
 * Side-by-side rounds: the same load (connections, duration) against each side in turn, the
 * order reversed every other round (A B, B A, A B ... or A B C, C B A ...) so that drift
 * (thermal, other work on the machine) hits every side alike. Each round records the machine's
 * other load, and a ratio between two sides comes with the spread of its per-round ratios.
 */
import type { Child } from './child.ts';
import type { LoadResult, LoadSpec } from '../load.ts';
import { machineSample, othersCores } from './machine.ts';
import type { ProfileSummary } from './profile.ts';

/** What a side's spec function is told about the round it is asked for. */
export interface RoundInfo {
  /** Unmeasured warm-up round. */
  readonly warmup: boolean;
  /** Target length of the round in seconds (a spec with `amount` should size itself to it). */
  readonly seconds: number;
  /** This side's previous round (warm-up included), if any. */
  readonly previous?: LoadResult;
}

export interface Side {
  /** Short label: `ours`, `theirs`, `theirs (no-op hook)`. */
  readonly name: string;
  /** The process whose CPU time is charged per request. */
  readonly server: Child<unknown>;
  /** Called before every round: the load for it (fresh single-use ids may be minted here). */
  readonly spec: (round: RoundInfo) => Promise<LoadSpec> | LoadSpec;
  /** Processes to CPU-profile during this side's first measured round (profile mode only). */
  readonly profile?: ReadonlyArray<{ readonly name: string; readonly child: Child<unknown> }>;
  /** Called before each round of this side (e.g. to switch a server's behaviour). */
  readonly before?: () => Promise<unknown>;
}

export interface RoundResult extends LoadResult {
  /** Server CPU time during the round, microseconds. */
  readonly cpuMicros: number;
  /** Cores used on average by processes other than the benchmark's during the round. */
  readonly othersCores: number;
}

export interface SideResult {
  /** Mean over rounds. */
  readonly rps: number;
  readonly p50: number;
  readonly p99: number;
  readonly errors: number;
  readonly requests: number;
  /** Server CPU time per request, microseconds (from the server process's own counters). */
  readonly cpuMicrosPerReq: number;
  /** Mean and largest per-round figure of the other processes' CPU use, in cores. */
  readonly othersCores: { readonly mean: number; readonly max: number };
  readonly rounds: readonly RoundResult[];
}

/** Per-round ratios of two sides (round i of one over round i of the other). */
export interface Spread {
  readonly min: number;
  readonly median: number;
  readonly max: number;
  readonly perRound: readonly number[];
}

export interface ProfileRequest {
  /** Directory the .cpuprofile files go to. */
  readonly dir: string;
  /** Row id, the first part of each file name. */
  readonly row: string;
  /** Sampling interval, microseconds. */
  readonly intervalUs: number;
}

export interface ProfileFile {
  readonly side: string;
  readonly process: string;
  readonly file: string;
  /** Filled in at the end of the run (also kept in the JSON results). */
  summary?: ProfileSummary;
  error?: string;
}

export interface CompareOptions {
  readonly load: Child<unknown>;
  /** Measured rounds per side. */
  readonly rounds: number;
  /** Seconds per measured round. */
  readonly duration: number;
  /** Seconds of unmeasured warm-up per side before the first round (0: none). */
  readonly warmup: number;
  /** CPU time of every benchmark process so far (µs), to tell the machine's other load apart. */
  readonly ownCpu: () => Promise<number>;
  readonly profile?: ProfileRequest;
}

/** The order of `rounds` rounds over `sides` sides: indexes, reversed every other round. */
export function roundOrder(sides: number, rounds: number): number[] {
  const forward = Array.from({ length: sides }, (_, i) => i);
  const out: number[] = [];
  for (let r = 0; r < rounds; r++) out.push(...(r % 2 === 0 ? forward : [...forward].reverse()));
  return out;
}

const median = (xs: readonly number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
};

/** The spread of per-round throughput ratios a/b. */
export function spreadOf(a: SideResult, b: SideResult): Spread {
  const perRound = a.rounds.slice(0, b.rounds.length).map((r, i) => r.rps / b.rounds[i]!.rps);
  return { min: Math.min(...perRound), median: median(perRound), max: Math.max(...perRound), perRound };
}

function summarise(rounds: RoundResult[]): SideResult {
  const mean = (f: (x: RoundResult) => number) => rounds.reduce((s, x) => s + f(x), 0) / rounds.length;
  const requests = rounds.reduce((s, x) => s + x.requests, 0);
  const cpu = rounds.reduce((s, x) => s + x.cpuMicros, 0);
  return {
    rps: mean((x) => x.rps),
    p50: mean((x) => x.p50),
    p99: mean((x) => x.p99),
    errors: rounds.reduce((s, x) => s + x.errors, 0),
    requests,
    cpuMicrosPerReq: requests ? cpu / requests : 0,
    othersCores: { mean: mean((x) => x.othersCores), max: Math.max(...rounds.map((x) => x.othersCores)) },
    rounds,
  };
}

/** Runs the rounds over every side and returns each side's summary (in the order given), and the profiles written. */
export async function compareSides(sides: readonly Side[], options: CompareOptions): Promise<{ results: SideResult[]; profiles: ProfileFile[] }> {
  const last: Array<LoadResult | undefined> = sides.map(() => undefined);
  const rounds: RoundResult[][] = sides.map(() => []);
  const profiles: ProfileFile[] = [];

  const round = async (i: number, warmup: boolean): Promise<RoundResult> => {
    const side = sides[i]!;
    await side.before?.();
    const seconds = warmup ? options.warmup : options.duration;
    const spec = await side.spec({ warmup, seconds, ...(last[i] ? { previous: last[i] } : {}) });
    const profiled = !warmup && options.profile && rounds[i]!.length === 0 ? (side.profile ?? []) : [];
    for (const p of profiled) await p.child.call('profileStart', { intervalUs: options.profile!.intervalUs });
    const [serverBefore, ownBefore] = [await side.server.usage(), await options.ownCpu()];
    const machineBefore = machineSample();
    const r = await options.load.call<LoadResult>('run', spec.amount === undefined ? { ...spec, duration: seconds } : spec);
    const machineAfter = machineSample();
    const [serverAfter, ownAfter] = [await side.server.usage(), await options.ownCpu()];
    for (const p of profiled) {
      const file = `${options.profile!.dir}/${options.profile!.row}-${side.name.replace(/[^a-z0-9]+/gi, '-')}-${p.name}.cpuprofile`;
      await p.child.call('profileStop', { file });
      profiles.push({ side: side.name, process: p.name, file });
    }
    last[i] = r;
    return { ...r, cpuMicros: serverAfter.cpuMicros - serverBefore.cpuMicros, othersCores: othersCores(machineBefore, machineAfter, ownAfter - ownBefore) };
  };

  if (options.warmup > 0) for (let i = 0; i < sides.length; i++) await round(i, true);
  for (const i of roundOrder(sides.length, options.rounds)) rounds[i]!.push(await round(i, false));
  return { results: rounds.map(summarise), profiles };
}
