/**
 * Sign-in and consent during authorization, through the real pages: login_hint prefill, the
 * consent page in words, Deny, remembered consent, prompt=login, prompt=consent, max_age, CSRF.
 */
import { after, before, describe, it } from '../helpers/node-test.ts';
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { startTestProvider, type TestProvider } from '../helpers/provider.ts';
import { authorizationUrl, authorize, backChannel, DEMO_WEB_REDIRECT, providerBrowser } from '../helpers/sign-in.ts';
import { responseParams } from '../helpers/browser-fetch.ts';

const claimsOf = (jwt: string) => JSON.parse(Buffer.from(jwt.split('.')[1]!, 'base64url').toString()) as Record<string, unknown>;
const isLogin = (body: string) => body.includes('name="password"');
const isConsent = (body: string) => />Allow</.test(body) && />Deny</.test(body);

describe('login and consent during authorization', () => {
  let p: TestProvider;

  before(async () => {
    p = await startTestProvider();
  });
  after(() => p?.stop());

  const idToken = (issuer: string, params: Record<string, string>) => authorizationUrl(issuer, { response_type: 'id_token', nonce: 'n-1', ...params });

  it('the login page pre-fills login_hint and names the client; the consent page lists scopes in words', async () => {
    const browser = providerBrowser(p.issuer);
    const login = await browser.get(authorizationUrl(p.issuer, { login_hint: 'bob', scope: 'openid email phone', ui_locales: 'fr-CA de' }));
    assert.ok(isLogin(login.body));
    assert.equal(login.forms[0]!.fields.username, 'bob');
    assert.match(login.body, /Demo Web App/);
    const consent = await browser.submitForm(login, { password: 'builder' });
    assert.ok(isConsent(consent.body), consent.body.slice(0, 500));
    assert.match(consent.body, /Demo Web App/);
    assert.match(consent.body, /See your email address/);
    assert.match(consent.body, /See your phone number/);
    assert.match(consent.body, /Bob Builder/);
    const done = await browser.submitForm(consent, {}, { button: 'Allow' });
    assert.ok(done.location?.searchParams.get('code'));
  });

  it('Deny sends access_denied with state and iss to the client', async () => {
    const page = await authorize(providerBrowser(p.issuer), authorizationUrl(p.issuer, { state: 'deny-me' }), { consent: 'Deny' });
    const q = responseParams(page);
    assert.equal(q.get('error'), 'access_denied');
    assert.equal(q.get('state'), 'deny-me');
    assert.equal(q.get('iss'), p.issuer);
  });

  it('remembered consent covers the same scopes; more scopes or prompt=consent ask again', async () => {
    const browser = providerBrowser(p.issuer);
    await authorize(browser, authorizationUrl(p.issuer, { scope: 'openid profile' }));
    const same = await browser.get(authorizationUrl(p.issuer, { scope: 'openid profile' }));
    assert.ok(same.location?.searchParams.get('code'));
    const more = await browser.get(authorizationUrl(p.issuer, { scope: 'openid profile email' }));
    assert.ok(isConsent(more.body));
    const forced = await browser.get(authorizationUrl(p.issuer, { scope: 'openid', prompt: 'consent' }));
    assert.ok(isConsent(forced.body));
    const after = await browser.submitForm(forced, {}, { button: 'Allow' });
    assert.ok(after.location?.searchParams.get('code'));
  });

  it('prompt=login asks for the password again and gives a new session', async () => {
    const browser = providerBrowser(p.issuer);
    const first = await authorize(browser, idToken(p.issuer, { scope: 'openid' }));
    const before = claimsOf(responseParams(first).get('id_token')!);
    const sessionBefore = browser.cookies.get(p.issuer, 'nod_session');
    const login = await browser.get(idToken(p.issuer, { scope: 'openid', prompt: 'login' }));
    assert.ok(isLogin(login.body), 'login page despite the session');
    const again = await browser.submitForm(login, { username: 'alice', password: 'wonderland' });
    const afterClaims = claimsOf(responseParams(again).get('id_token')!);
    assert.notEqual(browser.cookies.get(p.issuer, 'nod_session'), sessionBefore);
    assert.notEqual(afterClaims.sid, before.sid);
    assert.notEqual(afterClaims.sid, browser.cookies.get(p.issuer, 'nod_session'), 'sid does not reveal the session cookie');
  });

  it('max_age: a sign-in older than max_age asks again; the ID token carries auth_time', async () => {
    const browser = providerBrowser(p.issuer);
    const first = await authorize(browser, idToken(p.issuer, { scope: 'openid' }));
    const t1 = claimsOf(responseParams(first).get('id_token')!).auth_time as number;
    const fresh = await browser.get(idToken(p.issuer, { scope: 'openid', max_age: '300' }));
    assert.equal(claimsOf(responseParams(fresh).get('id_token')!).auth_time, t1, 'recent enough: no new sign-in');
    await sleep(1100);
    const old = await browser.get(idToken(p.issuer, { scope: 'openid', max_age: '0' }));
    assert.ok(isLogin(old.body));
    const page = await browser.submitForm(old, { username: 'alice', password: 'wonderland' });
    const t2 = claimsOf(responseParams(page).get('id_token')!).auth_time as number;
    assert.ok(t2 > t1, 'auth_time of the new sign-in');
    const none = await providerBrowser(p.issuer).get(idToken(p.issuer, { scope: 'openid', max_age: '0', prompt: 'none' }));
    assert.equal(responseParams(none).get('error'), 'login_required');
  });

  it('the consent form refuses a post without the CSRF token, and completes only once', async () => {
    const browser = providerBrowser(p.issuer);
    const login = await browser.get(authorizationUrl(p.issuer, { scope: 'openid email' }));
    const consent = await browser.submitForm(login, { username: 'alice', password: 'wonderland' });
    const forged = await browser.submitForm(consent, { csrf: 'forged' }, { button: 'Allow' });
    assert.equal(forged.status, 400);
    assert.equal(forged.location, undefined);
    const ok = await browser.submitForm(consent, {}, { button: 'Allow' });
    assert.ok(ok.location?.searchParams.get('code'));
    const twice = await browser.submitForm(consent, {}, { button: 'Allow' });
    assert.equal(twice.status, 400, 'a second submit of the same interaction is a page');
    assert.equal(twice.location, undefined);
  });

  it('the session and sid carry over to the code exchange', async () => {
    const browser = providerBrowser(p.issuer);
    const page = await authorize(browser, authorizationUrl(p.issuer, { response_type: 'code id_token', nonce: 'hy', scope: 'openid' }));
    const q = responseParams(page);
    const front = claimsOf(q.get('id_token')!);
    const res = await backChannel(p.issuer, '/token', { grant_type: 'authorization_code', code: q.get('code')!, redirect_uri: DEMO_WEB_REDIRECT });
    const back = claimsOf(res.json.id_token as string);
    assert.equal(back.sid, front.sid);
    assert.equal(back.nonce, 'hy');
    assert.equal(back.auth_time, front.auth_time);
  });
});
