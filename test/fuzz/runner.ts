/**
 * Runs the fuzz cases of each route against a real provider and entity (test/fuzz/target.ts, a
 * child process) and counts, per route: answers by class, 5xx (a 503 with Retry-After is a
 * deliberate load shed and does not count), hangs (no complete answer within the case's time,
 * or a connection closed without one) and crashes (the target exited, or logged at level error,
 * e.g. `internal.error`). The target is restarted after a crash and the run goes on.
 *
 * Case `i` of a route under seed `s` is always the same request: its own seed is a hash of
 * (s, route, i), so `--seed s --route <name> --case i` replays exactly that one.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { createInterface } from 'node:readline';
import fc from 'fast-check';
import { exchange, type Outcome } from './exchange.ts';
import { type FuzzCase, type Fixtures, caseArb, render, replayLine, withFixtures } from './generators.ts';
import type { FuzzRoute, Target } from './routes.ts';

export interface FuzzOptions {
  readonly routes: readonly FuzzRoute[];
  readonly runs: number;
  readonly seed: number;
  /** Cases in flight at once. */
  readonly concurrency: number;
  /** A case without a complete answer after this long is a hang, ms. */
  readonly timeoutMs: number;
  /** Only these case indexes (replay). */
  readonly only?: readonly number[];
  /** Called after each route. */
  readonly onRoute?: (row: RouteResult) => void;
}

export type FailureKind = '5xx' | 'hang' | 'crash';

export interface Failure {
  readonly route: string;
  readonly kind: FailureKind;
  /** The case index (with the run's seed and the route, it replays the case); -1 when a crash could not be tied to a case. */
  readonly index: number;
  readonly what: string;
  /** The request's bytes as a JSON string, and as a printf | nc line. */
  readonly request?: string;
  readonly replay?: string;
}

export interface RouteResult {
  readonly route: string;
  cases: number;
  ok: number;
  client: number;
  shed: number;
  fivexx: number;
  hangs: number;
  crashes: number;
  ms: number;
  readonly failures: Failure[];
}

/** The seed of case `index` of `route` in a run seeded `seed`. */
export function caseSeed(seed: number, route: string, index: number): number {
  return createHash('sha256').update(`${seed}\u0000${route}\u0000${index}`).digest().readInt32LE(0);
}

/** Case `index` of `route` under `seed`. */
export function fuzzCase(route: FuzzRoute, seed: number, index: number, arb = caseArb(route)): FuzzCase {
  return fc.sample(arb, { seed: caseSeed(seed, route.name, index), numRuns: 1 })[0]!;
}

interface LogLine {
  readonly level?: string;
  readonly event?: string;
  readonly where?: string;
  readonly path?: string;
  readonly message?: string;
  readonly [k: string]: unknown;
}

/** The provider and entity in a child process; `errors` collects their error-level log lines and exits. */
class TargetProcess {
  private child?: ChildProcess;
  ports: Record<Target, number> = { provider: 0, entity: 0 };
  /** The live credentials of the running target (a restart makes new ones). */
  fixtures: Fixtures | undefined;
  /** Bumped on each (re)start: a case that saw the target die is the crash's, not a hang. */
  generation = 0;
  private sink: (line: LogLine) => void = () => undefined;

  async start(sink: (line: LogLine) => void): Promise<void> {
    this.sink = sink;
    const script = fileURLToPath(new URL('./target.ts', import.meta.url));
    const child = spawn(process.execPath, ['--import', 'tsx', script], {
      env: { ...process.env, NOD_LOG_LEVEL: 'warn', NOD_LOG_FORMAT: 'json' },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    this.child = child;
    this.generation++;
    const stderr: string[] = [];
    child.stderr!.on('data', (d: Buffer) => stderr.push(d.toString()));
    const ready = new Promise<void>((resolve, reject) => {
      const lines = createInterface({ input: child.stdout! });
      lines.on('line', (text) => {
        let line: LogLine & { fuzzTarget?: Record<Target, number>; fixtures?: Fixtures };
        try {
          line = JSON.parse(text) as typeof line;
        } catch {
          return;
        }
        if (line.fuzzTarget) {
          this.ports = line.fuzzTarget;
          this.fixtures = line.fixtures;
          resolve();
        } else if (line.level === 'error' || line.event === 'internal.error') this.sink(line);
      });
      child.once('exit', (code, signal) => {
        reject(new Error(`the fuzz target exited before it was ready (${code ?? signal}): ${stderr.join('').slice(-2000)}`));
        if (this.child === child) {
          this.child = undefined;
          this.sink({ level: 'exit', event: 'process.exit', message: `exit ${code ?? signal}: ${stderr.join('').slice(-1500)}` });
        }
      });
    });
    await ready;
  }

  get alive(): boolean {
    return this.child !== undefined;
  }

  async restart(): Promise<void> {
    await this.stop();
    await this.start(this.sink);
  }

  async stop(): Promise<void> {
    const child = this.child;
    if (!child) return;
    this.child = undefined;
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.stdin!.end();
    const kill = setTimeout(() => child.kill('SIGKILL'), 15_000);
    await exited;
    clearTimeout(kill);
  }
}

const isFailureStatus = (o: Extract<Outcome, { kind: 'answer' }>) => o.status >= 500 && !(o.status === 503 && o.headers['retry-after'] !== undefined);

/** A short, one-line account of a log line. */
const describeLog = (l: LogLine) => `${l.event ?? l.level}: ${String(l.message ?? '').slice(0, 300)}${l.where ? ` at ${String(l.where).slice(0, 120)}` : ''}`;

/** Runs the cases; resolves with one row per route. */
export async function runFuzz(options: FuzzOptions): Promise<RouteResult[]> {
  const target = new TargetProcess();
  let current: RouteResult | undefined;
  /** Cases in flight: for tying a crash log to the request that caused it. */
  const inFlight = new Map<number, { c: FuzzCase; bytes: Buffer; port: number }>();
  const crashed = async (line: LogLine) => {
    const row = current;
    if (!row) return;
    row.crashes++;
    const where = typeof line.where === 'string' ? line.where : typeof line.path === 'string' ? line.path : undefined;
    const suspects = [...inFlight].filter(([, f]) => where === undefined || f.c.target.split('?')[0] === where);
    const [index, f] = suspects[0] ?? [-1, undefined];
    row.failures.push({
      route: row.route,
      kind: 'crash',
      index,
      what: `${describeLog(line)}${suspects.length > 1 ? ` (one of ${suspects.length} cases in flight: ${suspects.map(([i]) => i).join(', ')})` : ''}`,
      ...(f ? { request: JSON.stringify(f.bytes.subarray(0, 8192).toString('latin1')), replay: replayLine(f.bytes, f.port) } : {}),
    });
  };
  await target.start((line) => void crashed(line));
  const results: RouteResult[] = [];
  try {
    for (const route of options.routes) {
      const row: RouteResult = { route: route.name, cases: 0, ok: 0, client: 0, shed: 0, fivexx: 0, hangs: 0, crashes: 0, ms: 0, failures: [] };
      current = row;
      const started = Date.now();
      const arb = caseArb(route);
      const indexes = options.only ?? Array.from({ length: options.runs }, (_, i) => i);
      let next = 0;
      const worker = async () => {
        while (next < indexes.length) {
          const index = indexes[next++]!;
          if (!target.alive) await target.restart();
          const generation = target.generation;
          const c = withFixtures(fuzzCase(route, options.seed, index, arb), target.fixtures);
          const bytes = render(c);
          const port = target.ports[route.target];
          inFlight.set(index, { c, bytes, port });
          const o = await exchange(port, bytes, options.timeoutMs, c.method === 'HEAD');
          inFlight.delete(index);
          row.cases++;
          const fail = (kind: FailureKind, what: string) =>
            row.failures.push({
              route: route.name,
              kind,
              index,
              what,
              request: JSON.stringify(bytes.subarray(0, 8192).toString('latin1')),
              replay: replayLine(bytes, port),
            });
          if (o.kind === 'answer') {
            if (isFailureStatus(o)) {
              row.fivexx++;
              fail('5xx', `${o.status} ${o.body.slice(0, 300)}`);
            } else if (o.status >= 500) row.shed++;
            else if (o.status >= 400) row.client++;
            else row.ok++;
          } else if (generation !== target.generation || !target.alive) {
            // The target died under this case: counted once, as the crash.
          } else {
            row.hangs++;
            fail(
              'hang',
              `${o.kind === 'timeout' ? `no complete answer in ${options.timeoutMs} ms` : `connection closed after ${o.ms} ms without an answer`}${o.received ? `; received ${JSON.stringify(o.received)}` : ''}`,
            );
          }
        }
      };
      await Promise.all(Array.from({ length: Math.min(options.concurrency, indexes.length) }, worker));
      // Log lines of the last cases arrive a moment after their answers.
      await new Promise((r) => setTimeout(r, 200));
      row.ms = Date.now() - started;
      results.push(row);
      options.onRoute?.(row);
    }
  } finally {
    current = undefined;
    await target.stop();
  }
  return results;
}

/** The table: one row per route, and a total. */
export function formatTable(rows: readonly RouteResult[]): string {
  const head = ['route', 'cases', '2xx/3xx', '4xx', '503 shed', '5xx', 'hangs', 'crashes', 'seconds'];
  const total: RouteResult = { route: 'total', cases: 0, ok: 0, client: 0, shed: 0, fivexx: 0, hangs: 0, crashes: 0, ms: 0, failures: [] };
  for (const r of rows) for (const k of ['cases', 'ok', 'client', 'shed', 'fivexx', 'hangs', 'crashes', 'ms'] as const) total[k] += r[k];
  const cells = [...rows, total].map((r) => [r.route, r.cases, r.ok, r.client, r.shed, r.fivexx, r.hangs, r.crashes, (r.ms / 1000).toFixed(1)].map(String));
  const widths = head.map((h, i) => Math.max(h.length, ...cells.map((c) => c[i]!.length)));
  const line = (c: readonly string[]) => `| ${c.map((v, i) => (i === 0 ? v.padEnd(widths[i]!) : v.padStart(widths[i]!))).join(' | ')} |`;
  return [line(head), `|${widths.map((w, i) => (i === 0 ? ':' : '-').padEnd(w + 1, '-') + (i === 0 ? '-' : ':')).join('|')}|`, ...cells.map(line)].join('\n');
}

/** The failures, for people: what happened and how to replay each one (at most `perRoute` per route). */
export function formatFailures(rows: readonly RouteResult[], seed: number, perRoute = 5): string {
  const out: string[] = [];
  for (const r of rows) {
    for (const f of r.failures.slice(0, perRoute)) {
      out.push(`✗ ${f.kind} · ${r.route} · case ${f.index} · ${f.what}`);
      if (f.index >= 0) out.push(`  replay: npm run fuzz -- --seed ${seed} --route '${r.route}' --case ${f.index}`);
      if (f.request) out.push(`  request: ${f.request.length > 1200 ? `${f.request.slice(0, 1200)}…"` : f.request}`);
      if (f.replay) out.push(`  raw: ${f.replay.length > 1200 ? `${f.replay.slice(0, 1200)}…` : f.replay}`);
    }
    if (r.failures.length > perRoute) out.push(`  … and ${r.failures.length - perRoute} more failures on ${r.route}`);
  }
  return out.join('\n');
}
