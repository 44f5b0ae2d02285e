/**
 * CPU profiles of the processes under test, taken over exactly one measured round (through the
 * inspector's Profiler in the child itself, so start-up, TypeScript loading and the row's
 * set-up are not in it), written as .cpuprofile files (open them in Chrome DevTools'
 * Performance panel or https://www.speedscope.app; TypeScript positions are mapped back to the
 * source), and summarised for the terminal: where the
 * samples were (idle, GC, our code, each package, Node's internals) and the top functions by
 * self time and, for our own code, by total time.
 */
import { Session } from 'node:inspector/promises';
import { findSourceMap } from 'node:module';
import { readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import { dirname, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

let session: Session | undefined;

/** In a child: starts sampling every `intervalUs` microseconds. */
export async function profileStart({ intervalUs }: { intervalUs: number }): Promise<void> {
  if (session) throw new Error('a profile is already running');
  session = new Session();
  session.connect();
  await session.post('Profiler.enable');
  await session.post('Profiler.setSamplingInterval', { interval: intervalUs });
  await session.post('Profiler.start');
}

/**
 * In a child: stops sampling and writes the profile to `file`, with the positions of TypeScript
 * functions mapped back to their source through the source maps tsx registered (the code tsx
 * runs is not laid out like the source).
 */
export async function profileStop({ file }: { file: string }): Promise<void> {
  if (!session) throw new Error('no profile is running');
  const { profile } = await session.post('Profiler.stop');
  await session.post('Profiler.disable');
  session.disconnect();
  session = undefined;
  for (const node of profile.nodes) {
    const f = node.callFrame;
    if (!f.url.endsWith('.ts')) continue;
    const entry = findSourceMap(f.url)?.findEntry(f.lineNumber, f.columnNumber);
    if (entry && 'originalLine' in entry) Object.assign(f, { lineNumber: entry.originalLine, columnNumber: entry.originalColumn });
  }
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, JSON.stringify(profile));
}

interface CallFrame {
  readonly functionName: string;
  readonly url: string;
  readonly lineNumber: number;
  readonly columnNumber: number;
}
interface ProfileNode {
  readonly id: number;
  readonly callFrame: CallFrame;
  readonly children?: readonly number[];
}
interface CpuProfile {
  readonly nodes: readonly ProfileNode[];
  readonly startTime: number;
  readonly endTime: number;
  readonly samples: readonly number[];
  readonly timeDeltas: readonly number[];
}

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
/** Our own code: what an optimisation of Nod can change. */
const OWN = /^(provider|server|shared)\//;

export interface ProfileLine {
  readonly name: string;
  readonly ms: number;
  /** Share of the busy (non-idle) time, percent. */
  readonly pct: number;
}

export interface ProfileSummary {
  readonly file: string;
  readonly wallMs: number;
  readonly busyMs: number;
  /** Where the samples were: (idle), (garbage collector), (program), our code, node internals, each package. */
  readonly areas: readonly ProfileLine[];
  readonly selfTop: readonly ProfileLine[];
  /** Our functions by total time (their own and everything they called). */
  readonly ownTotalTop: readonly ProfileLine[];
}

/** Path of a script relative to the repository (node_modules/<pkg>/... stays as is). */
function where(url: string): string {
  if (!url) return '';
  const path = url.startsWith('file://') ? fileURLToPath(url) : url;
  return path.startsWith(ROOT) ? relative(ROOT, path) : path;
}

function area(frame: CallFrame): string {
  const file = where(frame.url);
  if (!file) return frame.functionName.startsWith('(') ? frame.functionName : '(native: C++ bindings such as writev, fdatasync)';
  if (file.startsWith('node:')) return 'node internals';
  if (file.startsWith('wasm://')) return "wasm (undici's HTTP parser)";
  const pkg = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(file);
  if (pkg) return pkg[1]!;
  if (OWN.test(file)) return `ours: ${file.split('/')[0]}/`;
  return file.startsWith('bench/') ? 'bench harness' : file;
}

function label(frame: CallFrame): string {
  const file = where(frame.url);
  const name = frame.functionName || '(anonymous)';
  return file ? `${name} ${file}:${frame.lineNumber + 1}` : name;
}

const IDLE = new Set(['(idle)', '(program)', '(garbage collector)', '(root)']);

/** Reads a .cpuprofile and summarises it (the `top` lines of each list). */
export function summariseProfile(file: string, top = 12): ProfileSummary {
  const p = JSON.parse(readFileSync(file, 'utf8')) as CpuProfile;
  const byId = new Map<number, ProfileNode>();
  const parent = new Map<number, number>();
  for (const n of p.nodes) {
    byId.set(n.id, n);
    for (const c of n.children ?? []) parent.set(c, n.id);
  }
  const self = new Map<string, number>();
  const areas = new Map<string, number>();
  const ownTotal = new Map<string, number>();
  let idle = 0;
  let total = 0;
  for (let i = 0; i < p.samples.length; i++) {
    // timeDeltas[i + 1] is the time from sample i to the next: sample i's share (as DevTools counts).
    const us = p.timeDeltas[i + 1] ?? 0;
    const node = byId.get(p.samples[i]!);
    if (!node) continue;
    total += us;
    const f = node.callFrame;
    if (f.functionName === '(idle)') {
      idle += us;
      continue;
    }
    const key = label(f);
    self.set(key, (self.get(key) ?? 0) + us);
    const a = area(f);
    areas.set(a, (areas.get(a) ?? 0) + us);
    // Total time of our functions: each function once per sample, however deep it recurs.
    const seen = new Set<string>();
    for (let id: number | undefined = node.id; id !== undefined; id = parent.get(id)) {
      const cf = byId.get(id)!.callFrame;
      if (!OWN.test(where(cf.url))) continue;
      const k = label(cf);
      if (seen.has(k)) continue;
      seen.add(k);
      ownTotal.set(k, (ownTotal.get(k) ?? 0) + us);
    }
  }
  const busy = total - idle;
  const lines = (m: Map<string, number>, n: number, skip?: (k: string) => boolean): ProfileLine[] =>
    [...m.entries()]
      .filter(([k]) => !skip?.(k))
      .sort((a, b) => b[1] - a[1])
      .slice(0, n)
      .map(([name, us]) => ({ name, ms: us / 1000, pct: busy ? (100 * us) / busy : 0 }));
  return {
    file,
    wallMs: total / 1000,
    busyMs: busy / 1000,
    areas: lines(areas, 10),
    selfTop: lines(self, top, (k) => IDLE.has(k)),
    ownTotalTop: lines(ownTotal, top),
  };
}

/** The summary as terminal lines. */
export function formatProfile(s: ProfileSummary, heading: string): string {
  const pct = (l: ProfileLine) => `${l.pct.toFixed(1).padStart(5)} %  ${l.ms.toFixed(0).padStart(6)} ms  ${l.name}`;
  return [
    `-- ${heading}: ${s.busyMs.toFixed(0)} ms busy of ${s.wallMs.toFixed(0)} ms sampled (${s.wallMs ? ((100 * s.busyMs) / s.wallMs).toFixed(0) : 0} %) — ${s.file}`,
    '   where (share of busy time):',
    ...s.areas.map((l) => `     ${pct(l)}`),
    '   top functions by self time:',
    ...s.selfTop.map((l) => `     ${pct(l)}`),
    ...(s.ownTotalTop.length ? ['   our functions by total time (self + callees):', ...s.ownTotalTop.map((l) => `     ${pct(l)}`)] : []),
  ].join('\n');
}
