/**
 * Passkeys at the entity against a Keycloak-shaped issuer, with a software authenticator that
 * makes real WebAuthn registrations and assertions: registration (single-use challenge, origin,
 * RP ID, user verification), and approvals of requests asking for acr phr: the challenge bound to
 * the request, the device and what was shown, origin, RP ID, user verification and the counter
 * all checked; a refused approval leaves the request pending; a verified one calls back with
 * acr "phr" and amr "hwk user". Also: what the signed decision says was shown (shown_hash), and
 * the refusal at delegation of a phr request for a user without a passkey.
 */
import { test, before, after } from '../helpers/node-test.ts';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { ENTITY_API, type DeviceInfo, type DeviceRequest } from '../../shared/entity-api.ts';
import { PASSKEY_API, type PasskeyCreationOptions, type PasskeyRequestOptions, type PasskeyStatus } from '../../shared/passkey-api.ts';
import { shownHash } from '../../shared/shown.ts';
import { SoftAuthenticator, type Bend } from '../helpers/soft_authenticator.ts';
import { PAYMENT } from '../rar/helpers.ts';
import { delegate, nextEvent, SimDevice, startKeycloakIssuer, startTestServer, type TestServer } from './helpers.ts';

let keycloak: Awaited<ReturnType<typeof startKeycloakIssuer>>;
let server: TestServer;
let phone: SimDevice;
let tablet: SimDevice;
let carolPhone: SimDevice;
let key: SoftAuthenticator;
const aliceSub = randomUUID();
const carolSub = randomUUID();

async function json<T>(res: Response, status: number): Promise<T> {
  const text = await res.text();
  assert.equal(res.status, status, text);
  return (text ? JSON.parse(text) : undefined) as T;
}

async function registerPasskey(device: SimDevice, authenticator: SoftAuthenticator, bend: Bend = {}): Promise<Response> {
  const options = await json<PasskeyCreationOptions>(await device.api('POST', PASSKEY_API.options), 200);
  return device.api('POST', PASSKEY_API.passkey, { credential: authenticator.register(options, bend) });
}

before(async () => {
  keycloak = await startKeycloakIssuer();
  server = await startTestServer({ trustedIssuers: [keycloak.issuer] });
  phone = await SimDevice.create(server.url);
  tablet = await SimDevice.create(server.url);
  carolPhone = await SimDevice.create(server.url);
  assert.equal((await phone.enroll(await keycloak.accessToken({ sub: aliceSub, preferred_username: 'alice' }), 'Phone')).status, 201);
  assert.equal((await tablet.enroll(await keycloak.accessToken({ sub: aliceSub, preferred_username: 'alice' }), 'Tablet')).status, 201);
  assert.equal((await carolPhone.enroll(await keycloak.accessToken({ sub: carolSub, preferred_username: 'carol' }), 'Carol')).status, 201);
  key = new SoftAuthenticator(server.url);
});

after(async () => {
  await server?.stop();
  await keycloak?.close();
});

/** Delegates a request for `who` like Keycloak would, plus Nod's extensions. */
async function newRequest(body: Record<string, unknown> = {}, who = { sub: aliceSub, login_hint: 'alice' }) {
  const token = await keycloak.delegationToken({ sub: who.sub });
  const res = await delegate(server.delegationUrl, token, { login_hint: who.login_hint, scope: 'openid', is_consent_required: false, ...body });
  return { res, token };
}

async function phrRequest() {
  const { res, token } = await newRequest({ acr_values: 'phr', authorization_details: [PAYMENT], binding_message: 'PAY 4711' });
  const { id } = await json<{ id: string }>(res, 201);
  return { id, token };
}

/** What the app does on Approve: hash the request as shown, get a challenge, sign it with the passkey. */
async function proof(device: SimDevice, authenticator: SoftAuthenticator, id: string, bend: Bend = {}) {
  const shown = await shownHash(await json<DeviceRequest>(await device.api('GET', ENTITY_API.request(id)), 200));
  const options = await json<PasskeyRequestOptions>(await device.api('POST', PASSKEY_API.challenge(id), { shown_hash: shown }), 200);
  return { shown_hash: shown, passkey: authenticator.assert(options, bend), options };
}

const status = async (id: string) => ((await (await phone.api('GET', ENTITY_API.request(id))).json()) as DeviceRequest).status;

test('a phr request for a user with no passkey is refused at once: 403 access_denied with a description', async () => {
  const { res } = await newRequest({ acr_values: 'phr' });
  const body = await json<{ error: string; error_description: string }>(res, 403);
  assert.equal(body.error, 'access_denied');
  assert.match(body.error_description, /passkey/);
  assert.match(body.error_description, /Settings/, 'it says what the user can do');
  const nobody = await newRequest({ acr_values: 'urn:example:x phr' }, { sub: randomUUID(), login_hint: 'nobody' });
  assert.match((await json<{ error_description: string }>(nobody.res, 403)).error_description, /no device enrolled/);
  // Without phr nothing changes.
  assert.equal((await newRequest()).res.status, 201);
});

test('registration: a platform passkey with user verification; the challenge is single use; origin and RP ID must match', async () => {
  const options = await json<PasskeyCreationOptions>(await phone.api('POST', PASSKEY_API.options), 200);
  assert.equal(options.rp.id, '127.0.0.1');
  assert.equal(options.authenticatorSelection?.authenticatorAttachment, 'platform');
  assert.equal(options.authenticatorSelection?.userVerification, 'required');
  assert.equal(options.user.name, 'alice');
  const other = new SoftAuthenticator(server.url);
  for (const [bend, why] of [
    [{ origin: 'https://phish.example' }, /origin/i],
    [{ rpId: 'phish.example' }, /RP ID/i],
    [{ uv: false }, /user.*verif/i],
  ] as const) {
    const res = await registerPasskey(phone, other, bend);
    assert.match((await json<{ error_description: string }>(res, 400)).error_description, why);
  }
  const first = await phone.api('POST', PASSKEY_API.passkey, { credential: key.register(options) });
  assert.equal((await json<PasskeyStatus>(first, 201)).registered, true);
  const again = await phone.api('POST', PASSKEY_API.passkey, { credential: key.register(options) });
  assert.match((await json<{ error_description: string }>(again, 400)).error_description, /already used/);
  assert.equal((await json<PasskeyStatus>(await phone.api('GET', PASSKEY_API.passkey), 200)).registered, true);
  assert.equal((await json<PasskeyStatus>(await tablet.api('GET', PASSKEY_API.passkey), 200)).registered, false);
  const devices = await json<DeviceInfo[]>(await tablet.api('GET', ENTITY_API.devices), 200);
  assert.deepEqual(devices.map((d) => [d.name, d.passkey]).sort(), [
    ['Phone', true],
    ['Tablet', false],
  ]);
});

test('a device holds one passkey: a second registration is refused with 409, and of two racing ones exactly one is kept', async () => {
  // The phone holds one already: no options, and a credential made for stale options is refused.
  assert.equal((await json<{ error: string }>(await phone.api('POST', PASSKEY_API.options), 409)).error, 'passkey_exists');
  const spare = await SimDevice.create(server.url);
  assert.equal((await spare.enroll(await keycloak.accessToken({ sub: carolSub, preferred_username: 'carol' }), 'Spare 2')).status, 201);
  const [a, b] = [new SoftAuthenticator(server.url), new SoftAuthenticator(server.url)];
  const [oa, ob] = await Promise.all([spare.api('POST', PASSKEY_API.options), spare.api('POST', PASSKEY_API.options)]);
  const [ra, rb] = await Promise.all([
    spare.api('POST', PASSKEY_API.passkey, { credential: a.register(await json<PasskeyCreationOptions>(oa, 200)) }),
    spare.api('POST', PASSKEY_API.passkey, { credential: b.register(await json<PasskeyCreationOptions>(ob, 200)) }),
  ]);
  assert.deepEqual([ra.status, rb.status].sort(), [201, 409]);
  const winner = ra.status === 201 ? a : b;
  assert.equal((await server.ctx.models.passkeys.find(spare.id))?.credential_id, winner.credentialId.toString('base64url'));
  assert.equal((await spare.api('DELETE', ENTITY_API.device(spare.id))).status, 204);
});

test('an approval with a verified passkey assertion calls back acr "phr" and amr "hwk user"', async () => {
  const { id, token } = await phrRequest();
  const p = await proof(phone, key, id);
  assert.equal(p.options.userVerification, 'required');
  assert.deepEqual(
    p.options.allowCredentials?.map((c) => c.id),
    [key.credentialId.toString('base64url')],
  );
  const delivered = nextEvent<{ id: string }>(server, 'request.delivered', (e) => e.id === id);
  const res = await phone.decide(id, 'approve', undefined, { shown_hash: p.shown_hash, passkey: p.passkey });
  assert.equal((await json<{ status: string }>(res, 200)).status, 'approved');
  await delivered;
  const callback = keycloak.callbacks.find((c) => c.authorization === `Bearer ${token}`);
  assert.deepEqual(callback?.body, { status: 'SUCCEED', acr: 'phr', amr: 'hwk user' });
  assert.equal((await json<PasskeyStatus>(await phone.api('GET', PASSKEY_API.passkey), 200)).last_used_at !== undefined, true);
});

for (const [name, make, why] of [
  ['without an assertion', async (id: string) => ({ shown_hash: (await proof(phone, key, id)).shown_hash }), /passkey/],
  ['from another origin (a phishing page)', (id: string) => proof(phone, key, id, { origin: 'https://bank.example.phish' }), /origin/i],
  ['for another RP ID', (id: string) => proof(phone, key, id, { rpId: 'phish.example' }), /RP ?ID/i],
  ['without user verification', (id: string) => proof(phone, key, id, { uv: false }), /did not verify you/],
  ['whose counter did not grow (a cloned authenticator)', (id: string) => proof(phone, key, id, { counter: 1 }), /counter/i],
  ['signing a challenge the entity never issued', (id: string) => proof(phone, key, id, { challenge: Buffer.alloc(32, 7).toString('base64url') }), /challenge/],
  ['from a passkey that is not this device’s', (id: string) => proof(phone, new SoftAuthenticator(server.url), id), /not from this device/],
] as const) {
  test(`an approval ${name} is refused and the request stays pending`, async () => {
    const { id } = await phrRequest();
    const p = await make(id);
    const res = await phone.decide(id, 'approve', undefined, p);
    assert.match((await json<{ error: string; error_description: string }>(res, 400)).error_description, why);
    assert.equal(await status(id), 'pending');
    // The user can still approve properly (a fresh challenge each time).
    const ok = await proof(phone, key, id);
    assert.equal((await phone.decide(id, 'approve', undefined, ok)).status, 200);
  });
}

test('two approvals reporting the same signature counter at the same time: exactly one is accepted', async () => {
  const [first, second] = [await phrRequest(), await phrRequest()];
  const counter = key.counter + 1;
  const proofs = [await proof(phone, key, first.id, { counter }), await proof(phone, key, second.id, { counter })];
  key.counter = counter;
  const answers = await Promise.all([first, second].map((r, i) => phone.decide(r.id, 'approve', undefined, proofs[i])));
  assert.deepEqual(answers.map((r) => r.status).sort(), [200, 400]);
  const refused = answers.find((r) => r.status === 400)!;
  assert.match(((await refused.json()) as { error_description: string }).error_description, /counter|same moment/);
  const statuses = [await status(first.id), await status(second.id)].sort();
  assert.deepEqual(statuses, ['approved', 'pending']);
  assert.equal((await server.ctx.models.passkeys.find(phone.id))?.counter, counter);
});

test('a passkey challenge is single use and bound to its request', async () => {
  const a = await phrRequest();
  const b = await phrRequest();
  const p = await proof(phone, key, a.id);
  // The assertion for request a, replayed on request b: refused.
  const shownB = await shownHash(await json<DeviceRequest>(await phone.api('GET', ENTITY_API.request(b.id)), 200));
  const cross = await phone.decide(b.id, 'approve', undefined, { shown_hash: shownB, passkey: p.passkey });
  assert.match((await json<{ error_description: string }>(cross, 400)).error_description, /another request/);
  // Its challenge was taken by that attempt: it cannot approve a either.
  const replay = await phone.decide(a.id, 'approve', undefined, { shown_hash: p.shown_hash, passkey: p.passkey });
  assert.match((await json<{ error_description: string }>(replay, 400)).error_description, /already used/);
  assert.equal(await status(a.id), 'pending');
  assert.equal(await status(b.id), 'pending');
});

test('a device without a passkey gets no challenge; a denial needs none', async () => {
  const { id, token } = await phrRequest();
  const shown = await shownHash(await json<DeviceRequest>(await tablet.api('GET', ENTITY_API.request(id)), 200));
  assert.equal((await tablet.api('POST', PASSKEY_API.challenge(id), { shown_hash: shown })).status, 404);
  assert.match(
    (await json<{ error_description: string }>(await tablet.decide(id, 'approve', undefined, { shown_hash: shown }), 400)).error_description,
    /passkey/,
  );
  const delivered = nextEvent<{ id: string }>(server, 'request.delivered', (e) => e.id === id);
  assert.equal((await tablet.decide(id, 'deny', 'not_me')).status, 200);
  await delivered;
  assert.deepEqual(keycloak.callbacks.find((c) => c.authorization === `Bearer ${token}`)?.body, { status: 'UNAUTHORIZED' });
});

test('shown_hash: required to approve a request with details, and must be the hash of the request as sent to the app', async () => {
  const { res } = await newRequest({ authorization_details: [PAYMENT], binding_message: 'PAY 1' });
  const { id } = await json<{ id: string }>(res, 201);
  const view = await json<DeviceRequest>(await tablet.api('GET', ENTITY_API.request(id)), 200);
  assert.deepEqual(view.authorization_details, [PAYMENT], 'the app gets the details');
  assert.match((await json<{ error_description: string }>(await tablet.decide(id, 'approve'), 400)).error_description, /shown_hash/);
  const tampered = await shownHash({ ...view, authorization_details: [{ ...PAYMENT, creditorName: 'Mallory Ltd' }] });
  assert.match(
    (await json<{ error_description: string }>(await tablet.decide(id, 'approve', undefined, { shown_hash: tampered }), 400)).error_description,
    /differs/,
  );
  assert.equal(await status(id), 'pending');
  assert.equal((await tablet.decide(id, 'approve', undefined, { shown_hash: await shownHash(view) })).status, 200);
});

test('the passkey challenge endpoint refuses a shown_hash that is not this request’s, and requests that ask for no passkey', async () => {
  const { id } = await phrRequest();
  assert.equal((await phone.api('POST', PASSKEY_API.challenge(id), { shown_hash: 'x'.repeat(43) })).status, 400);
  const plain = await json<{ id: string }>((await newRequest()).res, 201);
  const shown = await shownHash(await json<DeviceRequest>(await phone.api('GET', ENTITY_API.request(plain.id)), 200));
  assert.equal((await phone.api('POST', PASSKEY_API.challenge(plain.id), { shown_hash: shown })).status, 400);
});

test('the delegation body’s authorization_details are checked like the provider checks them', async () => {
  for (const bad of [
    '[]',
    [{}],
    [{ type: 'payment_initiation' }],
    'x',
    [{ type: 'account_information', locations: Array(400).fill('https://bank.example.com/a') }],
  ]) {
    assert.equal((await newRequest({ authorization_details: bad })).res.status, 400, JSON.stringify(bad).slice(0, 80));
  }
});

test('removing the device removes its passkey: phr requests are then refused at once', async () => {
  const p = await SimDevice.create(server.url);
  assert.equal((await p.enroll(await keycloak.accessToken({ sub: carolSub, preferred_username: 'carol' }), 'Spare')).status, 201);
  assert.equal((await registerPasskey(p, new SoftAuthenticator(server.url))).status, 201);
  const carol = { sub: carolSub, login_hint: 'carol' };
  assert.equal((await newRequest({ acr_values: 'phr' }, carol)).res.status, 201);
  assert.equal((await p.api('DELETE', ENTITY_API.device(p.id))).status, 204);
  assert.equal(await server.ctx.models.passkeys.find(p.id), undefined);
  assert.equal((await newRequest({ acr_values: 'phr' }, carol)).res.status, 403, 'carol’s remaining phone has no passkey');
  assert.ok(carolPhone.id);
});
