/**
 * Phishing-resistant approval (acr phr) at the provider, with openid-client as the relying
 * party: discovery, acr_values and default_acr_values, the entity's report of a passkey approval
 * (ID token acr "phr", amr hwk + user), a phr request approved without it (access_denied with a
 * clear description), and the whole path with the real entity, a simulated device and a software
 * passkey, including a user with no passkey refused at once.
 */
import { after, before, describe, it } from '../helpers/node-test.ts';
import assert from 'node:assert/strict';
import * as oidc from 'openid-client';
import { cibaClient, decide, rp, startCiba, type CibaSetup } from './helpers.ts';
import { validateClientMetadata } from '../../provider/models/client.ts';
import { startTestProvider, type TestProvider } from '../helpers/provider.ts';
import { signInDeviceApp } from '../helpers/device-app-sign-in.ts';
import { SoftAuthenticator } from '../helpers/soft_authenticator.ts';
import { freePort, SimDevice, startTestServer, type TestServer } from '../entity/helpers.ts';
import { ENTITY_API, type DeviceRequest } from '../../shared/entity-api.ts';
import { PASSKEY_API, type PasskeyCreationOptions, type PasskeyRequestOptions } from '../../shared/passkey-api.ts';
import { shownHash } from '../../shared/shown.ts';
import { PAYMENT, jwtPayload } from '../rar/helpers.ts';

const errorOf = (e: unknown) => e as { error?: string; error_description?: string; status?: number };

describe('acr phr at the provider (loopback entity)', { timeout: 60_000 }, () => {
  let setup: CibaSetup;
  let bank: oidc.Configuration;
  let strict: oidc.Configuration;

  before(async () => {
    setup = await startCiba();
    await cibaClient(setup, 'phr-bank');
    await cibaClient(setup, 'phr-strict', { default_acr_values: ['phr'] });
    bank = await rp(setup, 'phr-bank', 'phr-bank-secret');
    strict = await rp(setup, 'phr-strict', 'phr-strict-secret');
  });
  after(() => setup?.stop());

  it('discovery lists phr in acr_values_supported', () => {
    assert.ok(bank.serverMetadata().acr_values_supported?.includes('phr'));
  });

  it('approved with a passkey (the entity reports acr phr): the ID token says acr "phr", amr ["hwk", "user"]', async () => {
    const started = await oidc.initiateBackchannelAuthentication(bank, { scope: 'openid', login_hint: 'alice', acr_values: 'phr' });
    const delegation = await setup.entity.next();
    assert.equal(delegation.body.acr_values, 'phr');
    assert.equal((await decide(setup, delegation.bearer, 'SUCCEED', { status: 'SUCCEED', acr: 'phr', amr: 'hwk user' })).status, 200);
    const tokens = await oidc.pollBackchannelAuthenticationGrant(bank, started);
    const claims = tokens.claims()!;
    assert.equal(claims.acr, 'phr');
    assert.deepEqual(claims.amr, ['hwk', 'user']);
    assert.equal(jwtPayload(tokens.access_token).acr, 'phr');
    assert.equal((await oidc.tokenIntrospection(bank, tokens.access_token)).acr, 'phr');
  });

  it('approved without it: access_denied with a description that says why', async () => {
    const started = await oidc.initiateBackchannelAuthentication(bank, { scope: 'openid', login_hint: 'alice', acr_values: 'phr' });
    const delegation = await setup.entity.next();
    const answer = await decide(setup, delegation.bearer, 'SUCCEED');
    assert.equal(answer.status, 403, 'the entity is told the approval does not count');
    assert.equal(answer.body.error, 'access_denied');
    await assert.rejects(oidc.pollBackchannelAuthenticationGrant(bank, started), (e) => {
      assert.equal(errorOf(e).error, 'access_denied');
      assert.match(errorOf(e).error_description!, /phishing-resistant approval \(acr phr\).*without a passkey/);
      return true;
    });
  });

  it('a client registered with default_acr_values ["phr"] gets phr on every request that sends no acr_values', async () => {
    const started = await oidc.initiateBackchannelAuthentication(strict, { scope: 'openid', login_hint: 'alice' });
    const delegation = await setup.entity.next();
    assert.equal(delegation.body.acr_values, 'phr');
    assert.equal((await decide(setup, delegation.bearer, 'SUCCEED', { status: 'SUCCEED', acr: 'urn:nod:acr:ciba' })).status, 403);
    await assert.rejects(oidc.pollBackchannelAuthenticationGrant(strict, started), (e) => errorOf(e).error === 'access_denied');
  });

  it('a request without phr keeps the device acr; a stronger approval is reported as it was', async () => {
    for (const [body, acr] of [
      [undefined, 'urn:nod:acr:ciba'],
      [{ status: 'SUCCEED', acr: 'phr', amr: 'hwk user' }, 'phr'],
    ] as const) {
      const started = await oidc.initiateBackchannelAuthentication(bank, { scope: 'openid', login_hint: 'alice' });
      const delegation = await setup.entity.next();
      assert.equal(delegation.body.acr_values, undefined);
      assert.equal((await decide(setup, delegation.bearer, 'SUCCEED', body)).status, 200);
      assert.equal((await oidc.pollBackchannelAuthenticationGrant(bank, started)).claims()!.acr, acr);
    }
  });

  it('malformed acr or amr in the callback is invalid_request and changes nothing', async () => {
    await oidc.initiateBackchannelAuthentication(bank, { scope: 'openid', login_hint: 'alice', acr_values: 'phr' });
    const delegation = await setup.entity.next();
    for (const body of [
      { status: 'SUCCEED', acr: 7 },
      { status: 'SUCCEED', acr: 'phr', amr: ['hwk'] },
      { status: 'SUCCEED', acr: 'phr', amr: 'hwk <script>' },
    ]) {
      const answer = await decide(setup, delegation.bearer, 'SUCCEED', body);
      assert.equal(answer.status, 400);
      assert.equal(answer.body.error, 'invalid_request');
    }
    // The token was not spent by the refused calls: a well-formed decision still lands.
    assert.equal((await decide(setup, delegation.bearer, 'SUCCEED', { status: 'SUCCEED', acr: 'phr', amr: 'hwk user' })).status, 200);
  });

  it('default_acr_values are validated at registration', () => {
    const base = { client_id: 'x', grant_types: ['urn:openid:params:grant-type:ciba'], response_types: [], client_secret: 'x-secret-123' };
    assert.deepEqual(validateClientMetadata({ ...base, default_acr_values: ['phr'] }).client.default_acr_values, ['phr']);
    assert.throws(() => validateClientMetadata({ ...base, default_acr_values: ['gold'] }), /default_acr_values: gold not supported/);
    assert.throws(() => validateClientMetadata({ ...base, default_acr_values: 'phr' }), /default_acr_values/);
    assert.throws(() => validateClientMetadata({ ...base, authorization_details_types: ['has space'] }), /authorization_details_types/);
  });
});

describe('acr phr end to end: provider, entity, a device with a passkey', { timeout: 60_000 }, () => {
  let provider: TestProvider;
  let server: TestServer;
  let bank: oidc.Configuration;
  let phone: SimDevice;
  let key: SoftAuthenticator;

  before(async () => {
    const port = await freePort();
    provider = await startTestProvider({ authChannelUrl: `http://127.0.0.1:${port}/ciba/delegation`, ciba: { expiresIn: 30, maxExpiresIn: 600, interval: 1 } });
    server = await startTestServer({ port, url: `http://127.0.0.1:${port}`, trustedIssuers: [provider.issuer] });
    bank = await oidc.discovery(new URL(provider.issuer), 'demo-bank', 'demo-bank-secret', undefined, { execute: [oidc.allowInsecureRequests] });
    phone = await SimDevice.create(server.url);
    assert.equal((await phone.enroll((await signInDeviceApp(provider.issuer, 'alice', 'wonderland')).accessToken, 'Alice phone')).status, 201);
    const bobPhone = await SimDevice.create(server.url);
    assert.equal((await bobPhone.enroll((await signInDeviceApp(provider.issuer, 'bob', 'builder')).accessToken, 'Bob phone')).status, 201);
    key = new SoftAuthenticator(server.url);
    const options = (await (await phone.api('POST', PASSKEY_API.options)).json()) as PasskeyCreationOptions;
    assert.equal((await phone.api('POST', PASSKEY_API.passkey, { credential: key.register(options) })).status, 201);
  });
  after(async () => {
    await server?.stop();
    await provider?.stop();
  });

  it('a payment approved with the passkey: tokens with acr phr, amr hwk + user, and the granted payment', async () => {
    const started = await oidc.initiateBackchannelAuthentication(bank, {
      scope: 'openid',
      login_hint: 'alice',
      acr_values: 'phr',
      binding_message: 'PAY 4711',
      authorization_details: JSON.stringify([PAYMENT]),
    });
    let r: DeviceRequest | undefined;
    for (let i = 0; i < 50 && !r; i++) {
      r = ((await (await phone.api('GET', ENTITY_API.requests)).json()) as DeviceRequest[]).find((x) => x.binding_message === 'PAY 4711');
      if (!r) await new Promise((resolve) => setTimeout(resolve, 100));
    }
    assert.ok(r, 'the request reached the device');
    assert.deepEqual(r.authorization_details, [PAYMENT]);
    const shown = await shownHash(r);
    const options = (await (await phone.api('POST', PASSKEY_API.challenge(r.id), { shown_hash: shown })).json()) as PasskeyRequestOptions;
    assert.equal((await phone.decide(r.id, 'approve', undefined, { shown_hash: shown, passkey: key.assert(options) })).status, 200);
    const tokens = await oidc.pollBackchannelAuthenticationGrant(bank, started);
    assert.equal(tokens.claims()!.acr, 'phr');
    assert.deepEqual(tokens.claims()!.amr, ['hwk', 'user']);
    assert.deepEqual(tokens.authorization_details, [PAYMENT]);
  });

  it('a user whose devices hold no passkey gets access_denied at once, with a description', async () => {
    await assert.rejects(oidc.initiateBackchannelAuthentication(bank, { scope: 'openid', login_hint: 'bob', acr_values: 'phr' }), (e) => {
      assert.equal(errorOf(e).error, 'access_denied');
      assert.equal(errorOf(e).status, 403);
      assert.match(errorOf(e).error_description!, /passkey/);
      return true;
    });
    assert.equal((await provider.ctx.models.cibaRequests.list()).filter((x) => x.value.sub !== phone.enrollment!.user.sub).length, 0, 'nothing left pending');
  });
});
