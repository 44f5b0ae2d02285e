/**
 * OpenID Connect Session Management 1.0: session_state in authorization responses (success and
 * error, whenever the browser has a session), the browser state cookie, check_session_iframe in
 * discovery, and the OP iframe answering a relying party's page in Chromium: unchanged while the
 * user stays signed in, changed once they sign out at the provider, error for a malformed message.
 *
 * The relying party's pages are served by this test on other loopback ports of 127.0.0.1: other
 * origins, but the same site as the provider. A page on http://localhost is another site, and
 * there Chromium does not let the provider's iframe read its cookie (third-party cookies); the
 * iframe then answers error (it cannot tell), never a false "changed".
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { once } from 'node:events';
import type { Browser as Chromium, BrowserContext, Page } from 'playwright-core';
import { after, before, describe, it } from '../helpers/node-test.ts';
import { launchBrowser } from '../helpers/browser.ts';
import { Teardown } from '../helpers/teardown.ts';
import { startTestProvider, type TestProvider } from '../helpers/provider.ts';
import { authorize, authorizationUrl, providerBrowser } from '../helpers/sign-in.ts';
import { responseParams } from '../helpers/browser-fetch.ts';
import { upsertClient } from '../../provider/demo.ts';

const CLIENT_ID = 'session-rp';

/** The relying party: its callback page reads session_state and talks to the OP iframe. */
function rpPage(opIframe: string): string {
  const opOrigin = new URL(opIframe).origin;
  return `<!doctype html><title>RP</title>
<iframe id="op" src="${opIframe}" hidden></iframe>
<script>
const params = new URLSearchParams(location.search);
window.sessionState = params.get('session_state');
const frame = document.getElementById('op');
window.opLoaded = new Promise((resolve) => frame.addEventListener('load', resolve));
/** Posts a message to the OP iframe and resolves with its answer (or 'timeout'). */
window.ask = async (message) => {
  await window.opLoaded;
  return new Promise((resolve) => {
    const t = setTimeout(() => resolve('timeout'), 3000);
    window.addEventListener('message', function on(e) {
      if (e.origin !== ${JSON.stringify(opOrigin)} || e.source !== frame.contentWindow) return;
      window.removeEventListener('message', on);
      clearTimeout(t);
      resolve(e.data);
    });
    frame.contentWindow.postMessage(message, ${JSON.stringify(opOrigin)});
  });
};
window.check = () => window.ask(${JSON.stringify(CLIENT_ID)} + ' ' + window.sessionState);
</script>`;
}

async function listen(server: Server, host: string): Promise<number> {
  server.listen(0, host);
  await once(server, 'listening');
  return (server.address() as AddressInfo).port;
}

function closeServer(server: Server): Promise<void> {
  server.closeAllConnections();
  return new Promise((resolve) => server.close(() => resolve()));
}

const hex = (text: string) => createHash('sha256').update(text).digest('hex');

describe('session management', () => {
  let p: TestProvider;
  let rp: Server;
  let otherRp: Server;
  let rpOrigin: string;
  let otherOrigin: string;
  let crossSiteOrigin: string;
  const teardown = new Teardown();

  before(async () => {
    p = teardown.add(await startTestProvider(), (provider) => provider.stop());
    const serve = (_req: unknown, res: import('node:http').ServerResponse) =>
      void res.writeHead(200, { 'Content-Type': 'text/html' }).end(rpPage(p.ctx.urls.checkSession));
    rp = teardown.add(createServer(serve), closeServer);
    otherRp = teardown.add(createServer(serve), closeServer);
    const port = await listen(rp, '127.0.0.1');
    rpOrigin = `http://127.0.0.1:${port}`;
    crossSiteOrigin = `http://localhost:${port}`;
    otherOrigin = `http://127.0.0.1:${await listen(otherRp, '127.0.0.1')}`;
    await upsertClient(p.ctx, {
      client_id: CLIENT_ID,
      client_secret: 'session-rp-secret',
      grant_types: ['authorization_code'],
      response_types: ['code'],
      scope: 'openid profile',
      redirect_uris: [`${rpOrigin}/callback`, `${otherOrigin}/callback`, `${crossSiteOrigin}/callback`],
    });
  });
  after(() => teardown.run());

  const url = (redirect: string, extra: Record<string, string> = {}) =>
    authorizationUrl(p.issuer, { client_id: CLIENT_ID, redirect_uri: `${redirect}/callback`, scope: 'openid', state: 'st', ...extra });

  it('discovery names the check_session_iframe; the page may be framed by anyone and runs only its own script', async () => {
    const meta = (await (await fetch(`${p.issuer}/.well-known/openid-configuration`)).json()) as Record<string, unknown>;
    assert.equal(meta.check_session_iframe, `${p.issuer}/session/check`);
    const res = await fetch(meta.check_session_iframe as string);
    assert.equal(res.status, 200);
    assert.equal(res.headers.get('x-frame-options'), null);
    const csp = res.headers.get('content-security-policy') ?? '';
    assert.match(csp, /frame-ancestors \*/);
    assert.match(csp, /script-src 'self'/);
    assert.doesNotMatch(csp, /unsafe-inline|nonce-/);
    const script = /<script src="([^"]+)"><\/script>/.exec(await res.text())?.[1];
    assert.ok(script, 'the script is a file, not inline');
    const js = await fetch(new URL(script, p.issuer));
    assert.match(js.headers.get('content-type') ?? '', /^text\/javascript/);
    assert.match(await js.text(), /addEventListener\('message'/);
  });

  it("session_state is the spec's salted hash of client_id, redirect origin and the browser state cookie", async () => {
    const browser = providerBrowser(p.issuer);
    const page = await authorize(browser, url(rpOrigin));
    const params = responseParams(page);
    assert.ok(params.get('code'));
    const [hash, salt] = (params.get('session_state') ?? '').split('.');
    const bs = browser.cookies.get(p.issuer, 'nod_bs');
    assert.ok(bs, 'the browser state cookie is set at sign-in');
    assert.equal(hash, hex(`${CLIENT_ID} ${rpOrigin} ${bs} ${salt}`));
    const setCookie = page.headers.getSetCookie().find((c) => c.startsWith('nod_bs='));
    assert.ok(setCookie && !/HttpOnly/i.test(setCookie), 'the iframe script must be able to read it');

    // A second response in the same session: same browser state, fresh salt.
    const again = responseParams(await authorize(browser, url(rpOrigin)));
    const [hash2, salt2] = again.get('session_state')!.split('.');
    assert.notEqual(salt2, salt);
    assert.equal(hash2, hex(`${CLIENT_ID} ${rpOrigin} ${bs} ${salt2}`));

    // Error responses carry it too while there is a session (consent denied, prompt=none without consent)...
    const denied = responseParams(await authorize(browser, url(rpOrigin, { scope: 'openid profile' }), { consent: 'Deny' }));
    assert.equal(denied.get('error'), 'access_denied');
    assert.match(denied.get('session_state') ?? '', /^[0-9a-f]{64}\./);
    const none = responseParams(await browser.get(url(rpOrigin, { scope: 'openid profile', prompt: 'none' })));
    assert.equal(none.get('error'), 'consent_required');
    assert.match(none.get('session_state') ?? '', /^[0-9a-f]{64}\./);

    // ...but not without one.
    const stranger = responseParams(await providerBrowser(p.issuer).get(url(rpOrigin, { prompt: 'none' })));
    assert.equal(stranger.get('error'), 'login_required');
    assert.equal(stranger.get('session_state'), null);

    // The browser state changes at sign-out.
    const logout = await browser.get(`${p.issuer}/logout`);
    await browser.submitForm(logout, {}, { button: 'Sign out' });
    const after = browser.cookies.get(p.issuer, 'nod_bs');
    assert.ok(after && after !== bs);
  });

  describe('the OP iframe in Chromium', () => {
    let chromiumBrowser: Chromium;
    let context: BrowserContext;

    before(async () => {
      chromiumBrowser = teardown.add(await launchBrowser(), (b) => b.close());
      context = await chromiumBrowser.newContext();
    });

    /** Signs in through the real forms (or rides the session) and lands on the RP's callback page. */
    async function signInAt(origin: string, page?: Page): Promise<Page> {
      const tab = page ?? (await context.newPage());
      await tab.goto(url(origin).href);
      if (tab.url().startsWith(`${p.issuer}/login`)) {
        await tab.getByLabel('Username').fill('alice');
        await tab.getByLabel('Password').fill('wonderland');
        await tab.getByRole('button', { name: 'Sign in' }).click();
      }
      const allow = tab.getByRole('button', { name: 'Allow' });
      await Promise.race([allow.waitFor().then(() => allow.click()), tab.waitForURL(`${origin}/callback**`)]);
      await tab.waitForURL(`${origin}/callback**`);
      assert.match(await tab.evaluate(() => (window as unknown as { sessionState: string }).sessionState), /^[0-9a-f]{64}\./);
      return tab;
    }
    const check = (page: Page) => page.evaluate(() => (window as unknown as { check(): Promise<string> }).check());
    const ask = (page: Page, message: unknown) => page.evaluate((m) => (window as unknown as { ask(m: unknown): Promise<string> }).ask(m), message);

    it('answers unchanged while signed in, changed after sign-out at the provider, and unchanged for the next session', async () => {
      const rpTab = await signInAt(rpOrigin);
      assert.equal(await check(rpTab), 'unchanged');
      assert.equal(await check(rpTab), 'unchanged', 'asking again changes nothing');

      // The user signs out at the provider in another tab.
      const opTab = await context.newPage();
      await opTab.goto(`${p.issuer}/logout`);
      await opTab.getByRole('button', { name: 'Sign out' }).click();
      await opTab.getByText('You are signed out').waitFor();
      assert.equal(await check(rpTab), 'changed');

      // Signing in again: the old session_state stays changed, the new one is unchanged.
      const again = await signInAt(rpOrigin, await context.newPage());
      assert.equal(await check(again), 'unchanged');
      assert.equal(await check(rpTab), 'changed');
    });

    it('a session_state issued for one origin reads as changed from another', async () => {
      const rpTab = await signInAt(rpOrigin);
      const other = await context.newPage();
      await other.goto(
        `${otherOrigin}/callback?session_state=${encodeURIComponent(await rpTab.evaluate(() => (window as unknown as { sessionState: string }).sessionState))}`,
      );
      assert.equal(await check(other), 'changed');
      assert.equal(await check(rpTab), 'unchanged');
    });

    it('answers error to a malformed or unknown message', async () => {
      const rpTab = await signInAt(rpOrigin);
      const state = await rpTab.evaluate(() => (window as unknown as { sessionState: string }).sessionState);
      for (const message of [
        'hello',
        `${CLIENT_ID}`,
        `${CLIENT_ID} ${state} extra`,
        `${CLIENT_ID} not-a-state`,
        `bad client ${state}`,
        '',
        { client_id: CLIENT_ID },
        42,
      ]) {
        assert.equal(await ask(rpTab, message), 'error', JSON.stringify(message));
      }
      assert.equal(await check(rpTab), 'unchanged');
    });

    it("on another site, where the browser hides the provider's cookie from the iframe, it never claims a change it cannot see", async (t) => {
      const tab = await signInAt(crossSiteOrigin);
      const answer = await check(tab);
      t.diagnostic(`answer on another site: ${answer}`);
      assert.ok(answer === 'error' || answer === 'unchanged', answer);
    });
  });
});
