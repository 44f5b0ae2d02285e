/**
 * The provider's pages in a real browser (Chromium via playwright-core) on a phone-sized
 * viewport: sign in, consent, a form_post response that submits itself under the page's CSP,
 * logout confirmation, the error page. Screenshots go to test-results/screenshots/.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { after, before, describe, it } from '../helpers/node-test.ts';
import { launchBrowser, phoneContext, SCREENSHOTS } from '../helpers/browser.ts';
import { Teardown } from '../helpers/teardown.ts';
import { startTestProvider, type TestProvider } from '../helpers/provider.ts';
import { authorizationUrl } from '../helpers/sign-in.ts';

describe('provider pages in a browser', () => {
  let p: TestProvider;
  let browser: Browser;
  /** What the fake client received at its redirect URI. */
  const received: Array<{ method: string; url: string; body: string }> = [];
  const teardown = new Teardown();

  before(async () => {
    browser = teardown.add(await launchBrowser(), (b) => b.close());
    p = teardown.add(await startTestProvider(), (provider) => provider.stop());
  });
  after(() => teardown.run());

  async function phone(colorScheme: 'light' | 'dark' = 'light'): Promise<Page> {
    const context = await phoneContext(browser, { colorScheme });
    // The demo client's redirect URI is answered here instead of by a running app.
    await context.route('http://localhost:8080/**', async (route) => {
      const request = route.request();
      received.push({ method: request.method(), url: request.url(), body: request.postData() ?? '' });
      await route.fulfill({ status: 200, contentType: 'text/html', body: '<!doctype html><title>Demo app</title><h1>Back at the app</h1>' });
    });
    return context.newPage();
  }

  const shot = (page: Page, name: string) => page.screenshot({ path: join(SCREENSHOTS, `provider-${name}.png`), fullPage: true });

  /** Opens an authorization request at the provider's login page and signs in. */
  async function signIn(page: Page, params: Record<string, string>, username = 'alice', password = 'wonderland'): Promise<void> {
    await page.goto(authorizationUrl(p.issuer, params).href);
    await page.getByLabel('Username').fill(username);
    await page.getByLabel('Password').fill(password);
    await page.getByRole('button', { name: 'Sign in' }).click();
  }

  it('sign in, consent, and a form_post response that submits itself', async () => {
    const page = await phone();
    await page.goto(
      authorizationUrl(p.issuer, {
        response_type: 'code id_token',
        response_mode: 'form_post',
        nonce: 'n',
        state: 'st',
        scope: 'openid profile email offline_access',
        login_hint: 'alice',
      }).href,
    );
    await page.getByLabel('Username').waitFor();
    assert.equal(await page.getByLabel('Username').inputValue(), 'alice');
    await shot(page, 'login');
    await page.getByLabel('Password').fill('wonderland');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('button', { name: 'Allow' }).waitFor();
    assert.ok(await page.getByText('See your email address').isVisible());
    await shot(page, 'consent');
    await page.getByRole('button', { name: 'Allow' }).click();
    await page.getByText('Back at the app').waitFor();
    const last = received.at(-1)!;
    assert.equal(last.method, 'POST', 'form_post arrives as a POST');
    const body = new URLSearchParams(last.body);
    assert.ok(body.get('code') && body.get('id_token'));
    assert.equal(body.get('state'), 'st');
    assert.equal(body.get('iss'), p.issuer);
    await page.context().close();
  });

  it('the consent page in dark mode, and the wrong-password message', async () => {
    const page = await phone('dark');
    await page.goto(authorizationUrl(p.issuer, { scope: 'openid phone' }).href);
    await page.getByLabel('Username').fill('bob');
    await page.getByLabel('Password').fill('wrong');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('alert').waitFor();
    await shot(page, 'login-error-dark');
    await page.getByLabel('Password').fill('builder');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('button', { name: 'Deny' }).waitFor();
    await shot(page, 'consent-dark');
    await page.getByRole('button', { name: 'Deny' }).click();
    await page.getByText('Back at the app').waitFor();
    assert.equal(new URL(received.at(-1)!.url).searchParams.get('error'), 'access_denied');
    await page.context().close();
  });

  it('remembered consent: after sign-in the browser goes straight back to the client (CSP allows the redirect)', async () => {
    const page = await phone();
    await signIn(page, { scope: 'openid profile', state: 'again' });
    await page.getByText('Back at the app').waitFor();
    assert.equal(new URL(received.at(-1)!.url).searchParams.get('state'), 'again');
    await page.context().close();
  });

  it('logout confirmation and the signed-out page', async () => {
    const page = await phone();
    await signIn(page, { scope: 'openid', prompt: 'consent' });
    await page.getByRole('button', { name: 'Allow' }).click();
    await page.getByText('Back at the app').waitFor();
    await page.goto(`${p.issuer}/logout?client_id=demo-web`);
    await page.getByRole('heading', { name: 'Sign out of Nod?' }).waitFor();
    await shot(page, 'logout');
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.getByRole('heading', { name: 'You are signed out' }).waitFor();
    await shot(page, 'signed-out');
    // With a registered post-logout URI the confirmation's redirect reaches the client.
    await signIn(page, { scope: 'openid' });
    await page.getByText('Back at the app').waitFor();
    await page.goto(`${p.issuer}/logout?client_id=demo-web&post_logout_redirect_uri=${encodeURIComponent('http://localhost:8080/')}&state=out`);
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.getByText('Back at the app').waitFor();
    assert.equal(new URL(received.at(-1)!.url).searchParams.get('state'), 'out');
    await page.context().close();
  });

  it('an error that cannot be redirected is a readable page', async () => {
    const page = await phone();
    const res = await page.goto(authorizationUrl(p.issuer, { redirect_uri: 'https://evil.example/cb' }).href);
    assert.equal(res?.status(), 400);
    assert.ok(await page.getByRole('alert').isVisible());
    await shot(page, 'error');
    await page.context().close();
  });
});
