/**
 * CIBA side by side: the backchannel authentication request, and a token poll that answers
 * authorization_pending.
 *
 * bc-authorize, three sides in turn: ours authenticates the client, validates, stores the
 * request (durable group commit), signs the delegation token (ES256 by default) and waits for
 * the real entity (its own process) to answer 201; theirs stores in memory and its
 * `triggerAuthenticationDevice` does the same channel work (ES256 bearer token, POST to the same
 * entity, awaits the 201); and theirs again with a hook that does nothing, so that the cost of
 * the channel shows. login_hint continues through many users across rounds so that our
 * anti-fatigue limit (5 per user per minute, left at its default) is not what is measured.
 *
 * poll: ours enforces the poll interval (slow_down would change the answer), so its pool of
 * pending auth_req_ids is large enough that each is polled less often than its interval (set to
 * 1 s for the run with NOD_CIBA_INTERVAL's config field); theirs has no interval check, so a
 * pool of a few thousand is created through its endpoint.
 */
import { DELEGATION_TOKEN_ALG } from '../../provider/ciba/delegation.ts';
import type { RoundInfo } from '../lib/compare.ts';
import { basic, compareRow, discover, NotAvailable, postForm, type BenchContext, type CompareRow } from '../lib/context.ts';
import { formLoad, oursSide, rotate, theirsSide } from '../lib/sides.ts';

const AUTH = basic('demo-bank', 'demo-bank-secret');
const CIBA = 'urn:openid:params:grant-type:ciba';
/** Anti-fatigue at its default: 5 requests per user per 60 s. Users enough that none is asked more often, with a margin. */
const USERS_PER_RPS = 13;

function bcBody(username: string, expiry: number): string {
  return new URLSearchParams({ scope: 'openid profile', login_hint: username, binding_message: 'Bench sign-in', requested_expiry: String(expiry) }).toString();
}

async function endpoints(ctx: BenchContext) {
  const ours = await discover(ctx.nod.info.issuer);
  const theirs = await discover(ctx.panva.info.issuer);
  if (!ours.backchannel_authentication_endpoint) throw new NotAvailable('our provider has no backchannel_authentication_endpoint in discovery');
  if (!ctx.entity) throw new NotAvailable(`the entity could not be started: ${ctx.entityError ?? 'unknown'}`);
  return { ours, theirs };
}

export async function bcRows(ctx: BenchContext): Promise<CompareRow[]> {
  const { ours, theirs } = await endpoints(ctx);
  const expiry = 20;
  const users: string[] = [];
  /** Seeds users on both sides until there are `count`. */
  const grow = async (count: number) => {
    if (users.length >= count) return;
    const made = await ctx.nod.call<Array<{ username: string }>>('seedUsers', { count, prefix: 'bench-bc' });
    users.splice(0, users.length, ...made.map((u) => u.username));
    await ctx.panva.call('seedAccounts', { usernames: users });
  };
  await grow(ctx.quick ? 600 : 10_000);
  const probe = await postForm(ours.backchannel_authentication_endpoint, bcBody('bench-bc-probe-none', expiry), AUTH);
  if (probe.status !== 400) throw new Error(`expected unknown_user_id for an unknown user, got ${probe.status}`);
  const hook = (h: 'delegate' | 'none') => () => ctx.panva.call('setCibaHook', { hook: h });
  await hook('delegate')();
  // One request each before the rounds (the entity fetches each issuer's keys on its first delegation).
  for (const [side, url] of [
    ['ours', ours.backchannel_authentication_endpoint],
    ['theirs', theirs.backchannel_authentication_endpoint],
  ]) {
    const check = await postForm(url, bcBody(users.at(-1)!, expiry), AUTH);
    if (check.status !== 200) throw new Error(`${side} bc-authorize: ${check.status} ${JSON.stringify(check.json)}`);
  }

  // Each side continues through the users where its last round stopped.
  const side = (url: string, limited: boolean) => {
    let offset = 0;
    return async (round: RoundInfo) => {
      if (round.previous) offset += round.previous.requests;
      if (limited) await grow(Math.ceil(USERS_PER_RPS * (round.previous?.rps ?? 0)));
      return formLoad(
        ctx,
        url,
        AUTH,
        rotate(users, offset).map((u) => bcBody(u, expiry)),
        200,
      );
    };
  };
  ctx.log('CIBA backchannel authentication request: ours, theirs delegating, theirs no-op');
  const [o, fair, noop] = await ctx.compare('bc', [
    oursSide(ctx, side(ours.backchannel_authentication_endpoint, true), { entity: true }),
    theirsSide(ctx, side(theirs.backchannel_authentication_endpoint, false), { name: 'theirs delegating', entity: true, before: hook('delegate') }),
    theirsSide(ctx, side(theirs.backchannel_authentication_endpoint, false), { name: 'theirs no-op', before: hook('none') }),
  ]);
  return [
    compareRow(
      'bc',
      'CIBA bc-authorize (poll mode, both delegate)',
      o!,
      fair!,
      `both sign an ES256 delegation token and POST it to the same entity (own process; no device enrolled, so it stores the request durably and answers 201) and await the 201 before answering; ours: request stored durably (fsynced) first, token ${DELEGATION_TOKEN_ALG}; theirs: request in memory; ${users.length} users, each asked at most about once per ${(users.length / Math.max(1, o!.rps)).toFixed(0)} s`,
    ),
    compareRow(
      'bc-noop',
      'CIBA bc-authorize (theirs: no-op hook)',
      o!,
      noop!,
      "same ours rounds as the row above; theirs: triggerAuthenticationDevice does nothing (nobody is told): the gap to the row above is the channel's cost",
    ),
  ];
}

export async function pollRows(ctx: BenchContext): Promise<CompareRow[]> {
  const { ours, theirs } = await endpoints(ctx);
  const poolUsers = await ctx.nod.call<Array<{ sub: string }>>('seedUsers', { count: 10, prefix: 'bench-pool' });
  const poolSize = ctx.quick ? 4000 : 20_000;
  const interval = 1;
  // Theirs first: made through its endpoint, it can take a while on a busy machine.
  const theirsCount = ctx.quick ? 100 : 2000;
  const theirsUsers = Array.from({ length: theirsCount }, (_, i) => `pool-${i}`);
  await ctx.panva.call('seedAccounts', { usernames: theirsUsers });
  await ctx.panva.call('setCibaHook', { hook: 'none' });
  const theirsIds: string[] = [];
  for (let i = 0; i < theirsUsers.length; i += 20) {
    const made = await Promise.all(theirsUsers.slice(i, i + 20).map((u) => postForm(theirs.backchannel_authentication_endpoint, bcBody(u, 600), AUTH)));
    for (const r of made) {
      if (r.status !== 200) throw new Error(`theirs bc-authorize for the pool: ${r.status}`);
      theirsIds.push(r.json.auth_req_id);
    }
  }
  // Ours lives long enough for any machine; the row removes it when done, so later sections do not carry it.
  const oursIds = await ctx.nod.call<string[]>('pendingPool', {
    count: poolSize,
    clientId: 'demo-bank',
    subs: poolUsers.map((u) => u.sub),
    expiresIn: 600,
    interval,
  });
  const pollBody = (id: string) => `grant_type=${encodeURIComponent(CIBA)}&auth_req_id=${id}`;
  const expectPending = async (url: string, id: string) => {
    const r = await postForm(url, pollBody(id), AUTH);
    if (r.json?.error !== 'authorization_pending') throw new Error(`poll of ${url}: ${r.status} ${JSON.stringify(r.json)}`);
  };
  await expectPending(ours.token_endpoint, oursIds.at(-1)!);
  await expectPending(theirs.token_endpoint, theirsIds.at(-1)!);
  ctx.log('CIBA token poll (authorization_pending)');
  // Each side continues the round robin where its last round stopped (plus one request per
  // connection that may have been sent unanswered): restarting at the first id would poll the ids
  // the warm-up just polled again at once, a slow_down that adds 5 s to their interval, after
  // which every cycle polls them too early again.
  const pollSide = (url: string, ids: readonly string[]) => {
    let offset = 0;
    return (round: RoundInfo) => {
      if (round.previous) offset += round.previous.requests + ctx.connections;
      return formLoad(ctx, url, AUTH, rotate(ids, offset).map(pollBody), 400);
    };
  };
  const [o, t] = await ctx.compare('poll', [
    oursSide(ctx, pollSide(ours.token_endpoint, oursIds)),
    theirsSide(ctx, pollSide(theirs.token_endpoint, theirsIds)),
  ]);
  // Every id was polled at most once per pool/rps seconds: that must exceed the interval.
  const cycle = poolSize / Math.max(...o!.rounds.map((r) => r.rps));
  // Slowed-down ids would now carry an interval of 6 s: after one interval, a pending answer means none was.
  await new Promise((r) => setTimeout(r, interval * 1000 + 100));
  await expectPending(ours.token_endpoint, oursIds[0]!);
  await ctx.nod.call('destroyCibaRequests', { ids: oursIds });
  return [
    compareRow(
      'poll',
      'CIBA poll → authorization_pending',
      o!,
      t!,
      `ours: ${poolSize} pending ids round robin, interval ${interval} s, each id polled every ${cycle.toFixed(1)} s${cycle < interval ? ' — SHORTER than the interval: some answers were slow_down' : ''} (each poll stores lastPolledAt, not durable); theirs: ${theirsIds.length} ids, no interval check (it never answers slow_down). The load generator counts status codes only; a pending answer is checked on both sides before, and on ours after, the rounds.`,
    ),
  ];
}
