/**
 * The session cookie and a cross-site POST to /authorize (a response_mode=form_post flow started
 * from another site). With an https issuer the session cookie is `SameSite=None; Secure`, so the
 * browser sends it on that POST; with an http issuer it stays `SameSite=Lax` (browsers refuse
 * SameSite=None without Secure), and such a POST starts a fresh sign-in. The forms' CSRF cookie
 * stays `SameSite=Strict` either way.
 *
 * Header level: the https issuer is configured while the provider is served on loopback http
 * (the Secure and SameSite flags are derived from the issuer, not from the connection). In
 * Chromium: the provider behind a TLS proxy with a self-signed certificate (made with openssl;
 * skipped with a note when there is none), a relying party page on another site (localhost vs
 * 127.0.0.1) that auto-submits the POST, and the same against a plain-http provider.
 */
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { createServer as createHttpServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import { connect, type AddressInfo, type Socket } from 'node:net';
import { createServer as createTlsServer } from 'node:tls';
import type { Browser as Chromium } from 'playwright-core';
import { after, before, describe, it } from '../helpers/node-test.ts';
import { Teardown } from '../helpers/teardown.ts';
import { startTestProvider, type TestProvider } from '../helpers/provider.ts';
import { authorizationUrl, DEMO_WEB_REDIRECT } from '../helpers/sign-in.ts';
import { Browser, parseForms } from '../helpers/browser-fetch.ts';
import { freePort } from '../../shared/http/free_port.ts';
import { launchBrowser } from '../helpers/browser.ts';
import { NoOpenssl, selfSignedCert } from '../helpers/self-signed.ts';
import { upsertClient } from '../../provider/demo.ts';

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

/**
 * A relying party on another site (https://localhost vs the provider on 127.0.0.1): GET /start
 * renders a form that posts its query (minus `action`) to `action` at once; POST /callback
 * records what arrives.
 */
async function startRp(tlsOptions?: { key: Buffer; cert: Buffer }) {
  const callbacks: URLSearchParams[] = [];
  const handler = async (req: IncomingMessage, res: ServerResponse) => {
    const url = new URL(req.url ?? '/', 'http://rp');
    if (req.method === 'GET' && url.pathname === '/start') {
      const { action, ...fields } = Object.fromEntries(url.searchParams);
      const inputs = Object.entries(fields).map(([k, v]) => `<input type="hidden" name="${k}" value="${v}">`);
      return void res
        .writeHead(200, { 'content-type': 'text/html' })
        .end(`<!doctype html><title>RP</title><form method="post" action="${action}">${inputs.join('')}</form><script>document.forms[0].submit()</script>`);
    }
    if (req.method === 'POST' && url.pathname === '/callback') {
      const chunks: Buffer[] = [];
      for await (const c of req) chunks.push(c as Buffer);
      callbacks.push(new URLSearchParams(Buffer.concat(chunks).toString()));
      return void res.writeHead(200, { 'content-type': 'text/html' }).end('<!doctype html><title>RP callback</title><h1>Back at the RP</h1>');
    }
    res.writeHead(404).end();
  };
  const server = tlsOptions ? createHttpsServer(tlsOptions, handler) : createHttpServer(handler);
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const origin = `${tlsOptions ? 'https' : 'http'}://localhost:${(server.address() as AddressInfo).port}`;
  return {
    origin,
    callbacks,
    close: () => {
      server.closeAllConnections();
      return new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** TLS in front of a provider on loopback http: bytes piped both ways. */
async function startTlsProxy(tlsOptions: { key: Buffer; cert: Buffer }, target: () => number) {
  const sockets = new Set<Socket>();
  const server = createTlsServer(tlsOptions, (client) => {
    const upstream = connect(target(), '127.0.0.1');
    for (const s of [client, upstream]) {
      sockets.add(s);
      s.once('close', () => sockets.delete(s));
    }
    client.on('error', () => upstream.destroy());
    upstream.on('error', () => client.destroy());
    client.pipe(upstream).pipe(client);
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return {
    port: (server.address() as AddressInfo).port,
    close: () => {
      for (const s of sockets) s.destroy();
      return new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

describe('a cross-site form_post POST to /authorize in Chromium', () => {
  const teardown = new Teardown();
  let chromium: Chromium;
  let noHttps: string | undefined;
  let certificate: { key: Buffer; cert: Buffer };

  before(async () => {
    try {
      certificate = selfSignedCert(['localhost', '127.0.0.1']);
    } catch (e) {
      if (!(e instanceof NoOpenssl)) throw e;
      noHttps = e.message;
    }
    chromium = teardown.add(await launchBrowser(), (b) => b.close());
  });
  after(() => teardown.run());

  /**
   * Signs alice in at `issuer` (same-site navigation, consent given), then opens the relying
   * party's page on another site, which posts a form_post authorization request to /authorize.
   * Returns where that ended: back at the RP with a code, or at the provider's login page.
   */
  async function crossSitePostIn(issuer: string, rp: Awaited<ReturnType<typeof startRp>>, p: TestProvider): Promise<'callback' | 'login'> {
    await upsertClient(p.ctx, {
      client_id: 'xs-rp',
      client_secret: 'xs-rp-secret',
      grant_types: ['authorization_code'],
      response_types: ['code'],
      redirect_uris: [`${rp.origin}/callback`],
      scope: 'openid profile',
    });
    const params = { client_id: 'xs-rp', redirect_uri: `${rp.origin}/callback`, response_type: 'code', scope: 'openid', response_mode: 'form_post' };
    const context = await chromium.newContext({ ignoreHTTPSErrors: true });
    try {
      const tab = await context.newPage();
      await tab.goto(`${issuer}/authorize?${new URLSearchParams({ ...params, state: 'same-site' })}`);
      await tab.getByLabel('Username').fill('alice');
      await tab.getByLabel('Password').fill('wonderland');
      await tab.getByRole('button', { name: 'Sign in' }).click();
      await tab.getByRole('button', { name: 'Allow' }).click();
      await tab.waitForURL(`${rp.origin}/callback`);
      assert.equal(rp.callbacks.at(-1)?.get('state'), 'same-site');

      await tab.goto(`${rp.origin}/start?${new URLSearchParams({ action: `${issuer}/authorize`, ...params, state: 'cross-site' })}`);
      await tab.waitForURL((u) => u.href.startsWith(`${rp.origin}/callback`) || u.href.startsWith(`${issuer}/login`));
      if (tab.url().startsWith(`${issuer}/login`)) return 'login';
      const back = rp.callbacks.at(-1)!;
      assert.equal(back.get('state'), 'cross-site');
      assert.ok(back.get('code'));
      return 'callback';
    } finally {
      await context.close();
    }
  }

  it('with an https issuer the session cookie goes along: the code comes back without a new sign-in', async (t) => {
    if (noHttps) return t.skip(`no HTTPS in this test run (${noHttps}); the header-level tests above still cover the cookie attributes`);
    let providerPort = 0;
    const proxy = teardown.add(await startTlsProxy(certificate, () => providerPort), (x) => x.close());
    const issuer = `https://127.0.0.1:${proxy.port}`;
    const p = teardown.add(await startTestProvider({ issuer }), (x) => x.stop());
    providerPort = p.port;
    const rp = teardown.add(await startRp(certificate), (x) => x.close());
    assert.equal(await crossSitePostIn(issuer, rp, p), 'callback');
  });

  it('with a plain http issuer (SameSite=Lax) the same POST arrives without the session and starts a fresh sign-in', async () => {
    const p = teardown.add(await startTestProvider(), (x) => x.stop());
    const rp = teardown.add(await startRp(), (x) => x.close());
    assert.equal(await crossSitePostIn(p.issuer, rp, p), 'login');
  });
});
