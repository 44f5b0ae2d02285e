/**
 * Scaling out: CIBA round trips per second through a whole deployment, in three shapes side by
 * side: lowdb in one process (`nod start`), and Redis with 1 and with 2 workers (`nod start
 * --workers N`: each worker runs the provider and the entity, on the same two ports). A round trip
 * is the roundtrip row's: bc-authorize (ping mode) → delegation → the device approves over its
 * WebSocket → callback → ping → token request; `count` are started at once per round, and the
 * rounds of the three shapes alternate (order reversed every other round) so that drift hits all.
 * Redis fsyncs every write (appendfsync always), as lowdb's group commit does.
 */
import { freePort } from '../../shared/http/free_port.ts';
import { randomBytes } from 'node:crypto';
import { rmSync } from 'node:fs';
import type { Child } from '../lib/child.ts';
import { NotAvailable } from '../lib/context.ts';
import { dataDir, entityOf, issuerOf, prepare, redisMissing, startDeployment, startRedis, type Deployment, type Plan, type Shape } from '../lib/deployment.ts';
import { fmtLoad, loadAverage } from '../lib/machine.ts';
import { fmt, table } from '../lib/table.ts';
import { percentile } from '../load.ts';
import type { TripTimes } from '../cd.ts';

export interface ShapeResult {
  readonly name: string;
  /** Processes of the deployment (a cluster's primary included). */
  readonly processes: number;
  /** Round trips per second of each measured round (ok trips / first start to last tokens). */
  readonly rounds: number[];
  readonly meanRate: number;
  readonly p50: number;
  readonly p99: number;
  readonly trips: number;
  readonly ok: number;
  readonly errors: string[];
}

export interface NodesResult {
  readonly shapes: ShapeResult[];
  /** Redis 2 workers over Redis 1 worker (mean rates). */
  readonly scaling?: number;
  /** Redis 1 worker over lowdb. */
  readonly redisOverLowdb?: number;
  readonly perRound: number;
  readonly load: { readonly start: readonly number[]; readonly end: readonly number[] };
  readonly note: string;
}

/** What the row needs from the bench runner. */
export interface NodesContext {
  readonly quick: boolean;
  readonly rounds: number;
  spawn<I>(module: string, args: unknown): Promise<Child<I>>;
  log(message: string): void;
}

interface Running {
  readonly shape: Shape;
  readonly plan: Plan;
  readonly deployment: Deployment;
  readonly cd: Child<unknown>;
  readonly device: Child<unknown>;
  readonly usernames: string[];
  readonly rates: number[];
  readonly totals: number[];
  readonly errors: Set<string>;
  /** The next user to ask (round robin, so no user passes the anti-fatigue limit). */
  cursor: number;
  trips: number;
  ok: number;
}

const CLIENT = { id: 'bench-nodes', secret: 'bench-nodes-secret' };

export async function nodes(ctx: NodesContext): Promise<NodesResult> {
  if (redisMissing) throw new NotAvailable(redisMissing);
  const perRound = ctx.quick ? 20 : 200;
  const rounds = ctx.rounds;
  // Anti-fatigue stays on (5 requests per user a minute): enough users for every trip of a shape.
  const users = Math.ceil((perRound * (rounds + 1)) / 5) + 1;
  const redis = await startRedis(await freePort('127.0.0.1'));
  const running: Running[] = [];
  const dirs: string[] = [];
  const start = loadAverage();
  try {
    const shapes: Shape[] = [
      { name: 'lowdb, 1 process', store: 'lowdb' },
      { name: 'Redis, 1 worker', store: redis.url, workers: 1 },
      { name: 'Redis, 2 workers', store: redis.url, workers: 2 },
    ];
    for (const shape of shapes) {
      const dir = dataDir();
      dirs.push(dir);
      const plan: Plan = {
        shape,
        providerPort: await freePort('127.0.0.1'),
        serverPort: await freePort('127.0.0.1'),
        notifyPort: await freePort('127.0.0.1'),
        dataDir: dir,
        prefix: `bench${randomBytes(3).toString('hex')}:`,
      };
      const prepared = await prepare(plan, users, CLIENT.id, CLIENT.secret);
      const deployment = await startDeployment(plan);
      const entry: Running = {
        shape,
        plan,
        deployment,
        cd: undefined as unknown as Child<unknown>,
        device: undefined as unknown as Child<unknown>,
        usernames: prepared.usernames,
        rates: [],
        totals: [],
        errors: new Set(),
        cursor: 0,
        trips: 0,
        ok: 0,
      };
      running.push(entry);
      Object.assign(entry, {
        device: await ctx.spawn<unknown>('device.ts', { entityUrl: entityOf(plan) }),
        cd: await ctx.spawn<unknown>('cd.ts', { issuer: issuerOf(plan), clientId: CLIENT.id, clientSecret: CLIENT.secret, notifyPort: plan.notifyPort }),
      });
      await entry.device.call('enroll', { tokens: prepared.tokens });
      ctx.log(`nodes: ${shape.name} serves (${users} users, devices enrolled)`);
    }
    const batch = async (r: Running, measured: boolean, label: string) => {
      const users = Array.from({ length: perRound }, () => r.usernames[r.cursor++ % r.usernames.length]!);
      const trips = (await r.cd.call('trips', { users, count: perRound, concurrent: true, prefix: label })) as TripTimes[];
      if (!measured) return;
      const ok = trips.filter((t) => t.ok);
      const seconds = (Math.max(...trips.map((t) => t.tokensAt)) - Math.min(...trips.map((t) => t.startedAt))) / 1000;
      r.rates.push(ok.length / seconds);
      r.totals.push(...ok.map((t) => t.tokensAt - t.startedAt));
      r.trips += trips.length;
      r.ok += ok.length;
      for (const t of trips) if (!t.ok) r.errors.add(t.error ?? '?');
    };
    // An unmeasured warm-up round of each, then the measured rounds in alternating order.
    for (const r of running) await batch(r, false, `NW ${r.shape.name}`);
    for (let i = 0; i < rounds; i++) {
      const order = i % 2 ? [...running].reverse() : running;
      for (const r of order) await batch(r, true, `N${i} ${r.shape.name}`);
      ctx.log(`nodes: round ${i + 1}/${rounds}: ${running.map((r) => `${r.shape.name} ${r.rates.at(-1)?.toFixed(1)}/s`).join(', ')}`);
    }
  } finally {
    for (const r of running) await Promise.all([r.cd?.stop(), r.device?.stop(), r.deployment.stop()]);
    await redis.stop();
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  }
  const results: ShapeResult[] = running.map((r) => {
    const sorted = [...r.totals].sort((a, b) => a - b);
    return {
      name: r.shape.name,
      processes: r.shape.workers ? r.shape.workers + 1 : 1,
      rounds: r.rates,
      meanRate: r.rates.reduce((s, x) => s + x, 0) / Math.max(1, r.rates.length),
      p50: percentile(sorted, 50),
      p99: percentile(sorted, 99),
      trips: r.trips,
      ok: r.ok,
      errors: [...r.errors],
    };
  });
  const [lowdb, one, two] = results;
  return {
    shapes: results,
    ...(one && two ? { scaling: two.meanRate / one.meanRate } : {}),
    ...(lowdb && one ? { redisOverLowdb: one.meanRate / lowdb.meanRate } : {}),
    perRound,
    load: { start, end: loadAverage() },
    note: 'Redis: its own redis-server, appendonly yes with appendfsync always (every acknowledged write on disk, as lowdb fsyncs its group commits)',
  };
}

export function printNodes(r: NodesResult): string {
  const lines: string[][] = [['shape', 'processes', 'round trips/s', 'per round', 'p50 ms', 'p99 ms', 'ok / trips']];
  for (const s of r.shapes) {
    lines.push([
      s.name,
      `${s.processes}${s.name.startsWith('Redis') ? ' + redis' : ''}`,
      fmt.n(s.meanRate, 1),
      s.rounds.map((x) => x.toFixed(1)).join(' / '),
      fmt.ms(s.p50),
      fmt.ms(s.p99),
      `${s.ok} / ${s.trips}`,
    ]);
  }
  const out = [
    `${r.perRound} round trips started at once per round and shape (ping mode, each device approving at once over its WebSocket); ${r.note}`,
    `load average before ${fmtLoad(r.load.start)}, after ${fmtLoad(r.load.end)}: the shapes share the machine's cores with each other's idle processes and the load generators`,
    table(lines),
    `scaling: Redis 2 workers / 1 worker = ${fmt.ratio(r.scaling)}; Redis 1 worker / lowdb = ${fmt.ratio(r.redisOverLowdb)}`,
  ];
  const errors = r.shapes.flatMap((s) => s.errors.map((e) => `${s.name}: ${e}`));
  if (errors.length) out.push(`errors: ${errors.join('; ')}`);
  return out.join('\n');
}
