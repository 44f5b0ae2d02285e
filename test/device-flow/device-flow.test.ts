/**
 * The device authorization grant end to end: openid-client v6 plays the TV, the user's part
 * goes through the real verification and sign-in pages over HTTP.
 */
import { after, before, describe, it } from '../helpers/node-test.ts';
import assert from 'node:assert/strict';
import * as oidc from 'openid-client';
import { decodeJwt } from 'jose';
import type { TestProvider } from '../helpers/provider.ts';
import { DEVICE_CODE_GRANT_TYPE } from '../../shared/constants.ts';
import { deviceClient, enterCode, inputValue, PhoneBrowser, pollOnce, signIn, sleep, startDeviceProvider, TEST_CLIENTS, userDecides } from './helpers.ts';

const USER_CODE = /^[BCDFGHJKLMNPQRSTVWXZ]{4}-[BCDFGHJKLMNPQRSTVWXZ]{4}$/;

describe('device authorization grant with openid-client', () => {
  let p: TestProvider;
  let issuer: string;
  let tv: oidc.Configuration;
  before(async () => {
    p = await startDeviceProvider();
    issuer = p.issuer;
    tv = await deviceClient(issuer);
  });
  after(() => p?.stop());

  it('lists the device authorization endpoint and grant type in discovery', async () => {
    const meta = tv.serverMetadata();
    assert.equal(meta.device_authorization_endpoint, `${issuer}/device/auth`);
    assert.ok(meta.grant_types_supported?.includes(DEVICE_CODE_GRANT_TYPE));
  });

  it('answers a device authorization request with a high-entropy device_code and a readable user_code', async () => {
    const r = await oidc.initiateDeviceAuthorization(tv, { scope: 'openid profile offline_access' });
    assert.match(r.user_code, USER_CODE);
    assert.match(r.device_code, /^[A-Za-z0-9_-]{43}$/, '256 bits, base64url');
    assert.equal(r.verification_uri, `${issuer}/device`);
    assert.equal(r.verification_uri_complete, `${issuer}/device?user_code=${r.user_code}`);
    assert.equal(r.expires_in, 600, 'global configuration');
    assert.equal(r.interval, 1, 'global configuration');
    const codes = new Set<string>();
    for (let i = 0; i < 20; i++) codes.add((await oidc.initiateDeviceAuthorization(tv, {})).user_code);
    assert.equal(codes.size, 20, 'user codes are unique among live requests');
  });

  it('issues access, ID and refresh tokens after the user approves on the verification page', async () => {
    const r = await oidc.initiateDeviceAuthorization(tv, { scope: 'openid profile offline_access' });
    const polling = oidc.pollDeviceAuthorizationGrant(tv, r);
    // The user scans the QR code: the page opens with the code pre-filled, and must still confirm it.
    const phone = new PhoneBrowser(issuer);
    const form = await phone.get(r.verification_uri_complete!);
    assert.equal(form.status, 200);
    assert.equal(inputValue(form.html, 'user_code'), r.user_code);
    let page = await phone.submit(form, '/device', { user_code: inputValue(form.html, 'user_code')! });
    assert.ok(page.url.includes('/login'), 'not signed in: the sign-in page comes next');
    assert.match(page.text, /to continue to Living Room TV/);
    page = await signIn(phone, page);
    assert.ok(page.url.includes('/device/confirm'));
    assert.match(page.text, /Connect Living Room TV ?\?/);
    assert.ok(page.text.includes(r.user_code), 'the code to compare is shown');
    assert.match(page.text, /See your name and username/);
    assert.match(page.text, /Stay signed in/);
    assert.match(page.text, /Signed in as Alice Liddell \(alice\)/);
    assert.match(page.html, /<button[^>]*value="approve"[^>]*>Approve<\/button>/);
    assert.match(page.html, /<button[^>]*value="deny"[^>]*>Deny<\/button>/);
    const done = await phone.submit(page, '/device/confirm', { decision: 'approve' });
    assert.equal(done.status, 200);
    assert.match(done.text, /Device connected/);
    assert.match(done.text, /Go back to Living Room TV/);

    const tokens = await polling;
    assert.equal(tokens.token_type, 'bearer');
    assert.ok(tokens.access_token);
    assert.ok(tokens.refresh_token, 'offline_access gives a refresh token');
    assert.equal(tokens.scope, 'openid profile offline_access');
    const claims = tokens.claims()!;
    const alice = (await p.ctx.models.users.findBy('username', 'alice'))[0]!.value;
    assert.equal(claims.sub, alice.sub);
    assert.equal(claims.aud, 'demo-tv');
    assert.equal(claims.iss, issuer);
    assert.equal(typeof claims.auth_time, 'number');
    assert.equal(claims.acr, 'urn:nod:acr:pwd');
    assert.deepEqual(claims.amr, ['pwd']);
    assert.equal(typeof claims.sid, 'string');
    const at = decodeJwt(tokens.access_token);
    assert.equal(at.sub, alice.sub);
    assert.equal(at.client_id, 'demo-tv');

    const info = await oidc.fetchUserInfo(tv, tokens.access_token, alice.sub);
    assert.equal(info.preferred_username, 'alice');
    const refreshed = await oidc.refreshTokenGrant(tv, tokens.refresh_token!);
    assert.ok(refreshed.access_token);
    assert.notEqual(refreshed.refresh_token, tokens.refresh_token);
  });

  it('answers access_denied when the user denies', async () => {
    const r = await oidc.initiateDeviceAuthorization(tv, { scope: 'openid profile' });
    const polling = oidc.pollDeviceAuthorizationGrant(tv, r);
    const done = await userDecides(new PhoneBrowser(issuer), r.user_code, 'deny');
    assert.match(done.text, /Request denied/);
    assert.match(done.text, /Living Room TV was not connected, and nothing from your account was shared with it\./);
    await assert.rejects(polling, (e: oidc.ResponseBodyError) => e.error === 'access_denied' && e.status === 400);
  });

  it('accepts a code typed in lower case with spaces', async () => {
    const r = await oidc.initiateDeviceAuthorization(tv, { scope: 'openid' });
    const polling = oidc.pollDeviceAuthorizationGrant(tv, r);
    const typed = `  ${r.user_code.slice(0, 2)} ${r.user_code.slice(2, 4)}  ${r.user_code.slice(5)} `.toLowerCase();
    const done = await userDecides(new PhoneBrowser(issuer), typed, 'approve');
    assert.match(done.text, /Device connected/);
    const tokens = await polling;
    assert.ok(tokens.id_token);
    assert.equal(tokens.refresh_token, undefined, 'no offline_access, no refresh token');
  });

  it('refuses a second redemption of the same device_code', async () => {
    const r = await oidc.initiateDeviceAuthorization(tv, { scope: 'openid profile' });
    const polling = oidc.pollDeviceAuthorizationGrant(tv, r);
    await userDecides(new PhoneBrowser(issuer), r.user_code, 'approve');
    const tokens = await polling;
    assert.ok(tokens.access_token);
    await sleep(1100);
    const again = await pollOnce(issuer, r.device_code);
    assert.equal(again.status, 400);
    assert.equal(again.body.error, 'invalid_grant');
    await assert.rejects(oidc.pollDeviceAuthorizationGrant(tv, r), (e: oidc.ResponseBodyError) => e.error === 'invalid_grant');
    // The verification page says the code is spent.
    const page = await enterCode(new PhoneBrowser(issuer), r.user_code);
    assert.equal(page.status, 400);
    assert.match(page.text, /This code has already been used/);
  });

  it('answers slow_down when polled too fast, adding 5 seconds to the interval, and openid-client adapts', async () => {
    const r = await oidc.initiateDeviceAuthorization(tv, { scope: 'openid' });
    assert.equal((await pollOnce(issuer, r.device_code)).body.error, 'authorization_pending');
    const fast = await pollOnce(issuer, r.device_code);
    assert.equal(fast.status, 400);
    assert.equal(fast.body.error, 'slow_down');
    assert.match(String(fast.body.error_description), /6 seconds/);
    await sleep(6100);
    assert.equal((await pollOnce(issuer, r.device_code)).body.error, 'authorization_pending', 'the new interval was honoured');

    // openid-client on a fresh request: a duplicated poll makes its own poll too fast.
    const r2 = await oidc.initiateDeviceAuthorization(tv, { scope: 'openid' });
    let duplicated = false;
    const answers: string[] = [];
    const hasty = await deviceClient(issuer);
    hasty[oidc.customFetch] = async (url, options) => {
      if (!duplicated && String(url).endsWith('/token')) {
        duplicated = true;
        await fetch(url, { method: options.method, headers: options.headers, body: options.body as string });
      }
      const res = await fetch(url, options as RequestInit);
      if (String(url).endsWith('/token')) answers.push(res.status === 200 ? 'tokens' : String(((await res.clone().json()) as { error: string }).error));
      return res;
    };
    const polling = oidc.pollDeviceAuthorizationGrant(hasty, r2);
    while (!answers.length) await sleep(50);
    // The user approves only after the slow_down, so the next (slower) poll is the one that gets the tokens.
    await userDecides(new PhoneBrowser(issuer), r2.user_code, 'approve');
    const tokens = await polling;
    assert.ok(tokens.access_token);
    assert.deepEqual(answers, ['slow_down', 'tokens']);
  });

  it('answers expired_token after the per-client lifetime, also to late polls, and the page says the code expired', async () => {
    const short = await deviceClient(issuer, TEST_CLIENTS.short.client_id);
    const r = await oidc.initiateDeviceAuthorization(short, { scope: 'openid' });
    assert.equal(r.expires_in, 2);
    assert.equal(r.interval, 1);
    await assert.rejects(
      oidc.pollDeviceAuthorizationGrant(short, r, undefined, { signal: AbortSignal.timeout(10_000) }),
      (e: oidc.ResponseBodyError) => e.error === 'expired_token',
    );
    await sleep(1500);
    const late = await pollOnce(issuer, r.device_code, TEST_CLIENTS.short.client_id);
    assert.equal(late.body.error, 'expired_token');
    const page = await enterCode(new PhoneBrowser(issuer), r.user_code);
    assert.equal(page.status, 400);
    assert.match(page.text, /This code has expired/);
    assert.match(page.text, /Start again on your TV/);
  });

  it('says plainly when a code is wrong, and the right code still works afterwards', async () => {
    const r = await oidc.initiateDeviceAuthorization(tv, { scope: 'openid' });
    const phone = new PhoneBrowser(issuer);
    const wrong = await enterCode(phone, r.user_code === 'BBBB-BBBB' ? 'CCCC-CCCC' : 'BBBB-BBBB');
    assert.equal(wrong.status, 400);
    assert.ok(wrong.url.endsWith('/device'));
    assert.match(wrong.text, /That code is not right\. Check the code on your device and try again\./);
    assert.match(wrong.html, /role="alert"/);
    const malformed = await enterCode(phone, 'AEIOU');
    assert.equal(malformed.status, 400);
    assert.match(malformed.text, /not a valid code/);
    const polling = oidc.pollDeviceAuthorizationGrant(tv, r);
    const done = await userDecides(phone, r.user_code, 'approve');
    assert.match(done.text, /Device connected/);
    assert.ok((await polling).access_token);
  });

  it('authenticates confidential clients and refuses bad clients and scopes', async () => {
    const consoleClient = await deviceClient(issuer, TEST_CLIENTS.secret.client_id, oidc.ClientSecretBasic(TEST_CLIENTS.secret.client_secret));
    const r = await oidc.initiateDeviceAuthorization(consoleClient, { scope: 'openid email' });
    assert.equal(r.interval, 3, 'per-client interval');
    assert.equal(r.expires_in, 600);
    const wrongSecret = await deviceClient(issuer, TEST_CLIENTS.secret.client_id, oidc.ClientSecretBasic('not-the-secret'));
    // A 401 with WWW-Authenticate: Basic, which openid-client reports as a challenge.
    await assert.rejects(
      oidc.initiateDeviceAuthorization(wrongSecret, {}),
      (e: oidc.WWWAuthenticateChallengeError) => e.status === 401 && e.cause[0]?.scheme === 'basic',
    );
    const noSecret = await deviceClient(issuer, TEST_CLIENTS.secret.client_id);
    await assert.rejects(oidc.initiateDeviceAuthorization(noSecret, {}), (e: oidc.ResponseBodyError) => e.error === 'invalid_client');
    const webOnly = await deviceClient(issuer, TEST_CLIENTS.web.client_id);
    await assert.rejects(oidc.initiateDeviceAuthorization(webOnly, {}), (e: oidc.ResponseBodyError) => e.error === 'unauthorized_client');
    await assert.rejects(oidc.initiateDeviceAuthorization(tv, { scope: 'openid email' }), (e: oidc.ResponseBodyError) => e.error === 'invalid_scope');
    const unknown = await deviceClient(issuer, 'no-such-tv');
    await assert.rejects(oidc.initiateDeviceAuthorization(unknown, {}), (e: oidc.ResponseBodyError) => e.error === 'invalid_client');
    // Another client cannot redeem this client's device_code.
    const stolen = await pollOnce(issuer, r.device_code, 'demo-tv');
    assert.equal(stolen.body.error, 'invalid_grant');
  });

  it('tells the user when the code ran out or was decided elsewhere while the confirm page was open', async () => {
    // Signed in first, so the short code's 2 seconds are not spent hashing a password on a busy machine.
    const phone = new PhoneBrowser(issuer);
    const r2 = await oidc.initiateDeviceAuthorization(tv, { scope: 'openid' });
    const tab = await signIn(phone, await enterCode(phone, r2.user_code));
    assert.ok(tab.url.includes('/device/confirm'));

    const short = await deviceClient(issuer, TEST_CLIENTS.short.client_id);
    const r = await oidc.initiateDeviceAuthorization(short, { scope: 'openid' });
    const confirm = await enterCode(phone, r.user_code); // already signed in: straight to confirm
    assert.ok(confirm.url.includes('/device/confirm'));
    await sleep(2100);
    const late = await phone.submit(confirm, '/device/confirm', { decision: 'approve' });
    assert.equal(late.status, 400);
    assert.match(late.text, /This code has expired\. Start again on your TV or device to get a new code\./);

    const otherTab = await phone.get(tab.url);
    assert.match((await phone.submit(tab, '/device/confirm', { decision: 'deny' })).text, /Request denied/);
    const second = await phone.submit(otherTab, '/device/confirm', { decision: 'approve' });
    assert.match(second.text, /This code has already been used/);
    await sleep(1100);
    assert.equal((await pollOnce(issuer, r2.device_code)).body.error, 'access_denied', 'the first decision stands');
  });

  it('protects the confirm step: CSRF token and code proof are required', async () => {
    const r = await oidc.initiateDeviceAuthorization(tv, { scope: 'openid' });
    const phone = new PhoneBrowser(issuer);
    let page = await enterCode(phone, r.user_code);
    page = await signIn(phone, page);
    assert.ok(page.url.includes('/device/confirm'));
    const noCsrf = await phone.submit(page, '/device/confirm', { decision: 'approve', csrf: 'forged' });
    assert.equal(noCsrf.status, 400);
    assert.match(noCsrf.text, /form has expired or was not sent from this site/);
    // A confirm URL made up without entering the code in this browser goes back to the code form.
    const other = new PhoneBrowser(issuer);
    const forged = await other.get(`/device/confirm?user_code=${r.user_code}&proof=AAAA`);
    assert.ok(forged.url.endsWith(`/device?user_code=${r.user_code}`));
    assert.equal(inputValue(forged.html, 'user_code'), r.user_code);
    assert.equal((await pollOnce(issuer, r.device_code)).body.error, 'authorization_pending');
  });
});
