/**
 * CIBA side by side: the backchannel authentication request, and a token poll that answers
 * authorization_pending.
 *
 * bc-authorize: ours authenticates the client, validates, stores the request (durable group
 * commit), signs the delegation token (ES256 by default) and waits for the real
 * entity (its own process) to answer 201; theirs stores in memory and calls a
 * `triggerAuthenticationDevice` that does nothing. login_hint cycles over many users so that
 * our anti-fatigue limit (5 per user per minute, left at its default) is not what is measured.
 *
 * poll: ours enforces the poll interval (slow_down would change the answer), so its pool of
 * pending auth_req_ids is large enough that each is polled less often than its interval (set to
 * 1 s for the run with NOD_CIBA_INTERVAL's config field); theirs has no interval check, so a
 * pool of a few hundred (its memory adapter keeps 1,000 entries) is created through its endpoint.
 */
import { DELEGATION_TOKEN_ALG } from '../../provider/ciba/delegation.ts';
import { compare } from '../lib/compare.ts';
import { basic, discover, FORM, NotAvailable, postForm, type BenchContext, type CompareRow } from '../lib/context.ts';
import type { LoadSpec } from '../load.ts';

const AUTH = basic('demo-bank', 'demo-bank-secret');
const CIBA = 'urn:openid:params:grant-type:ciba';

function bcBody(username: string, expiry: number): string {
  return new URLSearchParams({ scope: 'openid profile', login_hint: username, binding_message: 'Bench sign-in', requested_expiry: String(expiry) }).toString();
}

export async function cibaRows(ctx: BenchContext): Promise<CompareRow[]> {
  const ours = await discover(ctx.nod.info.issuer);
  const theirs = await discover(ctx.panva.info.issuer);
  if (!ours.backchannel_authentication_endpoint) throw new NotAvailable('our provider has no backchannel_authentication_endpoint in discovery');
  if (!ctx.entity) throw new NotAvailable(`the entity could not be started: ${ctx.entityError ?? 'unknown'}`);
  const spec = (url: string, bodies: string[], expectStatus: number): LoadSpec => ({
    url,
    bodies,
    headers: { 'content-type': FORM, authorization: AUTH },
    connections: ctx.connections,
    duration: ctx.duration,
    expectStatus,
  });
  const opts = { load: ctx.load, rounds: ctx.rounds, warmup: ctx.warmup };

  // --- bc-authorize -------------------------------------------------------------------------
  // Users enough for every request of the row to stay within 5 per user (the window is 60 s).
  // At ~1,500 req/s over two 8 s rounds plus warm-up that is ~30,000 requests: 10,000 users.
  const userCount = ctx.quick ? 600 : 10_000;
  const users = (await ctx.nod.call<Array<{ username: string }>>('seedUsers', { count: userCount, prefix: 'bench-bc' })).map((u) => u.username);
  const expiry = 20;
  const bodies = users.map((u) => bcBody(u, expiry));
  const probe = await postForm(ours.backchannel_authentication_endpoint, bcBody('bench-bc-probe-none', expiry), AUTH);
  if (probe.status !== 400) throw new Error(`expected unknown_user_id for an unknown user, got ${probe.status}`);
  const check = await postForm(theirs.backchannel_authentication_endpoint, bodies[0]!, AUTH);
  if (check.status !== 200) throw new Error(`theirs bc-authorize: ${check.status} ${JSON.stringify(check.json)}`);
  ctx.log('CIBA backchannel authentication request');
  const bc = await compare(
    { server: ctx.nod, spec: () => spec(ours.backchannel_authentication_endpoint, bodies, 200) },
    { server: ctx.panva, spec: () => spec(theirs.backchannel_authentication_endpoint, bodies, 200) },
    opts,
  );
  const sent = bc.ours.requests + (ctx.warmup ? 1 : 0);
  const rows: CompareRow[] = [
    {
      kind: 'compare',
      name: 'CIBA bc-authorize (poll mode)',
      ...bc,
      ratio: bc.ours.rps / bc.theirs.rps,
      note: `ours: durable store + ${DELEGATION_TOKEN_ALG} delegation token + POST to the entity (own process, ${users.length} users, no device enrolled, so the entity stores and answers 201); theirs: triggerAuthenticationDevice does nothing. ~${Math.ceil(sent / users.length)} requests per user in the row.`,
    },
  ];

  // --- poll answering authorization_pending --------------------------------------------------
  const poolUsers = await ctx.nod.call<Array<{ sub: string }>>('seedUsers', { count: 10, prefix: 'bench-pool' });
  const poolSize = ctx.quick ? 4000 : 12_000;
  const interval = 1;
  // Short-lived (the row lasts under a minute) so later sections do not carry 12,000 records in every write.
  const oursIds = await ctx.nod.call<string[]>('pendingPool', {
    count: poolSize,
    clientId: 'demo-bank',
    subs: poolUsers.map((u) => u.sub),
    expiresIn: ctx.quick ? 30 : 90,
    interval,
  });
  const theirsIds: string[] = [];
  for (let i = 0; i < (ctx.quick ? 100 : 500); i++) {
    const r = await postForm(theirs.backchannel_authentication_endpoint, bcBody(`pool-${i}`, 600), AUTH);
    if (r.status !== 200) throw new Error(`theirs bc-authorize for the pool: ${r.status}`);
    theirsIds.push(r.json.auth_req_id);
  }
  const pollBody = (id: string) => `grant_type=${encodeURIComponent(CIBA)}&auth_req_id=${id}`;
  const expectPending = async (url: string, id: string) => {
    const r = await postForm(url, pollBody(id), AUTH);
    if (r.json?.error !== 'authorization_pending') throw new Error(`poll of ${url}: ${r.status} ${JSON.stringify(r.json)}`);
  };
  await expectPending(ours.token_endpoint, oursIds.at(-1)!);
  await expectPending(theirs.token_endpoint, theirsIds.at(-1)!);
  ctx.log('CIBA token poll (authorization_pending)');
  const poll = await compare(
    { server: ctx.nod, spec: () => spec(ours.token_endpoint, oursIds.map(pollBody), 400) },
    { server: ctx.panva, spec: () => spec(theirs.token_endpoint, theirsIds.map(pollBody), 400) },
    opts,
  );
  // Every id was polled at most once per pool/rps seconds: that must exceed the interval.
  const cycle = poolSize / Math.max(...poll.ours.rounds.map((r) => r.rps));
  // Slowed-down ids would now carry an interval of 6 s: after one interval, a pending answer means none was.
  await new Promise((r) => setTimeout(r, interval * 1000 + 100));
  await expectPending(ours.token_endpoint, oursIds[0]!);
  rows.push({
    kind: 'compare',
    name: 'CIBA poll → authorization_pending',
    ...poll,
    ratio: poll.ours.rps / poll.theirs.rps,
    note: `ours: ${poolSize} pending ids round robin, interval ${interval} s, each id polled every ${cycle.toFixed(1)} s${cycle < interval ? ' — SHORTER than the interval: some answers were slow_down' : ''} (each poll stores lastPolledAt, not durable); theirs: ${theirsIds.length} ids, no interval check (it never answers slow_down). The load generator counts status codes only; a pending answer is checked on both sides before, and on ours after, the rounds.`,
  });
  return rows;
}
