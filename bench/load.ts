/**
 * Child process: the load generator (autocannon's programmatic API), apart from every server
 * under test so its CPU is not charged to either. One `run` call is one measured round.
 */
import autocannon from 'autocannon';
import { failToParent, serveParent } from './lib/child.ts';

export interface LoadSpec {
  readonly url: string;
  readonly method?: string;
  readonly headers?: Record<string, string>;
  /** One body for every request... */
  readonly body?: string;
  /** ...or bodies taken in turn (round robin), e.g. one auth_req_id each. */
  readonly bodies?: readonly string[];
  readonly connections: number;
  /** Seconds (the runner sets it from the round's length when the spec gives no `amount`). */
  readonly duration?: number;
  /** A fixed number of requests instead of a duration: one per single-use body (codes, refresh tokens). */
  readonly amount?: number;
  /** Status code every response should have; anything else counts as an error. */
  readonly expectStatus: number;
}

export interface LoadResult {
  readonly rps: number;
  /** Latency in milliseconds. */
  readonly p50: number;
  readonly p99: number;
  readonly max: number;
  readonly requests: number;
  /** Socket errors, timeouts and responses with another status than expected. */
  readonly errors: number;
  readonly statusCodes: Record<string, number>;
  readonly seconds: number;
}

/** The p-th percentile of sorted samples (nearest rank). */
export function percentile(sorted: readonly number[], p: number): number {
  if (!sorted.length) return 0;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]!;
}

/** Runs one round of load and summarises it. */
export async function runLoad(spec: LoadSpec): Promise<LoadResult> {
  let i = 0;
  const bodies = spec.bodies;
  // autocannon's own histogram has 1 ms resolution; keep every sample (float ms) instead.
  const samples: number[] = [];
  // autocannon's own duration has whole-tick resolution (a fixed `amount` ends on its next 1 s tick): time the round here.
  const startedAt = performance.now();
  let lastAt = startedAt;
  const instance = autocannon({
    url: spec.url,
    method: spec.method ?? 'POST',
    connections: spec.connections,
    ...(spec.amount !== undefined ? { amount: spec.amount } : { duration: spec.duration ?? 1 }),
    timeout: 10,
    headers: spec.headers,
    ...(bodies ? { requests: [{ setupRequest: (req) => ({ ...req, body: bodies[i++ % bodies.length] }) }] } : { body: spec.body }),
  });
  instance.on('response', (_client: unknown, _status: number, _bytes: number, ms: number) => {
    samples.push(ms);
    lastAt = performance.now();
  });
  const result = await instance;
  samples.sort((a, b) => a - b);
  const statusCodes: Record<string, number> = {};
  let total = 0;
  for (const [code, { count }] of Object.entries(result.statusCodeStats ?? {})) {
    statusCodes[code] = count;
    total += count;
  }
  const unexpected = total - (statusCodes[String(spec.expectStatus)] ?? 0);
  const seconds = total ? (lastAt - startedAt) / 1000 : result.duration;
  return {
    rps: total / seconds,
    p50: percentile(samples, 50),
    p99: percentile(samples, 99),
    max: samples.at(-1) ?? 0,
    requests: total,
    errors: result.errors + result.timeouts + unexpected,
    statusCodes,
    seconds,
  };
}

if (process.send) {
  try {
    serveParent({ pid: process.pid }, { run: (spec: LoadSpec) => runLoad(spec) });
  } catch (e) {
    failToParent(e);
  }
}
