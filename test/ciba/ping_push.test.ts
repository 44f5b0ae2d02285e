/** CIBA ping and push delivery to a loopback client notification endpoint. */
import { test, before, after } from '../helpers/node-test.ts';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import * as oidc from 'openid-client';
import { createRemoteJWKSet, jwtVerify } from 'jose';
import { CIBA_GRANT_TYPE, CLAIM_AUTH_REQ_ID, CLAIM_RT_HASH } from '../../shared/constants.ts';
import { backchannel, cibaClient, decide, nextEvent, poll, Receiver, rp, startCiba, type CibaSetup } from './helpers.ts';

let s: CibaSetup;
let receiver: Receiver;
let ping: { client_id: string; secret: string };
let push: { client_id: string; secret: string };
let pingRp: oidc.Configuration;
const NOTIFY_TOKEN = 'n0tify-T0ken_for.the~client+/=';

before(async () => {
  s = await startCiba();
  receiver = await Receiver.start('/ciba/notify');
  ping = await cibaClient(s, 'ping-client', { backchannel_token_delivery_mode: 'ping', backchannel_client_notification_endpoint: receiver.url });
  push = await cibaClient(s, 'push-client', {
    backchannel_token_delivery_mode: 'push',
    backchannel_client_notification_endpoint: receiver.url,
    grant_types: [CIBA_GRANT_TYPE, 'refresh_token'],
  });
  pingRp = await rp(s, ping.client_id, ping.secret);
});
after(async () => {
  await s?.stop();
  await receiver?.close();
});

/** Left half of SHA-256, base64url: how a client recomputes at_hash and rt_hash for RS256. */
const leftHalf = (v: string) => createHash('sha256').update(v).digest().subarray(0, 16).toString('base64url');

async function startFor(client: { client_id: string; secret: string }, form: Record<string, string> = {}) {
  const r = await backchannel(s, client, { scope: 'openid profile', login_hint: 'bob', client_notification_token: NOTIFY_TOKEN, ...form });
  assert.equal(r.status, 200, JSON.stringify(r.body));
  const delegation = await s.entity.next();
  return { authReqId: r.body.auth_req_id as string, body: r.body, delegation };
}

test('ping: SUCCEED notifies the client with its bearer token and exactly {auth_req_id}; then it redeems', async () => {
  const response = await oidc.initiateBackchannelAuthentication(pingRp, {
    scope: 'openid profile',
    login_hint: 'bob',
    client_notification_token: NOTIFY_TOKEN,
  });
  assert.equal(response.interval, 1);
  const delegation = await s.entity.next();
  await decide(s, delegation.bearer, 'SUCCEED');
  const note = await receiver.next();
  assert.equal(note.headers.authorization, `Bearer ${NOTIFY_TOKEN}`);
  assert.match(String(note.headers['content-type']), /^application\/json/);
  assert.deepEqual(note.body, { auth_req_id: response.auth_req_id });
  const tokens = await oidc.genericGrantRequest(pingRp, CIBA_GRANT_TYPE, { auth_req_id: response.auth_req_id });
  assert.ok(tokens.id_token);
  assert.equal(tokens.claims()?.[CLAIM_AUTH_REQ_ID], undefined, 'auth_req_id is only put in pushed ID tokens');
});

test('ping: a denial is notified too, and the token endpoint then says access_denied', async () => {
  const { authReqId, delegation } = await startFor(ping);
  await decide(s, delegation.bearer, 'UNAUTHORIZED');
  assert.deepEqual((await receiver.next()).body, { auth_req_id: authReqId });
  assert.equal((await poll(s, ping, authReqId)).body.error, 'access_denied');
});

test('ping: expiry is notified, and the token endpoint then says expired_token', async () => {
  const { authReqId } = await startFor(ping, { requested_expiry: '1' });
  const expired = nextEvent(s, 'backchannel_authentication.expired', authReqId, 4000);
  assert.deepEqual((await receiver.next(4000)).body, { auth_req_id: authReqId });
  await expired;
  assert.equal((await poll(s, ping, authReqId)).body.error, 'expired_token');
});

test('push: the tokens are pushed with auth_req_id; the ID token carries auth_req_id, at_hash and rt_hash', async () => {
  const { authReqId, body, delegation } = await startFor(push, { scope: 'openid profile offline_access' });
  assert.equal(body.interval, undefined, 'no interval for push clients');
  await decide(s, delegation.bearer, 'SUCCEED');
  const note = await receiver.next();
  assert.equal(note.headers.authorization, `Bearer ${NOTIFY_TOKEN}`);
  const t = note.body as Record<string, string>;
  assert.equal(t.auth_req_id, authReqId);
  assert.equal(t.token_type, 'Bearer');
  assert.ok(t.access_token && t.refresh_token && t.id_token && t.expires_in);
  const { payload, protectedHeader } = await jwtVerify(t.id_token!, createRemoteJWKSet(new URL(`${s.issuer}/jwks`)), {
    issuer: s.issuer,
    audience: push.client_id,
  });
  assert.equal(protectedHeader.alg, 'RS256');
  assert.equal(payload[CLAIM_AUTH_REQ_ID], authReqId);
  assert.equal(payload.at_hash, leftHalf(t.access_token!));
  assert.equal(payload[CLAIM_RT_HASH], leftHalf(t.refresh_token!));
  assert.equal(payload.acr, 'urn:nod:acr:ciba');
  assert.equal(typeof payload.auth_time, 'number');
});

test('push: a push client cannot redeem at the token endpoint (unauthorized_client)', async () => {
  const { authReqId, delegation } = await startFor(push);
  const r = await poll(s, push, authReqId);
  assert.equal(r.body.error, 'unauthorized_client');
  await decide(s, delegation.bearer, 'SUCCEED');
  await receiver.next();
  assert.equal((await poll(s, push, authReqId)).body.error, 'unauthorized_client');
});

test('push: a denial is pushed as {auth_req_id, error, error_description}', async () => {
  const { authReqId, delegation } = await startFor(push);
  await decide(s, delegation.bearer, 'CANCELLED');
  const note = await receiver.next();
  assert.equal(note.body.auth_req_id, authReqId);
  assert.equal(note.body.error, 'access_denied');
  assert.equal(typeof note.body.error_description, 'string');
  assert.equal(note.body.access_token, undefined);
});

test('transient failures (503) are retried with backoff until delivered', async () => {
  let calls = 0;
  receiver.answer = () => (++calls <= 2 ? 503 : 204);
  try {
    const { authReqId, delegation } = await startFor(ping);
    const delivered = nextEvent(s, 'backchannel_authentication.delivered', authReqId);
    await decide(s, delegation.bearer, 'SUCCEED');
    assert.equal((await delivered).ok, true);
    assert.equal(calls, 3);
    for (let i = 0; i < 3; i++) await receiver.next();
  } finally {
    receiver.answer = () => 204;
  }
});

test('a 4xx from the client is final: one attempt, and pushed tokens nobody received are revoked', async () => {
  let calls = 0;
  receiver.answer = () => {
    calls++;
    return 401;
  };
  try {
    const { authReqId, delegation } = await startFor(push);
    const delivered = nextEvent(s, 'backchannel_authentication.delivered', authReqId);
    await decide(s, delegation.bearer, 'SUCCEED');
    assert.equal((await delivered).ok, false);
    assert.equal(calls, 1);
    const note = await receiver.next();
    const at = note.body.access_token as string;
    const introspected = await oidc.tokenIntrospection(pingRp, at);
    assert.equal(introspected.active, false);
  } finally {
    receiver.answer = () => 204;
  }
});

test('redirects from the notification endpoint are not followed', async () => {
  const before = receiver.received.length;
  receiver.answer = (r) => (r.body.auth_req_id ? 302 : 204);
  try {
    const { authReqId, delegation } = await startFor(ping);
    const delivered = nextEvent(s, 'backchannel_authentication.delivered', authReqId);
    await decide(s, delegation.bearer, 'SUCCEED');
    assert.equal((await delivered).ok, false);
    assert.equal(receiver.received.length, before + 1, 'only the one POST, no request to the Location');
    await receiver.next();
  } finally {
    receiver.answer = () => 204;
  }
});
