/**
 * The authorization endpoint's refusals: shown as a page when the client or redirect_uri cannot
 * be trusted, redirected with the protocol's error (and state and iss) otherwise; malformed and
 * oversized input never gives a 500.
 */
import { after, before, describe, it } from '../helpers/node-test.ts';
import assert from 'node:assert/strict';
import { startTestProvider, type TestProvider } from '../helpers/provider.ts';
import { authorizationUrl, authorize, DEMO_WEB_REDIRECT, providerBrowser } from '../helpers/sign-in.ts';
import { responseParams, type Browser } from '../helpers/browser-fetch.ts';

const CHALLENGE = 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM';

describe('authorization endpoint errors', () => {
  let p: TestProvider;

  before(async () => {
    p = await startTestProvider();
  });
  after(() => p?.stop());

  /** Requests `url` with a fresh browser (no session) and returns the error the client receives. */
  async function redirectedError(params: Record<string, string | undefined>, browser: Browser = providerBrowser(p.issuer)) {
    const page = await browser.get(authorizationUrl(p.issuer, { state: 'st', ...params }));
    assert.ok(page.location, `expected a redirect to the client, got ${page.status}: ${page.body.slice(0, 300)}`);
    const q = responseParams(page);
    assert.equal(q.get('iss'), p.issuer, 'iss in error responses too');
    return { error: q.get('error'), description: q.get('error_description'), state: q.get('state'), location: page.location };
  }

  /** Requests `url` and expects an HTML error page, not a redirect. */
  async function errorPage(url: URL | string, status = 400) {
    const res = await fetch(url, { redirect: 'manual' });
    assert.equal(res.status, status);
    assert.equal(res.headers.get('location'), null, 'never redirected');
    assert.match(res.headers.get('content-type')!, /text\/html/);
    return res.text();
  }

  it('a redirect_uri that differs by one character is shown as a page, not redirected', async () => {
    const body = await errorPage(authorizationUrl(p.issuer, { redirect_uri: 'http://localhost:8080/callbacK', state: 'st' }));
    assert.match(body, /not registered/);
    await errorPage(authorizationUrl(p.issuer, { redirect_uri: `${DEMO_WEB_REDIRECT}/` }));
    await errorPage(authorizationUrl(p.issuer, { redirect_uri: `${DEMO_WEB_REDIRECT}?x=1` }));
  });

  it('unknown or missing client_id and missing redirect_uri are pages', async () => {
    await errorPage(authorizationUrl(p.issuer, { client_id: 'nobody' }));
    await errorPage(authorizationUrl(p.issuer, { client_id: undefined }));
    await errorPage(authorizationUrl(p.issuer, { redirect_uri: undefined }));
    await errorPage(`${p.issuer}/authorize?client_id=demo-web&client_id=demo-spa&redirect_uri=${encodeURIComponent(DEMO_WEB_REDIRECT)}`);
  });

  it('prompt=none without a session is login_required, redirected with state', async () => {
    const r = await redirectedError({ prompt: 'none' });
    assert.equal(r.error, 'login_required');
    assert.equal(r.state, 'st');
  });

  it('prompt=none with a session but no consent for the scopes is consent_required', async () => {
    const browser = providerBrowser(p.issuer);
    await authorize(browser, authorizationUrl(p.issuer, { scope: 'openid' }));
    assert.equal((await redirectedError({ prompt: 'none', scope: 'openid' }, browser)).error, null, 'covered by consent: success');
    assert.equal((await redirectedError({ prompt: 'none', scope: 'openid email' }, browser)).error, 'consent_required');
  });

  it('prompt=none combined with login, or an unknown prompt, is invalid_request', async () => {
    assert.equal((await redirectedError({ prompt: 'none login' })).error, 'invalid_request');
    assert.equal((await redirectedError({ prompt: 'select_account' })).error, 'invalid_request');
  });

  it('PKCE: plain and a challenge without method are refused; public clients must use it', async () => {
    assert.equal((await redirectedError({ code_challenge: CHALLENGE, code_challenge_method: 'plain' })).error, 'invalid_request');
    assert.equal((await redirectedError({ code_challenge: CHALLENGE })).error, 'invalid_request');
    assert.equal((await redirectedError({ code_challenge: 'short', code_challenge_method: 'S256' })).error, 'invalid_request');
    const spa = await redirectedError({ client_id: 'demo-spa', redirect_uri: 'http://localhost:8080/spa' });
    assert.equal(spa.error, 'invalid_request');
    assert.match(spa.description!, /PKCE/);
  });

  it('an ID token from this endpoint needs a nonce; errors of token responses go in the fragment', async () => {
    const r = await redirectedError({ response_type: 'id_token' });
    assert.equal(r.error, 'invalid_request');
    assert.match(r.description!, /nonce/);
    assert.ok(r.location.hash, 'in the fragment');
  });

  it('response_mode=query is refused for response types that return tokens', async () => {
    const r = await redirectedError({ response_type: 'id_token token', nonce: 'n', response_mode: 'query' });
    assert.equal(r.error, 'invalid_request');
    assert.ok(r.location.hash);
    assert.equal((await redirectedError({ response_mode: 'jwt' })).error, 'invalid_request');
  });

  it('an unknown response_type is unsupported_response_type; one the client did not register (token for demo-web) is unauthorized_client', async () => {
    assert.equal((await redirectedError({ response_type: 'token' })).error, 'unauthorized_client');
    assert.equal((await redirectedError({ response_type: 'code bogus' })).error, 'unsupported_response_type');
    assert.equal((await redirectedError({ response_type: undefined })).error, 'invalid_request');
    const spa = await redirectedError({ client_id: 'demo-spa', redirect_uri: 'http://localhost:8080/spa', response_type: 'id_token', nonce: 'n' });
    assert.equal(spa.error, 'unauthorized_client');
  });

  it('request and request_uri are not supported', async () => {
    assert.equal((await redirectedError({ request: 'eyJhbGciOiJub25lIn0.e30.' })).error, 'request_not_supported');
    assert.equal((await redirectedError({ request_uri: 'https://rp.example/req' })).error, 'request_uri_not_supported');
  });

  it('scopes: not registered for the client is invalid_scope; an ID token without openid is invalid_request', async () => {
    assert.equal((await redirectedError({ scope: 'openid api' })).error, 'invalid_scope');
    assert.equal((await redirectedError({ scope: 'profile', response_type: 'code id_token', nonce: 'n' })).error, 'invalid_request');
    assert.equal((await redirectedError({ scope: undefined })).error, 'invalid_request');
  });

  it('max_age that is not a non-negative integer is invalid_request', async () => {
    assert.equal((await redirectedError({ max_age: '-1' })).error, 'invalid_request');
    assert.equal((await redirectedError({ max_age: 'soon' })).error, 'invalid_request');
  });

  it('a repeated parameter is invalid_request, redirected once the client is known', async () => {
    const url = authorizationUrl(p.issuer, { prompt: 'none' });
    url.searchParams.append('scope', 'email');
    const page = await providerBrowser(p.issuer).get(url);
    assert.equal(responseParams(page).get('error'), 'invalid_request');
  });

  it('form_post errors are posted back with iss', async () => {
    const page = await providerBrowser(p.issuer).get(authorizationUrl(p.issuer, { prompt: 'none', response_mode: 'form_post', state: 'fp' }));
    assert.equal(page.status, 200);
    const q = responseParams(page);
    assert.equal(q.get('error'), 'login_required');
    assert.equal(q.get('state'), 'fp');
    assert.equal(q.get('iss'), p.issuer);
  });

  it('POST to the authorization endpoint works like GET', async () => {
    const url = authorizationUrl(p.issuer, { prompt: 'none', state: 'post' });
    const page = await providerBrowser(p.issuer).post(`${p.issuer}/authorize`, Object.fromEntries(url.searchParams));
    assert.equal(page.location?.searchParams.get('error'), 'login_required');
  });

  it('malformed and oversized input is a 4xx, never a 500', async () => {
    const base = `${p.issuer}/authorize`;
    const junk = [
      `${base}?client_id=%FF%FE%00&redirect_uri=%C0%AF`,
      `${base}?client_id=demo-web&redirect_uri=${encodeURIComponent(DEMO_WEB_REDIRECT)}&scope=%FF%FE&response_type=%E0%A4%A&state=%`,
      `${base}?client_id=demo-web&redirect_uri=${encodeURIComponent(DEMO_WEB_REDIRECT)}&response_type=code&scope=openid&state=${'a'.repeat(9000)}`,
      `${base}?client_id[]=x&redirect_uri[a]=b`,
      `${base}?${'a=1&'.repeat(2000)}`,
      `${base}?q=${'x'.repeat(100 * 1024)}`,
      `${p.issuer}/authorize/resume/nope`,
      `${p.issuer}/authorize/resume/${'A'.repeat(40)}`,
      `${p.issuer}/consent/${'A'.repeat(40)}`,
      `${p.issuer}/logout?id_token_hint=not.a.jwt`,
      `${p.issuer}/logout?post_logout_redirect_uri=http://evil.example/`,
      `${p.issuer}/logout?client_id=demo-web&post_logout_redirect_uri=%FF`,
      `${p.issuer}/login?return_to=%FF%FE`,
    ];
    const pages = junk.slice(0, -1);
    for (const url of pages) {
      const res = await fetch(url, { redirect: 'manual' });
      await res.arrayBuffer();
      assert.ok(res.status >= 300, `${url.slice(0, 120)} is refused`);
    }
    for (const url of junk) {
      const res = await fetch(url, { redirect: 'manual' });
      await res.arrayBuffer();
      assert.ok(res.status < 500, `${url.slice(0, 120)} → ${res.status}`);
      if (res.status >= 300 && res.status < 400) assert.ok(res.headers.get('location')?.startsWith(DEMO_WEB_REDIRECT), 'only redirects to the registered URI');
    }
    const posts: Array<[string, string, string]> = [
      ['/authorize', 'application/x-www-form-urlencoded', `client_id=demo-web&q=${'x'.repeat(100 * 1024)}`],
      ['/authorize', 'application/json', '{"client_id":"demo-web"}'],
      ['/authorize', 'application/x-www-form-urlencoded; charset=latin1', 'client_id=demo-web'],
      ['/authorize', 'application/x-www-form-urlencoded', '%%%&&&===\u0000'],
      ['/consent/AAAAAAAAAAAAAAAAAAAAAAAA', 'application/x-www-form-urlencoded', 'decision=allow'],
      ['/logout', 'application/x-www-form-urlencoded', 'logout=confirm'],
      ['/logout', 'text/plain', 'hello'],
      ['/token', 'application/x-www-form-urlencoded', 'grant_type=authorization_code&code=x&code=y'],
    ];
    for (const [path, type, body] of posts) {
      const res = await fetch(`${p.issuer}${path}`, { method: 'POST', headers: { 'content-type': type }, body, redirect: 'manual' });
      await res.arrayBuffer();
      assert.ok(res.status >= 400 && res.status < 500, `POST ${path} (${type}) → ${res.status}`);
    }
  });
});
