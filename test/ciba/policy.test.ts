/**
 * The provider-wide CIBA policy (Keycloak's "CIBA Policy" tab): each setting changes what the
 * backchannel endpoint answers, and a client's own metadata overrides it; the anti-fatigue limit
 * is a policy value too (0 turns it off).
 */
import { test, before, after, afterEach, describe } from '../helpers/node-test.ts';
import { randomUUID } from 'node:crypto';
import assert from 'node:assert/strict';
import { exportJWK, generateKeyPair, SignJWT } from 'jose';
import { cibaPolicy, resetCibaPolicy, setCibaPolicy } from '../../provider/ciba/policy.ts';
import { backchannel, cibaClient, decide, poll, Receiver, startCiba, type CibaSetup } from './helpers.ts';
import { newUser } from '../../provider/models/user.ts';

let s: CibaSetup;
let receiver: Receiver;
/** No delivery mode, ciba_expires_in or ciba_interval of its own: the policy decides. */
let plain: { client_id: string; secret: string };
/** No delivery mode, but a notification endpoint: a ping or push default can reach it. */
let reachable: { client_id: string; secret: string };
/** Registers all three itself. */
let own: { client_id: string; secret: string };
const NOTIFY = 'policy-notify-token';

before(async () => {
  s = await startCiba();
  receiver = await Receiver.start('/notify');
  const none = { backchannel_token_delivery_mode: undefined, ciba_interval: undefined };
  plain = await cibaClient(s, 'policy-plain', none);
  reachable = await cibaClient(s, 'policy-reachable', { ...none, backchannel_client_notification_endpoint: receiver.url });
  own = await cibaClient(s, 'policy-own', { backchannel_token_delivery_mode: 'poll', ciba_expires_in: 30, ciba_interval: 2 });
});
after(async () => {
  await s?.stop();
  await receiver?.close();
});
afterEach(() => resetCibaPolicy(s.provider.ctx, ['deliveryMode', 'acceptedHints', 'expiresIn', 'interval']));

/** Starts a request that must succeed; takes its delegation off the entity. */
async function started(client: { client_id: string; secret: string }, form: Record<string, string> = {}) {
  const hinted = ['login_hint', 'login_hint_token', 'id_token_hint'].some((h) => h in form);
  const r = await backchannel(s, client, { scope: 'openid', ...(hinted ? {} : { login_hint: 'alice' }), ...form });
  assert.equal(r.status, 200, JSON.stringify(r.body));
  return { body: r.body, delegation: await s.entity.next() };
}

async function refused(client: { client_id: string; secret: string }, form: Record<string, string>, error: string, description: RegExp) {
  const r = await backchannel(s, client, { scope: 'openid', ...form });
  assert.equal(r.status, 400, JSON.stringify(r.body));
  assert.equal(r.body.error, error);
  assert.match(String(r.body.error_description), description);
}

test("the policy starts from Keycloak's defaults: poll, 120 s, 5 s, every hint", async () => {
  const policy = await cibaPolicy(s.provider.ctx);
  assert.equal(policy.deliveryMode, 'poll');
  assert.deepEqual(policy.acceptedHints, ['login_hint', 'login_hint_token', 'id_token_hint']);
  const { body } = await started(plain);
  assert.equal(body.expires_in, 120);
  assert.equal(body.interval, 5);
  assert.equal((await poll(s, plain, body.auth_req_id as string)).body.error, 'authorization_pending', 'poll mode: the client polls');
});

test('expires_in and interval of the policy apply to clients without their own; client metadata and requested_expiry win', async () => {
  await setCibaPolicy(s.provider.ctx, { expiresIn: 45, interval: 9 });
  const { body } = await started(plain);
  assert.equal(body.expires_in, 45);
  assert.equal(body.interval, 9);
  const mine = await started(own);
  assert.equal(mine.body.expires_in, 30);
  assert.equal(mine.body.interval, 2);
  assert.equal((await started(plain, { requested_expiry: '20' })).body.expires_in, 20);
});

test('default delivery mode ping: a client without a mode must send a notification token and is pinged', async () => {
  await setCibaPolicy(s.provider.ctx, { deliveryMode: 'ping' });
  await refused(reachable, { login_hint: 'alice' }, 'invalid_request', /client_notification_token is required in ping mode/);
  const { body, delegation } = await started(reachable, { client_notification_token: NOTIFY });
  assert.equal(body.interval, 5);
  await decide(s, delegation.bearer, 'SUCCEED');
  const note = await receiver.next();
  assert.equal(note.headers.authorization, `Bearer ${NOTIFY}`);
  assert.deepEqual(note.body, { auth_req_id: body.auth_req_id });
  assert.ok((await poll(s, reachable, body.auth_req_id as string)).body.access_token, 'a ping client redeems at the token endpoint');
});

test('default delivery mode push: tokens are pushed, no interval, and the token endpoint refuses the request', async () => {
  await setCibaPolicy(s.provider.ctx, { deliveryMode: 'push' });
  const { body, delegation } = await started(reachable, { client_notification_token: NOTIFY });
  assert.equal(body.interval, undefined);
  const polled = await poll(s, reachable, body.auth_req_id as string);
  assert.equal(polled.body.error, 'unauthorized_client');
  await decide(s, delegation.bearer, 'SUCCEED');
  const pushed = await receiver.next();
  assert.equal(pushed.body.auth_req_id, body.auth_req_id);
  assert.ok(pushed.body.access_token && pushed.body.id_token);
});

test('a ping or push default refuses a client that registered no notification endpoint, saying why', async () => {
  for (const deliveryMode of ['ping', 'push'] as const) {
    await setCibaPolicy(s.provider.ctx, { deliveryMode });
    await refused(
      plain,
      { login_hint: 'alice', client_notification_token: NOTIFY },
      'unauthorized_client',
      new RegExp(`default token delivery mode is ${deliveryMode}.*backchannel_client_notification_endpoint`),
    );
  }
});

test("a client's registered delivery mode overrides the policy's default", async () => {
  await setCibaPolicy(s.provider.ctx, { deliveryMode: 'push' });
  const { body } = await started(own);
  assert.equal(body.interval, 2, 'still poll: an interval, no notification token needed');
  assert.equal((await poll(s, own, body.auth_req_id as string)).body.error, 'authorization_pending');
});

test('each hint the policy turns off is refused with invalid_request that says so; the others still work', async () => {
  const { privateKey, publicKey } = await generateKeyPair('ES256');
  await setCibaPolicy(s.provider.ctx, {
    loginHintTokenIssuers: [{ issuer: 'https://directory.example', jwks: { keys: [{ ...(await exportJWK(publicKey)), kid: 'k' }] } }],
  });
  const alice = (await s.provider.ctx.models.users.findBy('username', 'alice'))[0]!.value;
  const hints = {
    login_hint: async () => 'alice',
    login_hint_token: () =>
      new SignJWT({ sub: alice.sub })
        .setProtectedHeader({ alg: 'ES256', kid: 'k' })
        .setIssuer('https://directory.example')
        .setIssuedAt()
        .setExpirationTime('5m')
        .sign(privateKey),
    id_token_hint: () => s.provider.ctx.keys.sign({ iss: s.issuer, aud: plain.client_id, sub: alice.sub, iat: 1, exp: 2 }, 'RS256'),
  };
  const kinds = Object.keys(hints) as Array<keyof typeof hints>;
  try {
    for (const off of kinds) {
      const on = kinds.filter((k) => k !== off);
      await setCibaPolicy(s.provider.ctx, { acceptedHints: on });
      await refused(
        plain,
        { [off]: await hints[off]() },
        'invalid_request',
        new RegExp(`^${off} is not accepted by this provider's CIBA policy \\(accepted: ${on.join(', ')}\\)$`),
      );
      for (const k of on) await started(plain, { [k]: await hints[k]() });
    }
  } finally {
    await setCibaPolicy(s.provider.ctx, { loginHintTokenIssuers: [] });
  }
});

test('bad values are refused with what is allowed, and nothing is stored', async () => {
  const ctx = s.provider.ctx;
  await assert.rejects(setCibaPolicy(ctx, { expiresIn: 601 }), /expires_in must be an integer from 1 to 600/);
  await assert.rejects(setCibaPolicy(ctx, { expiresIn: 0 }), /positive integer/);
  await assert.rejects(setCibaPolicy(ctx, { interval: 0 }), /positive integer/);
  await assert.rejects(setCibaPolicy(ctx, { deliveryMode: 'email' as 'poll' }), /one of poll, ping, push/);
  await assert.rejects(setCibaPolicy(ctx, { acceptedHints: [] }), /one or more of login_hint, login_hint_token, id_token_hint/);
  await assert.rejects(setCibaPolicy(ctx, { acceptedHints: ['phone' as 'login_hint'] }), /one or more of/);
  const policy = await cibaPolicy(ctx);
  assert.equal(policy.expiresIn, 120);
  assert.equal(policy.interval, 5);
  assert.equal(policy.deliveryMode, 'poll');
  assert.equal(policy.acceptedHints.length, 3);
});

describe('anti-fatigue as policy', () => {
  /** A fresh user, so that earlier requests do not count. */
  async function freshUser(): Promise<string> {
    const user = await newUser(`fatigue-${randomUUID().slice(0, 8)}`, 'long passphrase', {}, 1);
    await s.provider.ctx.models.users.put(user.sub, user);
    return user.username;
  }
  async function ask(client: { client_id: string; secret: string }, username: string) {
    const r = await backchannel(s, client, { scope: 'openid', login_hint: username });
    if (r.status === 200) await s.entity.next();
    return r;
  }
  afterEach(() => setCibaPolicy(s.provider.ctx, { fatigueLimit: 1000, fatigueWindow: 60 }));

  test('the policy limit applies per user: beyond it, too_many_requests with Retry-After', async () => {
    await setCibaPolicy(s.provider.ctx, { fatigueLimit: 2, fatigueWindow: 30 });
    const user = await freshUser();
    for (let i = 0; i < 2; i++) assert.equal((await ask(plain, user)).status, 200);
    const refused = await ask(plain, user);
    assert.equal(refused.status, 429);
    assert.equal(refused.body.error, 'too_many_requests');
    assert.ok(Number(refused.headers.get('retry-after')) >= 1);
    assert.equal((await ask(plain, await freshUser())).status, 200, 'another user is not affected');
  });

  test('--fatigue-limit 0 turns the limit off', async () => {
    await setCibaPolicy(s.provider.ctx, { fatigueLimit: 0 });
    assert.equal((await cibaPolicy(s.provider.ctx)).fatigueLimit, 0);
    const user = await freshUser();
    for (let i = 0; i < 8; i++) assert.equal((await ask(plain, user)).status, 200);
  });

  test("a client's ciba_fatigue_limit and ciba_fatigue_window override the policy, both ways", async () => {
    const strict = await cibaClient(s, 'fatigue-strict', { ciba_fatigue_limit: 1, ciba_fatigue_window: 30 });
    const unlimited = await cibaClient(s, 'fatigue-off', { ciba_fatigue_limit: 0 });
    await setCibaPolicy(s.provider.ctx, { fatigueLimit: 3 });
    const user = await freshUser();
    assert.equal((await ask(strict, user)).status, 200);
    assert.equal((await ask(strict, user)).status, 429, 'its own limit of 1');
    for (let i = 0; i < 2; i++) assert.equal((await ask(plain, user)).status, 200);
    assert.equal((await ask(plain, user)).status, 429, 'the policy limit of 3 counts every request of the user, whichever client made it');
    for (let i = 0; i < 4; i++) assert.equal((await ask(unlimited, user)).status, 200, 'off for this client');
  });

  test('bad values are refused: a negative or fractional limit, a window of 0, bad client metadata', async () => {
    const ctx = s.provider.ctx;
    await assert.rejects(setCibaPolicy(ctx, { fatigueLimit: -1 }), /fatigueLimit must be a whole number \(0 turns it off\)/);
    await assert.rejects(setCibaPolicy(ctx, { fatigueLimit: 1.5 }), /fatigueLimit must be a whole number/);
    await assert.rejects(setCibaPolicy(ctx, { fatigueWindow: 0 }), /fatigueWindow must be a positive integer/);
    await assert.rejects(cibaClient(s, 'fatigue-bad', { ciba_fatigue_limit: -1 }), /ciba_fatigue_limit: must be a whole number/);
    await assert.rejects(cibaClient(s, 'fatigue-bad', { ciba_fatigue_window: 0 }), /ciba_fatigue_window: must be a positive integer/);
  });
});
