/**
 * The session cookie and a cross-site POST to /authorize (a response_mode=form_post flow started
 * from another site). With an https issuer the session cookie is `SameSite=None; Secure`, so the
 * browser sends it on that POST; with an http issuer it stays `SameSite=Lax` (browsers refuse
 * SameSite=None without Secure), and such a POST starts a fresh sign-in. The forms' CSRF cookie
 * stays `SameSite=Strict` either way.
 *
 * Header level: the https issuer is configured while the provider is served on loopback http
 * (the Secure and SameSite flags are derived from the issuer, not from the connection).
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from '../helpers/node-test.ts';
import { Teardown } from '../helpers/teardown.ts';
import { startTestProvider, type TestProvider } from '../helpers/provider.ts';
import { authorizationUrl, DEMO_WEB_REDIRECT } from '../helpers/sign-in.ts';
import { Browser, parseForms } from '../helpers/browser-fetch.ts';
import { freePort } from '../../shared/http/free_port.ts';

/** The attributes of the Set-Cookie line for `name` in `headers`, lower-cased names. */
function cookieAttributes(headers: Headers, name: string): Map<string, string> | undefined {
  const line = headers.getSetCookie().find((l) => l.startsWith(`${name}=`));
  if (!line) return undefined;
  return new Map(
    line
      .split(';')
      .slice(1)
      .map((a) => a.trim().split('=') as [string, string?])
      .map(([k, v]) => [k.toLowerCase(), v ?? ''] as const),
  );
}

/** Signs alice in through the login form of the provider served at `origin`; returns the browser and the login answer's headers. */
async function signIn(origin: string): Promise<{ browser: Browser; loginPage: Headers; loginAnswer: Headers }> {
  const browser = new Browser({ origins: [origin] });
  const page = await browser.get(authorizationUrl(origin, { prompt: 'login' }));
  const form = page.forms.find((f) => 'password' in f.fields);
  assert.ok(form, `no login form at ${page.url.href}: ${page.body.slice(0, 300)}`);
  const action = new URL(form.action.pathname + form.action.search, origin);
  const res = await fetch(action, {
    method: 'POST',
    redirect: 'manual',
    headers: { 'content-type': 'application/x-www-form-urlencoded', cookie: browser.cookies.header(action) ?? '' },
    body: new URLSearchParams({ ...form.fields, username: 'alice', password: 'wonderland' }),
  });
  assert.equal(res.status, 303, await res.text());
  browser.cookies.store(action, res.headers);
  return { browser, loginPage: page.headers, loginAnswer: res.headers };
}

/** A cross-site form_post authorization request, as a browser sends it from another site's auto-submitting form. */
function crossSitePost(origin: string, cookie: string | undefined): Promise<Response> {
  const params = Object.fromEntries(authorizationUrl(origin, { response_mode: 'form_post', state: 'xs' }).searchParams);
  return fetch(`${origin}/authorize`, {
    method: 'POST',
    redirect: 'manual',
    headers: {
      'content-type': 'application/x-www-form-urlencoded',
      origin: 'http://rp.example',
      'sec-fetch-site': 'cross-site',
      ...(cookie ? { cookie } : {}),
    },
    body: new URLSearchParams(params),
  });
}

describe('session cookie with an https issuer (served on loopback http)', () => {
  const teardown = new Teardown();
  let p: TestProvider;
  let origin: string;

  before(async () => {
    const port = await freePort('127.0.0.1');
    p = teardown.add(await startTestProvider({ port, issuer: `https://127.0.0.1:${port}` }), (x) => x.stop());
    origin = `http://127.0.0.1:${port}`;
  });
  after(() => teardown.run());

  it('is SameSite=None; Secure; HttpOnly, and so is the browser state (without HttpOnly); the CSRF cookie stays Strict', async () => {
    assert.equal(p.ctx.config.secureCookies, true, 'derived from the https issuer');
    const { loginPage, loginAnswer } = await signIn(origin);
    const session = cookieAttributes(loginAnswer, 'nod_session');
    assert.ok(session, loginAnswer.getSetCookie().join('\n'));
    assert.equal(session.get('samesite'), 'None');
    assert.ok(session.has('secure') && session.has('httponly'));
    assert.equal(session.get('path'), '/');
    const bs = cookieAttributes(loginAnswer, 'nod_bs')!;
    assert.equal(bs.get('samesite'), 'None');
    assert.ok(bs.has('secure') && !bs.has('httponly'));
    const csrf = cookieAttributes(loginPage, 'nod_csrf')!;
    assert.equal(csrf.get('samesite'), 'Strict');
    assert.ok(csrf.has('secure') && csrf.has('httponly'));
  });

  it('a cross-site form_post POST to /authorize that carries the session is answered with the code, no new sign-in', async () => {
    const { browser } = await signIn(origin);
    // demo-web's consent, once, in the provider's own pages.
    const first = await browser.get(authorizationUrl(origin));
    if (first.forms.some((f) => f.buttons.some((b) => b.text === 'Allow'))) await browser.submitForm(first, {}, { button: 'Allow' });
    const res = await crossSitePost(origin, browser.cookies.header(new URL(origin)));
    assert.equal(res.status, 200);
    const body = await res.text();
    assert.match(body, new RegExp(`action="${DEMO_WEB_REDIRECT}"`));
    const fields = new URLSearchParams(parseForms(body, new URL(origin))[0]!.fields);
    assert.ok(fields.get('code'));
    assert.equal(fields.get('state'), 'xs');
    // Without the cookie (what a browser sends for a Lax cookie), the same POST goes to a fresh sign-in.
    const bare = await crossSitePost(origin, undefined);
    assert.equal(bare.status, 303);
    assert.match(bare.headers.get('location') ?? '', /^\/login\?/);
  });

  it('signing out clears the session cookie with the same attributes; forms still need their CSRF token', async () => {
    const { browser } = await signIn(origin);
    const confirm = await browser.get(`${origin}/logout`);
    const forged = await fetch(`${origin}/logout`, {
      method: 'POST',
      headers: {
        'content-type': 'application/x-www-form-urlencoded',
        cookie: `nod_session=${browser.cookies.get(origin, 'nod_session')}`,
        origin: 'http://evil.example',
      },
      body: new URLSearchParams({ logout: 'confirm' }),
    });
    assert.equal(forged.status, 400, 'a cross-site POST carries the session cookie, but not the Strict CSRF cookie and token');
    const form = confirm.forms[0]!;
    const res = await fetch(`${origin}/logout`, {
      method: 'POST',
      redirect: 'manual',
      headers: { 'content-type': 'application/x-www-form-urlencoded', cookie: browser.cookies.header(new URL(origin)) ?? '' },
      body: new URLSearchParams(form.fields),
    });
    assert.equal(res.status, 200);
    const cleared = cookieAttributes(res.headers, 'nod_session')!;
    assert.equal(cleared.get('max-age'), '0');
    assert.equal(cleared.get('samesite'), 'None');
    assert.ok(cleared.has('secure'));
  });
});

describe('session cookie with an http issuer', () => {
  let p: TestProvider;
  before(async () => {
    p = await startTestProvider();
  });
  after(() => p?.stop());

  it('stays SameSite=Lax without Secure (a cross-site POST to /authorize then starts a fresh sign-in)', async () => {
    assert.equal(p.ctx.config.secureCookies, false);
    const { loginAnswer } = await signIn(p.issuer);
    const session = cookieAttributes(loginAnswer, 'nod_session')!;
    assert.equal(session.get('samesite'), 'Lax');
    assert.ok(!session.has('secure'));
  });
});
