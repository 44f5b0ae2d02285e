/**
 * Scale: N pending CIBA requests held at once (made through the real bc-authorize → entity
 * path, with a short requested_expiry), throughput while they are held, resident memory of
 * every process, data file sizes, the time of one group-commit write, and then that every
 * request expires (a sample is polled: expired_token) and is swept (records and files shrink
 * back).
 */
import { basic, discover, EXPIRED_GRACE, FORM, NotAvailable, postForm, type BenchContext } from '../lib/context.ts';
import { compareSides, type Side, type SideResult } from '../lib/compare.ts';
import type { Child, Usage } from '../lib/child.ts';
import { fmt, table } from '../lib/table.ts';

const AUTH = basic('demo-bank', 'demo-bank-secret');
const CIBA = 'urn:openid:params:grant-type:ciba';

interface StoreStats {
  records: number;
  writes: number;
  lastWriteMs: number;
  fileBytes: number;
}

export interface Snapshot {
  readonly rss: Record<string, number>;
  readonly stores: Record<string, StoreStats>;
}

export interface ScaleResult {
  readonly pending: number;
  readonly created: number;
  readonly createErrors: Record<string, number>;
  readonly createSeconds: number;
  readonly requestedExpiry: number;
  readonly baseline: Snapshot;
  readonly held: Snapshot;
  readonly afterSweep: Snapshot;
  /** One durable write with everything held, ms (store's own timing). */
  readonly commitMs: Record<string, number>;
  readonly throughput: {
    readonly clientCredentialsBefore: number;
    readonly clientCredentialsHeld: number;
    readonly pollHeld: number;
    readonly pollHeldP99: number;
    readonly pollHeldErrors: number;
    readonly pollCycleSeconds: number;
  };
  readonly expiredSample: { readonly polled: number; readonly expiredToken: number };
  readonly swept: Record<string, number>;
  readonly sweptAll: { readonly provider: boolean; readonly entity: boolean };
}

/** One measured round against our provider alone. */
async function once(ctx: BenchContext, spec: Side['spec']): Promise<SideResult> {
  const { results } = await compareSides([{ name: 'ours', server: ctx.nod, spec }], {
    load: ctx.load,
    rounds: 1,
    duration: ctx.duration,
    warmup: 0,
    ownCpu: () => ctx.ownCpu(),
  });
  return results[0]!;
}

async function snapshot(ctx: BenchContext, procs: Record<string, Child<unknown>>): Promise<Snapshot> {
  const rss: Record<string, number> = {};
  for (const [name, c] of Object.entries(procs)) rss[name] = (await c.call<Usage>('usage')).rssBytes;
  return {
    rss,
    stores: { provider: await ctx.nod.call<StoreStats>('storeStats'), entity: await ctx.entity!.call<StoreStats>('storeStats') },
  };
}

/** Sends `bodies` with `concurrency` requests in flight; returns status counts and the auth_req_ids. */
async function createAll(url: string, bodies: string[], concurrency: number): Promise<{ ids: string[]; statuses: Record<string, number> }> {
  const ids: string[] = [];
  const statuses: Record<string, number> = {};
  let next = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < bodies.length) {
        const r = await postForm(url, bodies[next++]!, AUTH);
        statuses[r.status] = (statuses[r.status] ?? 0) + 1;
        if (r.status === 200) ids.push(r.json.auth_req_id);
      }
    }),
  );
  return { ids, statuses };
}

export async function scale(ctx: BenchContext): Promise<ScaleResult> {
  if (!ctx.entity) throw new NotAvailable(`the entity could not be started: ${ctx.entityError ?? 'unknown'}`);
  const d = await discover(ctx.nod.info.issuer);
  if (!d.backchannel_authentication_endpoint) throw new NotAvailable('our provider has no backchannel_authentication_endpoint');
  const pending = ctx.quick ? 500 : 10_000;
  const requestedExpiry = ctx.quick ? 8 : 120;
  const procs = { provider: ctx.nod, entity: ctx.entity, load: ctx.load } as Record<string, Child<unknown>>;

  // Anti-fatigue stays at its default: 5 pending per user, so pending / 5 users.
  const users = await ctx.nod.call<Array<{ username: string }>>('seedUsers', { count: Math.ceil(pending / 5), prefix: 'bench-scale' });
  // A clean start: what earlier rows left and has expired is swept now.
  await ctx.nod.call('sweep');
  await ctx.entity.call('sweep');
  const baseline = await snapshot(ctx, procs);
  const ccSpec = {
    url: d.token_endpoint as string,
    body: 'grant_type=client_credentials&scope=api',
    headers: { 'content-type': FORM, authorization: basic('demo-service', 'demo-service-secret') },
    connections: ctx.connections,
    expectStatus: 200,
  };
  const before = await once(ctx, () => ccSpec);

  ctx.log(`scale: creating ${pending} pending requests`);
  const bodies = Array.from({ length: pending }, (_, i) =>
    new URLSearchParams({
      scope: 'openid profile',
      login_hint: users[i % users.length]!.username,
      binding_message: `Scale ${i}`,
      requested_expiry: String(requestedExpiry),
    }).toString(),
  );
  const t0 = performance.now();
  const { ids, statuses } = await createAll(d.backchannel_authentication_endpoint, bodies, 32);
  const createSeconds = (performance.now() - t0) / 1000;
  ctx.log(`scale: ${ids.length} created in ${createSeconds.toFixed(1)} s`);

  const commitMs = {
    provider: (await ctx.nod.call<StoreStats>('commitOnce')).lastWriteMs,
    entity: (await ctx.entity.call<StoreStats>('commitOnce')).lastWriteMs,
  };
  const held = await snapshot(ctx, procs);
  const heldCc = await once(ctx, () => ccSpec);
  const pollBodies = ids.map((id) => `grant_type=${encodeURIComponent(CIBA)}&auth_req_id=${id}`);
  const heldPoll = await once(ctx, () => ({ ...ccSpec, bodies: pollBodies, body: undefined, expectStatus: 400 }));

  // Wait for the last request's expiry, then poll a sample: each must answer expired_token.
  const waitMs = Math.max(0, t0 + (createSeconds + requestedExpiry) * 1000 + 1000 - performance.now());
  ctx.log(`scale: waiting ${(waitMs / 1000).toFixed(0)} s for every request to expire`);
  await new Promise((r) => setTimeout(r, waitMs));
  // The last 100 made (the first ones may already be past the grace for late polls).
  const sample = ids.slice(-100);
  const answers = await Promise.all(sample.map((id) => postForm(d.token_endpoint, `grant_type=${encodeURIComponent(CIBA)}&auth_req_id=${id}`, AUTH)));
  const expiredToken = answers.filter((r) => r.json?.error === 'expired_token').length;
  // Past the grace for late polls, the sweep (the function the store's timer runs) removes them.
  await new Promise((r) => setTimeout(r, (EXPIRED_GRACE + 1) * 1000));
  const swept = { provider: await ctx.nod.call<number>('sweep'), entity: await ctx.entity.call<number>('sweep') };
  await ctx.nod.call('commitOnce');
  await ctx.entity.call('commitOnce');
  const afterSweep = await snapshot(ctx, procs);
  // Left after the sweep: at most the probe records the bench itself wrote.
  const sweptAll = {
    provider: afterSweep.stores.provider!.records <= baseline.stores.provider!.records + 1,
    entity: afterSweep.stores.entity!.records <= baseline.stores.entity!.records + 1,
  };
  return {
    pending,
    created: ids.length,
    createErrors: Object.fromEntries(Object.entries(statuses).filter(([s]) => s !== '200')),
    createSeconds,
    requestedExpiry,
    baseline,
    held,
    afterSweep,
    commitMs,
    throughput: {
      clientCredentialsBefore: before.rps,
      clientCredentialsHeld: heldCc.rps,
      pollHeld: heldPoll.rps,
      pollHeldP99: heldPoll.p99,
      pollHeldErrors: heldPoll.errors,
      pollCycleSeconds: ids.length / heldPoll.rps,
    },
    expiredSample: { polled: sample.length, expiredToken },
    swept,
    sweptAll,
  };
}

export function printScale(r: ScaleResult): string {
  const lines: string[][] = [['', 'baseline', `${r.created} held`, 'after expiry + sweep']];
  for (const p of Object.keys(r.held.rss)) lines.push([`RSS ${p}`, fmt.mb(r.baseline.rss[p]), fmt.mb(r.held.rss[p]), fmt.mb(r.afterSweep.rss[p])]);
  for (const s of ['provider', 'entity']) {
    lines.push([`${s} records`, fmt.n(r.baseline.stores[s]!.records), fmt.n(r.held.stores[s]!.records), fmt.n(r.afterSweep.stores[s]!.records)]);
    lines.push([`${s} data file`, fmt.kb(r.baseline.stores[s]!.fileBytes), fmt.kb(r.held.stores[s]!.fileBytes), fmt.kb(r.afterSweep.stores[s]!.fileBytes)]);
  }
  return [
    `${r.created}/${r.pending} pending requests created through bc-authorize → entity in ${r.createSeconds.toFixed(1)} s (${fmt.n(r.created / r.createSeconds)} /s, 32 in flight), requested_expiry ${r.requestedExpiry} s` +
      (Object.keys(r.createErrors).length ? `; refused: ${JSON.stringify(r.createErrors)}` : ''),
    table(lines),
    `one group-commit write with everything held: provider ${fmt.ms(r.commitMs.provider)} ms, entity ${fmt.ms(r.commitMs.entity)} ms`,
    `throughput while held: client_credentials ${fmt.n(r.throughput.clientCredentialsHeld)} req/s (before: ${fmt.n(r.throughput.clientCredentialsBefore)}); ` +
      `poll of the held requests ${fmt.n(r.throughput.pollHeld)} req/s, p99 ${fmt.ms(r.throughput.pollHeldP99)} ms, unexpected statuses ${r.throughput.pollHeldErrors}, each id polled every ${r.throughput.pollCycleSeconds.toFixed(1)} s` +
      (r.throughput.pollCycleSeconds < 1 ? ' (less than the 1 s interval: many answers were slow_down)' : ' (≥ the 1 s interval: authorization_pending)'),
    `after expiry: ${r.expiredSample.expiredToken}/${r.expiredSample.polled} sampled polls answered expired_token; sweep removed provider ${r.swept.provider}, entity ${r.swept.entity} records — provider: ${r.sweptAll.provider ? 'every held request swept' : 'NOT all swept'}, entity: ${r.sweptAll.entity ? 'every held request swept' : 'NOT all swept (see records)'}`,
  ].join('\n');
}
