/**
 * Withdrawal by the client (a Nod extension): the client revokes its own pending auth_req_id at
 * the revocation endpoint with token_type_hint=auth_req_id; the provider tells the entity with
 * the delegation's own bearer token and {"status": "WITHDRAWN"}, and later polls get
 * access_denied with a description. Another client's id or an answered request changes nothing
 * and still gets 200 (RFC 7009); client authentication is required.
 */
import { test, before, after } from '../helpers/node-test.ts';
import assert from 'node:assert/strict';
import * as oidc from 'openid-client';
import { randomUUID } from 'node:crypto';
import { backchannel, cibaClient, decide, nextEvent, poll, post, rp, sleep, startCiba, type CibaSetup } from './helpers.ts';
import { setCibaPolicy } from '../../provider/ciba/policy.ts';
import { expireRequest } from '../../provider/ciba/decide.ts';
import { deliverOutcome } from '../../provider/ciba/deliver.ts';
import { CibaLifecycle } from '../../provider/ciba/lifecycle.ts';
import { tellEntityOfWithdrawal } from '../../provider/ciba/withdraw.ts';
import { newUser } from '../../provider/models/user.ts';

let s: CibaSetup;
let bank: { client_id: string; secret: string };
let other: { client_id: string; secret: string };

before(async () => {
  s = await startCiba();
  bank = await cibaClient(s, 'wd-bank');
  other = await cibaClient(s, 'wd-other');
});
after(() => s.stop());

async function started(client = bank) {
  const r = await backchannel(s, client, { scope: 'openid', login_hint: 'alice' });
  assert.equal(r.status, 200, JSON.stringify(r.body));
  return { authReqId: r.body.auth_req_id as string, delegation: await s.entity.next() };
}

function revoke(client: { client_id: string; secret: string } | undefined, token: string, hint = 'auth_req_id') {
  return post(s.provider.ctx.urls.revocation, { token, ...(hint ? { token_type_hint: hint } : {}) }, client).catch(() => ({ status: 0 }));
}

/** The revocation endpoint answers an empty 200; post() parses JSON, so read it raw. */
async function revokeRaw(client: { client_id: string; secret: string } | undefined, token: string, hint = 'auth_req_id') {
  const headers: Record<string, string> = { 'Content-Type': 'application/x-www-form-urlencoded' };
  if (client) headers.Authorization = `Basic ${Buffer.from(`${client.client_id}:${client.secret}`).toString('base64')}`;
  const res = await fetch(s.provider.ctx.urls.revocation, {
    method: 'POST',
    headers,
    body: new URLSearchParams({ token, ...(hint ? { token_type_hint: hint } : {}) }),
  });
  return { status: res.status, body: await res.text() };
}

test('the client withdraws its pending request: 200, the entity is told with a token for the same delegation, polls get access_denied', async () => {
  const { authReqId, delegation } = await started();
  const withdrawn = nextEvent(s, 'backchannel_authentication.withdrawn', authReqId);
  assert.equal((await revokeRaw(bank, authReqId)).status, 200);
  await withdrawn;
  const notice = await s.entity.next();
  assert.ok(notice.claims, `the notice's token verifies against the JWKS: ${notice.verifyError}`);
  for (const claim of ['iss', 'aud', 'jti', 'sub', 'azp', 'exp'] as const)
    assert.deepEqual(notice.claims[claim], delegation.claims![claim], `${claim}: the same delegation`);
  assert.deepEqual(notice.body, { status: 'WITHDRAWN' });
  assert.match(String(notice.headers['content-type']), /^application\/json/);
  const polled = await poll(s, bank, authReqId);
  assert.equal(polled.status, 400);
  assert.equal(polled.body.error, 'access_denied');
  assert.equal(polled.body.error_description, 'the client withdrew the request');
  const stored = await s.provider.ctx.models.cibaRequests.find(authReqId);
  assert.equal(stored?.status, 'withdrawn');
  // The entity's decision, arriving late, is refused: the request is no longer pending.
  const late = await decide(s, delegation.bearer, 'SUCCEED');
  assert.equal(late.status, 400);
  assert.equal(late.body.error, 'invalid_grant');
  assert.equal(late.body.error_description, 'the client withdrew the request');
  assert.equal((await s.provider.ctx.models.cibaRequests.find(authReqId))?.status, 'withdrawn', 'still withdrawn');
});

test('openid-client tokenRevocation with token_type_hint=auth_req_id withdraws the request', async () => {
  const config = await rp(s, bank.client_id, bank.secret);
  const auth = await oidc.initiateBackchannelAuthentication(config, { scope: 'openid', login_hint: 'alice' });
  await s.entity.next();
  await oidc.tokenRevocation(config, auth.auth_req_id, { token_type_hint: 'auth_req_id' });
  await s.entity.next();
  await assert.rejects(oidc.pollBackchannelAuthenticationGrant(config, auth), (e: { error?: string; error_description?: string }) => {
    assert.equal(e.error, 'access_denied');
    assert.equal(e.error_description, 'the client withdrew the request');
    return true;
  });
});

test("another client's auth_req_id: 200 and nothing changes", async () => {
  const { authReqId } = await started();
  assert.equal((await revokeRaw(other, authReqId)).status, 200);
  assert.equal((await s.provider.ctx.models.cibaRequests.find(authReqId))?.status, 'pending');
  assert.equal((await poll(s, bank, authReqId)).body.error, 'authorization_pending');
});

test('an answered request: 200 and the client still gets its tokens; an unknown id: 200', async () => {
  const { authReqId, delegation } = await started();
  assert.equal((await decide(s, delegation.bearer, 'SUCCEED')).status, 200);
  assert.equal((await revokeRaw(bank, authReqId)).status, 200);
  assert.equal((await s.provider.ctx.models.cibaRequests.find(authReqId))?.status, 'approved');
  assert.ok((await poll(s, bank, authReqId)).body.access_token);
  assert.equal((await revokeRaw(bank, 'no-such-auth-req-id')).status, 200);
});

test('a hint-less revocation finds the auth_req_id too (RFC 7009: the hint only orders the search)', async () => {
  const { authReqId } = await started();
  assert.equal((await revokeRaw(bank, authReqId, '')).status, 200);
  assert.deepEqual((await s.entity.next()).body, { status: 'WITHDRAWN' });
  assert.equal((await poll(s, bank, authReqId)).body.error, 'access_denied');
});

test('client authentication is required: without it, or with a wrong secret, 401 and nothing changes', async () => {
  const { authReqId } = await started();
  assert.equal((await revoke(undefined, authReqId)).status, 401);
  assert.equal((await revoke({ ...bank, secret: 'wrong' }, authReqId)).status, 401);
  assert.equal((await s.provider.ctx.models.cibaRequests.find(authReqId))?.status, 'pending');
});

test('the entity being down when told is retried until it answers', async () => {
  const { authReqId } = await started();
  let refusals = 0;
  s.entity.receiver.answer = () => (refusals++ < 1 ? 503 : 200);
  try {
    const told = nextEvent(s, 'backchannel_authentication.withdrawal_told', authReqId, 10_000);
    assert.equal((await revokeRaw(bank, authReqId)).status, 200);
    assert.equal((await told).ok, true);
    assert.deepEqual((await s.entity.next()).body, { status: 'WITHDRAWN' });
    assert.deepEqual((await s.entity.next()).body, { status: 'WITHDRAWN' }, 'a second attempt after the 503');
    assert.deepEqual((await s.provider.ctx.models.cibaRequests.find(authReqId))?.withdrawal, { entityTold: true });
  } finally {
    s.entity.receiver.answer = () => 201;
  }
});

test('a withdrawn request holds its anti-fatigue slot only to the end of its window, like a decided one', async () => {
  const ctx = s.provider.ctx;
  const user = await newUser(`withdraw-${randomUUID().slice(0, 8)}`, 'long passphrase', {}, 1);
  await ctx.models.users.put(user.sub, user);
  await setCibaPolicy(ctx, { fatigueLimit: 1, fatigueWindow: 1 });
  try {
    const first = await backchannel(s, bank, { scope: 'openid', login_hint: user.username });
    assert.equal(first.status, 200);
    await s.entity.next();
    assert.equal((await backchannel(s, bank, { scope: 'openid', login_hint: user.username })).status, 429, 'the pending request holds the one slot');
    const told = nextEvent(s, 'backchannel_authentication.withdrawal_told', first.body.auth_req_id as string);
    assert.equal((await revokeRaw(bank, first.body.auth_req_id as string)).status, 200);
    await told;
    await s.entity.next();
    // Without the shortening, the slot would last until the request's expiry (120 s).
    const deadline = Date.now() + 5000;
    while ((await ctx.store.slots.count(`fatigue:${user.sub}`)) > 0 && Date.now() < deadline) await sleep(50);
    const again = await backchannel(s, bank, { scope: 'openid', login_hint: user.username });
    assert.equal(again.status, 200, JSON.stringify(again.body));
    await s.entity.next();
  } finally {
    await setCibaPolicy(ctx, { fatigueLimit: 1000, fatigueWindow: 60 });
  }
});

test('a notice in flight when the provider stops is sent again by the next lifecycle on the store (a restart, or another node)', async () => {
  const { authReqId } = await started();
  const { ctx } = s.provider;
  s.entity.receiver.answer = () => 'hang';
  try {
    assert.equal((await revokeRaw(bank, authReqId)).status, 200);
    assert.deepEqual((await s.entity.next()).body, { status: 'WITHDRAWN' }, 'the first attempt, never answered');
    // This node's CIBA work stops (as on a stop or restart): the notice is handed back to the store's queue.
    await ctx.ciba.stop();
    s.entity.receiver.answer = () => 201;
    const next = new CibaLifecycle(ctx.store.scheduler, ctx.log, {
      expire: (id) => expireRequest(ctx, id),
      deliver: (id, signal) => deliverOutcome(ctx, id, signal),
      tellWithdrawal: (id, signal) => tellEntityOfWithdrawal(ctx, id, signal),
    });
    // The provider's close() stops the new one.
    Object.assign(ctx, { ciba: next });
    const retold = nextEvent(s, 'backchannel_authentication.withdrawal_told', authReqId);
    next.start();
    assert.equal((await retold).ok, true);
    assert.deepEqual((await s.entity.next()).body, { status: 'WITHDRAWN' });
    assert.deepEqual((await ctx.models.cibaRequests.find(authReqId))?.withdrawal, { entityTold: true });
  } finally {
    s.entity.receiver.answer = () => 201;
  }
});

test('a withdrawal and a decision racing for the same request: exactly one wins, and the client gets what won', async () => {
  const requests = [];
  for (let i = 0; i < 12; i++) requests.push(await started());
  const raced = await Promise.all(
    requests.map(async ({ authReqId, delegation }, i) => {
      // Both at once, or the withdrawal a moment later: both outcomes happen, and the invariants hold for each.
      const [decided, revoked] = await Promise.all([
        decide(s, delegation.bearer, 'SUCCEED'),
        (i % 2 ? sleep(i % 4) : Promise.resolve()).then(() => revokeRaw(bank, authReqId)),
      ]);
      return { authReqId, revoked, decided };
    }),
  );
  let withdrawn = 0;
  for (const { authReqId, revoked, decided } of raced) {
    assert.equal(revoked.status, 200);
    const stored = await s.provider.ctx.models.cibaRequests.find(authReqId);
    const polled = await poll(s, bank, authReqId);
    if (stored?.status === 'withdrawn') {
      withdrawn++;
      assert.equal(decided.status, 400, 'the decision lost: refused');
      assert.equal(decided.body.error, 'invalid_grant');
      assert.equal(polled.body.error, 'access_denied');
    } else {
      assert.equal(stored?.status, 'approved', 'the decision won');
      assert.equal(decided.status, 200);
      assert.ok(polled.body.access_token, JSON.stringify(polled.body));
    }
  }
  // The entity hears of each withdrawal that won, and of no other.
  for (let i = 0; i < withdrawn; i++) assert.deepEqual((await s.entity.next()).body, { status: 'WITHDRAWN' });
  await assert.rejects(s.entity.receiver.next(300), /nothing received/);
});
