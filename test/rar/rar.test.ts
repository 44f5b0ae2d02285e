/**
 * Rich Authorization Requests (RFC 9396) with openid-client as the relying party, at the
 * backchannel authentication, authorization (code flow) and device authorization endpoints:
 * the details reach the user (delegation body, consent page, device page), come back granted in
 * the token response, the access token and introspection, and every malformed value is refused
 * with invalid_authorization_details at each endpoint.
 */
import { after, before, describe, it } from '../helpers/node-test.ts';
import assert from 'node:assert/strict';
import * as oidc from 'openid-client';
import { cibaClient, decide, rp, startCiba, type CibaSetup } from '../ciba/helpers.ts';
import { providerBrowser } from '../helpers/sign-in.ts';
import { upsertClient } from '../../provider/demo.ts';
import { DEVICE_CODE_GRANT_TYPE } from '../../shared/constants.ts';
import { PhoneBrowser, enterCode, signIn } from '../device-flow/helpers.ts';
import { ACCOUNTS, MALFORMED, PAYMENT, jwtPayload } from './helpers.ts';

const REDIRECT = 'http://localhost:8080/callback';
const errorOf = (e: unknown) => (e as { error?: string; error_description?: string }) ?? {};
const TYPES = ['payment_initiation', 'account_information', 'customer_information'];

describe('Rich Authorization Requests (RFC 9396)', { timeout: 120_000 }, () => {
  let setup: CibaSetup;
  let bank: oidc.Configuration;
  let web: oidc.Configuration;
  let tv: oidc.Configuration;

  before(async () => {
    setup = await startCiba();
    await cibaClient(setup, 'rar-bank', { authorization_details_types: TYPES });
    bank = await rp(setup, 'rar-bank', 'rar-bank-secret');
    web = await oidc.discovery(new URL(setup.issuer), 'demo-web', 'demo-web-secret', undefined, { execute: [oidc.allowInsecureRequests] });
    await upsertClient(setup.provider.ctx, {
      client_id: 'rar-tv',
      client_name: 'Bank Kiosk',
      client_secret: 'rar-tv-secret',
      token_endpoint_auth_method: 'client_secret_basic',
      grant_types: [DEVICE_CODE_GRANT_TYPE],
      response_types: [],
      scope: 'openid profile',
      device_code_interval: 1,
      authorization_details_types: TYPES,
    });
    tv = await oidc.discovery(new URL(setup.issuer), 'rar-tv', 'rar-tv-secret', undefined, { execute: [oidc.allowInsecureRequests] });
  });
  after(() => setup?.stop());

  it('discovery lists the supported types: the registry’s and every type a client registered', () => {
    const meta = bank.serverMetadata() as Record<string, unknown>;
    const types = meta.authorization_details_types_supported as string[];
    for (const t of TYPES) assert.ok(types.includes(t), `${t} in ${types}`);
  });

  it('the demo clients demo-bank, demo-callcenter and demo-web register both shipped types', async () => {
    for (const id of ['demo-bank', 'demo-callcenter', 'demo-web']) {
      const client = await setup.provider.ctx.models.clients.find(id);
      assert.deepEqual([...(client?.authorization_details_types ?? [])].sort(), ['account_information', 'payment_initiation'], id);
    }
  });

  it('CIBA: the details travel to the entity, and the granted details come back in the token response, the access token and introspection', async () => {
    const details = [PAYMENT, ACCOUNTS];
    const started = await oidc.initiateBackchannelAuthentication(bank, {
      scope: 'openid',
      login_hint: 'alice',
      authorization_details: JSON.stringify(details),
    });
    const delegation = await setup.entity.next();
    assert.deepEqual(delegation.body.authorization_details, details, 'the delegation body carries them unchanged');
    assert.equal((await decide(setup, delegation.bearer, 'SUCCEED')).status, 200);
    const tokens = await oidc.pollBackchannelAuthenticationGrant(bank, started);
    assert.deepEqual(tokens.authorization_details, details, 'RFC 9396 §7: token response');
    assert.deepEqual(jwtPayload(tokens.access_token).authorization_details, details, 'RFC 9396 §9.1: the access token claim');
    const info = await oidc.tokenIntrospection(bank, tokens.access_token);
    assert.equal(info.active, true);
    assert.deepEqual(info.authorization_details, details, 'RFC 9396 §9.2: introspection');
  });

  it('CIBA without details: no authorization_details anywhere', async () => {
    const started = await oidc.initiateBackchannelAuthentication(bank, { scope: 'openid', login_hint: 'alice' });
    const delegation = await setup.entity.next();
    assert.equal(delegation.body.authorization_details, undefined);
    await decide(setup, delegation.bearer, 'SUCCEED');
    const tokens = await oidc.pollBackchannelAuthenticationGrant(bank, started);
    assert.equal(tokens.authorization_details, undefined);
    assert.equal(jwtPayload(tokens.access_token).authorization_details, undefined);
  });

  /** Alice through the real login and consent pages with `details`; returns the consent page and the redirect back. */
  async function consentTo(details: unknown[], scope = 'openid') {
    const verifier = oidc.randomPKCECodeVerifier();
    const state = oidc.randomState();
    const url = oidc.buildAuthorizationUrl(web, {
      redirect_uri: REDIRECT,
      scope,
      state,
      code_challenge: await oidc.calculatePKCECodeChallenge(verifier),
      code_challenge_method: 'S256',
      authorization_details: JSON.stringify(details),
    });
    const browser = providerBrowser(setup.issuer);
    let page = await browser.get(url);
    if (page.forms.some((f) => 'password' in f.fields))
      page = await browser.submitForm(page, { username: 'alice', password: 'wonderland' }, { form: (f) => 'password' in f.fields });
    const consent = page.body;
    assert.ok(
      page.forms.some((f) => f.buttons.some((b) => b.text === 'Allow')),
      `the consent page shows, even with consent remembered: ${consent.slice(0, 300)}`,
    );
    page = await browser.submitForm(page, {}, { button: 'Allow' });
    assert.ok(page.location, `a redirect to the client, got ${page.status}`);
    return { consent, location: page.location, checks: { pkceCodeVerifier: verifier, expectedState: state } };
  }

  /** The code flow with `details`; returns the consent page's text and the token response. */
  async function codeFlow(details: unknown[], scope = 'openid') {
    const { consent, location, checks } = await consentTo(details, scope);
    return { consent, tokens: await oidc.authorizationCodeGrant(web, location, checks) };
  }

  it('code flow: the consent page shows the payment; the tokens, the access token, a refresh and introspection carry the granted details', async () => {
    const { consent, tokens } = await codeFlow([PAYMENT], 'openid offline_access');
    assert.match(consent, /1,250\.00 EUR/, 'the amount, large');
    assert.match(consent, /ACME GmbH/);
    assert.match(consent, /DE02 1001 0010 9307 1186 03/, 'the IBAN in groups');
    assert.match(consent, /Invoice 4711/);
    assert.deepEqual(tokens.authorization_details, [PAYMENT]);
    assert.deepEqual(jwtPayload(tokens.access_token).authorization_details, [PAYMENT]);
    assert.ok(tokens.refresh_token);
    const rt = await oidc.tokenIntrospection(web, tokens.refresh_token, { token_type_hint: 'refresh_token' });
    assert.deepEqual(rt.authorization_details, [PAYMENT], 'introspection of the refresh token');
    const refreshed = await oidc.refreshTokenGrant(web, tokens.refresh_token);
    assert.deepEqual(refreshed.authorization_details, [PAYMENT], 'a refresh returns the same granted details');
    // The same client again: remembered consent covers the scope, never a new payment.
    const again = await codeFlow([{ ...PAYMENT, instructedAmount: { currency: 'EUR', amount: '99.00' } }]);
    assert.match(again.consent, /99\.00 EUR/);
  });

  it('a token request may ask for part of the granted details, each unchanged; anything else is refused before the code or refresh token is spent', async () => {
    const { location, checks } = await consentTo([PAYMENT, ACCOUNTS], 'openid offline_access');
    const changed = JSON.stringify([{ ...PAYMENT, creditorName: 'Mallory Ltd' }]);
    await assert.rejects(
      oidc.authorizationCodeGrant(web, location, checks, { authorization_details: changed }),
      (e) => errorOf(e).error === 'invalid_authorization_details',
    );
    const tokens = await oidc.authorizationCodeGrant(web, location, checks, { authorization_details: JSON.stringify([ACCOUNTS]) });
    assert.deepEqual(tokens.authorization_details, [ACCOUNTS], 'only what the token request named');
    assert.deepEqual(jwtPayload(tokens.access_token).authorization_details, [ACCOUNTS]);
    await assert.rejects(
      oidc.refreshTokenGrant(web, tokens.refresh_token!, { authorization_details: changed }),
      (e) => errorOf(e).error === 'invalid_authorization_details',
    );
    const refreshed = await oidc.refreshTokenGrant(web, tokens.refresh_token!, { authorization_details: JSON.stringify([PAYMENT]) });
    assert.deepEqual(refreshed.authorization_details, [PAYMENT], 'the refresh token was not spent by the refused request; the grant still holds both');
  });

  it('code flow: prompt=none with details is consent_required (a payment is never approved silently)', async () => {
    const url = oidc.buildAuthorizationUrl(web, {
      redirect_uri: REDIRECT,
      scope: 'openid',
      prompt: 'none',
      state: 's',
      authorization_details: JSON.stringify([PAYMENT]),
    });
    const browser = providerBrowser(setup.issuer);
    await browser.submitForm(
      await browser.get(oidc.buildAuthorizationUrl(web, { redirect_uri: REDIRECT, scope: 'openid', state: 's' })),
      { username: 'alice', password: 'wonderland' },
      {
        form: (f) => 'password' in f.fields,
      },
    );
    const page = await browser.get(url);
    assert.equal(page.location?.searchParams.get('error'), 'consent_required');
  });

  it('device flow: the confirmation page shows the payment; the tokens carry the granted details', async () => {
    const started = await oidc.initiateDeviceAuthorization(tv, { scope: 'openid', authorization_details: JSON.stringify([PAYMENT]) });
    const phone = new PhoneBrowser(setup.issuer);
    let page = await enterCode(phone, started.user_code);
    if (page.url.includes('/login')) page = await signIn(phone, page);
    assert.match(page.text, /1,250\.00 EUR/);
    assert.match(page.text, /ACME GmbH/);
    await phone.submit(page, '/device/confirm', { decision: 'approve' });
    const tokens = await oidc.pollDeviceAuthorizationGrant(tv, started);
    assert.deepEqual(tokens.authorization_details, [PAYMENT]);
    assert.deepEqual((await oidc.tokenIntrospection(tv, tokens.access_token)).authorization_details, [PAYMENT]);
  });

  for (const [what, value] of MALFORMED) {
    it(`refuses ${what} with invalid_authorization_details at all three endpoints`, async () => {
      await assert.rejects(
        oidc.initiateBackchannelAuthentication(bank, { scope: 'openid', login_hint: 'alice', authorization_details: value }),
        (e) => errorOf(e).error === 'invalid_authorization_details' && (e as { status?: number }).status === 400,
        'backchannel authentication endpoint',
      );
      await assert.rejects(
        oidc.initiateDeviceAuthorization(tv, { scope: 'openid', authorization_details: value }),
        (e) => errorOf(e).error === 'invalid_authorization_details',
        'device authorization endpoint',
      );
      // The authorization endpoint redirects the error to the client (no sign-in needed to find out).
      const state = oidc.randomState();
      const page = await providerBrowser(setup.issuer).get(
        oidc.buildAuthorizationUrl(web, { redirect_uri: REDIRECT, scope: 'openid', state, authorization_details: value }),
      );
      assert.ok(page.location, `redirected to the client (got ${page.status})`);
      await assert.rejects(
        oidc.authorizationCodeGrant(web, page.location, { expectedState: state }),
        (e) => errorOf(e).error === 'invalid_authorization_details' && typeof errorOf(e).error_description === 'string',
        'authorization endpoint',
      );
    });
  }
});
