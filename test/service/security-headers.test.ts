/**
 * Security headers (shared/http/security_headers.ts) on every HTML page of the provider (login,
 * its error answer, consent, the form_post response, device verification, logout, error pages,
 * the check-session iframe) and on the device app the entity serves (index.html, the SPA
 * fallback, sw.js): a CSP without inline script, style or eval, framing refused except for the
 * check-session iframe, no-referrer, nosniff; and no page holds an inline script or style.
 */
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { PATHS } from '../../provider/context.ts';
import { Teardown } from '../helpers/teardown.ts';
import { after, before, describe, it } from '../helpers/node-test.ts';
import { startTestProvider, type TestProvider } from '../helpers/provider.ts';
import { authorizationUrl, DEMO_WEB_REDIRECT, providerBrowser } from '../helpers/sign-in.ts';
import type { Page } from '../helpers/browser-fetch.ts';
import { startTestServer, type TestServer } from '../entity/helpers.ts';

const APP_DIR = join(new URL('../../', import.meta.url).pathname, 'device-app', 'dist');

/** The directives of a CSP header, by name. */
function directives(csp: string): Map<string, string[]> {
  return new Map(
    csp
      .split(';')
      .map((d) => d.trim().split(/\s+/))
      .filter((d) => d[0])
      .map(([name, ...values]) => [name!, values]),
  );
}

/** Asserts the headers and markup every HTML page must have; returns the CSP's directives. */
function assertSecurePage(what: string, headers: Headers, body: string, o: { frameable?: boolean } = {}): Map<string, string[]> {
  assert.match(headers.get('content-type') ?? '', /^text\/html/, `${what}: an HTML page`);
  const csp = headers.get('content-security-policy');
  assert.ok(csp, `${what}: has a CSP`);
  assert.doesNotMatch(csp, /unsafe-inline|unsafe-eval|unsafe-hashes|nonce-|strict-dynamic/, `${what}: ${csp}`);
  const d = directives(csp);
  assert.deepEqual(d.get('default-src'), ["'none'"], `${what}: default-src`);
  assert.ok(["'self'", "'none'"].includes(d.get('script-src')?.join(' ') ?? ''), `${what}: script-src ${d.get('script-src')}`);
  assert.deepEqual(d.get('style-src'), ["'self'"], `${what}: style-src`);
  assert.deepEqual(d.get('base-uri'), ["'none'"], `${what}: base-uri`);
  assert.deepEqual(d.get('frame-ancestors'), o.frameable ? ['*'] : ["'none'"], `${what}: frame-ancestors`);
  assert.equal(headers.get('x-frame-options'), o.frameable ? null : 'DENY', `${what}: X-Frame-Options`);
  assert.equal(headers.get('referrer-policy'), 'no-referrer', `${what}: Referrer-Policy`);
  assert.equal(headers.get('x-content-type-options'), 'nosniff', `${what}: nosniff`);
  assert.doesNotMatch(body, /<script(?![^>]*\bsrc=)[^>]*>/i, `${what}: no inline script`);
  assert.doesNotMatch(body, /<style|\sstyle=|\son[a-z]+=/i, `${what}: no inline style or event handler`);
  return d;
}

const checkPage = (what: string, page: Page, o: { frameable?: boolean } = {}) => assertSecurePage(what, page.headers, page.body, o);

describe('security headers on every HTML page', () => {
  let p: TestProvider;
  let s: TestServer | undefined;
  const teardown = new Teardown();

  before(async () => {
    p = teardown.add(await startTestProvider(), (x) => x.stop());
    if (existsSync(join(APP_DIR, 'index.html'))) s = teardown.add(await startTestServer({ trustedIssuers: [p.issuer], appDir: APP_DIR }), (x) => x.stop());
  });
  after(() => teardown.run());

  it('the provider: login, wrong password, consent, form_post, device verification, errors, logout', async () => {
    const browser = providerBrowser(p.issuer);
    checkPage('login', await browser.get(new URL(PATHS.login, p.issuer)));
    const login = await browser.get(authorizationUrl(p.issuer, { scope: 'openid profile', response_mode: 'form_post' }));
    const loginCsp = checkPage('login during authorization', login);
    assert.ok(loginCsp.get('form-action')?.includes(new URL(DEMO_WEB_REDIRECT).origin), 'the redirect after sign-in may reach the client');
    checkPage('wrong password', await browser.submitForm(login, { username: 'alice', password: 'nope' }));
    const consent = await browser.submitForm(login, { username: 'alice', password: 'wonderland' });
    assert.match(consent.body, />Allow</);
    checkPage('consent', consent);

    const formPost = await browser.submitForm(consent, {}, { button: 'Allow' });
    assert.equal(formPost.forms[0]?.action.href, DEMO_WEB_REDIRECT);
    const fp = checkPage('form_post response', formPost);
    assert.deepEqual(fp.get('script-src'), ["'self'"]);
    assert.ok(fp.get('form-action')?.includes(new URL(DEMO_WEB_REDIRECT).origin));
    const src = /<script src="([^"]+)"><\/script>/.exec(formPost.body)?.[1];
    assert.ok(src, 'the form_post page submits itself with a script file');
    const script = await fetch(new URL(src, p.issuer));
    assert.match(script.headers.get('content-type') ?? '', /^text\/javascript/);
    assert.equal(script.headers.get('x-content-type-options'), 'nosniff');
    assert.match(await script.text(), /getElementById\('response'\)\.submit\(\)/);

    const code = (await (
      await fetch(new URL(PATHS.deviceAuthorization, p.issuer), { method: 'POST', body: new URLSearchParams({ client_id: 'demo-tv', scope: 'openid' }) })
    ).json()) as {
      user_code: string;
    };
    const entry = await browser.get(new URL(`${PATHS.deviceVerification}?user_code=${code.user_code}`, p.issuer));
    checkPage('device code entry', entry);
    const confirm = await browser.submitForm(entry);
    assert.match(confirm.body, /Living Room TV/);
    checkPage('device confirmation', confirm);
    checkPage('device result', await browser.submitForm(confirm, {}, { button: confirm.forms[0]!.buttons[0]!.text }));

    const error = await browser.get(authorizationUrl(p.issuer, { client_id: 'no-such-client' }));
    assert.equal(error.status, 400);
    checkPage('error page', error);

    const logout = await browser.get(new URL(PATHS.endSession, p.issuer));
    checkPage('logout confirmation', logout);
    checkPage('signed out', await browser.submitForm(logout));
  });

  it('the check-session iframe may be framed by any site, and only there', async () => {
    const res = await fetch(new URL(PATHS.checkSession, p.issuer));
    const d = assertSecurePage('check_session_iframe', res.headers, await res.text(), { frameable: true });
    assert.deepEqual(d.get('script-src'), ["'self'"]);
  });

  it('the device app: index.html, the SPA fallback and sw.js carry a CSP the build satisfies', async (t) => {
    if (!s) return t.skip('device-app/dist is missing: run `npm run build`');
    for (const path of ['/', '/requests', '/settings']) {
      const res: Response = await fetch(new URL(path, s.url), { headers: { accept: 'text/html' } });
      assert.equal(res.status, 200, path);
      const d = assertSecurePage(`app ${path}`, res.headers, await res.text());
      assert.deepEqual(d.get('script-src'), ["'self'"]);
      assert.deepEqual(d.get('connect-src'), ["'self'", new URL(p.issuer).origin], 'the API and WebSocket here, sign-in at the provider');
      assert.deepEqual(d.get('worker-src'), ["'self'"]);
      assert.deepEqual(d.get('manifest-src'), ["'self'"]);
    }
    const sw = await fetch(new URL('/sw.js', s.url));
    assert.equal(sw.status, 200);
    assert.ok(sw.headers.get('content-security-policy'), 'the service worker gets its policy too');
    assert.equal(sw.headers.get('x-content-type-options'), 'nosniff');
    const api = await fetch(new URL('/api/config', s.url));
    assert.equal(api.headers.get('x-content-type-options'), 'nosniff');
    assert.equal(api.headers.get('referrer-policy'), 'no-referrer');
  });
});
