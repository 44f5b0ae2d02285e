/**
 * The provider's pages in a real browser (Chromium via playwright-core) on a phone-sized
 * viewport: sign in, consent, a form_post response that submits itself under the page's CSP,
 * logout confirmation, the error page. Screenshots go to test-results/screenshots/.
 */
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { after, before, describe, it } from '../helpers/node-test.ts';
import { launchBrowser, phoneContext, SCREENSHOTS } from '../helpers/browser.ts';
import { Teardown } from '../helpers/teardown.ts';
import { startTestProvider, type TestProvider } from '../helpers/provider.ts';
import { authorizationUrl as providerAuthorizationUrl } from '../helpers/sign-in.ts';
import { demoClients, upsertClient } from '../../provider/demo.ts';

describe('provider pages in a browser', () => {
  let p: TestProvider;
  let browser: Browser;
  /** What the client (demo-web, served by this test on another loopback port) received at its redirect URIs. */
  const received: Array<{ method: string; url: string; body: string }> = [];
  /** demo-web's origin here: localhost (another site than the provider's 127.0.0.1, as a real client is). */
  let client = '';
  const teardown = new Teardown();
  const authorizationUrl = (issuer: string, params: Record<string, string> = {}) =>
    providerAuthorizationUrl(issuer, { redirect_uri: `${client}/callback`, ...params });

  before(async () => {
    browser = teardown.add(await launchBrowser(), (b) => b.close());
    p = teardown.add(await startTestProvider(), (provider) => provider.stop());
    const app = teardown.add(
      createServer((req, res) => {
        if (req.url === '/favicon.ico') return void res.writeHead(404).end();
        let body = '';
        req.setEncoding('utf8');
        req.on('data', (d: string) => (body += d));
        req.on('end', () => {
          received.push({ method: req.method ?? '', url: `${client}${req.url}`, body });
          res.writeHead(200, { 'Content-Type': 'text/html' }).end('<!doctype html><title>Demo app</title><h1>Back at the app</h1>');
        });
      }),
      (server: Server) =>
        new Promise<void>((resolve) => {
          server.close(() => resolve());
          server.closeAllConnections();
        }),
    );
    await new Promise<void>((resolve) => app.listen(0, '127.0.0.1', resolve));
    client = `http://localhost:${(app.address() as AddressInfo).port}`;
    const demoWeb = demoClients().find((c) => c.client_id === 'demo-web')!;
    await upsertClient(p.ctx, { ...demoWeb, redirect_uris: [`${client}/callback`], post_logout_redirect_uris: [`${client}/`] });
  });
  after(() => teardown.run());

  async function phone(colorScheme: 'light' | 'dark' = 'light'): Promise<Page> {
    const context = await phoneContext(browser, { colorScheme });
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

  it('the consent page shows a payment (RFC 9396 authorization details) first, amount large', async () => {
    const page = await phone();
    const payment = {
      type: 'payment_initiation',
      instructedAmount: { currency: 'EUR', amount: '1250.00' },
      creditorName: 'ACME GmbH',
      creditorAccount: { iban: 'DE02100100109307118603' },
      remittanceInformationUnstructured: 'Invoice 4711',
    };
    await page.goto(authorizationUrl(p.issuer, { scope: 'openid', authorization_details: JSON.stringify([payment]) }).href);
    await page.getByLabel('Username').fill('alice');
    await page.getByLabel('Password').fill('wonderland');
    await page.getByRole('button', { name: 'Sign in' }).click();
    const detail = page.getByRole('region', { name: 'Payment' });
    await detail.waitFor();
    assert.match(await detail.innerText(), /1,250\.00 EUR[\s\S]*ACME GmbH[\s\S]*DE02 1001 0010 9307 1186 03[\s\S]*Invoice 4711/);
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    assert.ok(overflow <= 0, `no sideways scrolling (${overflow}px)`);
    await shot(page, 'consent-payment');
    await page.getByRole('button', { name: 'Allow' }).click();
    await page.getByText('Back at the app').waitFor();
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
    await page.goto(`${p.issuer}/logout?client_id=demo-web&post_logout_redirect_uri=${encodeURIComponent(`${client}/`)}&state=out`);
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
