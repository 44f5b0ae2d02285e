/**
 * The pages under their Content-Security-Policy in Chromium: the provider's login page, the
 * device app (sign-in at the provider, its service worker, the live WebSocket, a CIBA request
 * approved) and a form_post
 * response that must submit itself with its script file. Any CSP violation (the page's
 * `securitypolicyviolation` events and Chromium's console reports) fails the test. Screenshots
 * of the login page and the app go to test-results/screenshots/csp-*.png.
 */
import assert from 'node:assert/strict';
import * as oidc from 'openid-client';
import { DEVICE_APP_CLIENT_ID } from '../../shared/constants.ts';
import { PATHS } from '../../provider/context.ts';
import { test } from '../helpers/node-test.ts';
import { enroll, pollOutcome, screenshot, startCiba, useStack, type FileStack } from './harness.ts';

let s: FileStack;
useStack({}, (ready) => (s = ready));

test('login page, device app and form_post run under their CSP without a violation', async () => {
  const { page, context, stack } = s;
  const violations: string[] = [];
  await context.addInitScript(() => {
    document.addEventListener('securitypolicyviolation', (e) => console.error(`CSP violation: ${e.violatedDirective} blocked ${e.blockedURI}`));
  });
  page.on('console', (m) => {
    if (/Content Security Policy|CSP violation/i.test(m.text())) violations.push(`${page.url()}: ${m.text()}`);
  });

  await page.goto(`${stack.provider.issuer}${PATHS.login}?client_id=${DEVICE_APP_CLIENT_ID}`);
  await page.getByRole('button', { name: 'Sign in' }).waitFor();
  // The stylesheet applied: the primary button is filled with the accent colour.
  const background = await page.getByRole('button', { name: 'Sign in' }).evaluate((b) => getComputedStyle(b).backgroundColor);
  assert.notEqual(background, 'rgba(0, 0, 0, 0)', 'the login page is styled');
  await screenshot(page, 'csp-login');

  await enroll(stack, page);
  const appBackground = await page.evaluate(() => getComputedStyle(document.documentElement).backgroundColor);
  assert.notEqual(appBackground, 'rgba(0, 0, 0, 0)', 'the app is styled');
  await screenshot(page, 'csp-app');
  assert.ok(await page.evaluate(() => navigator.serviceWorker.ready.then((r) => Boolean(r.active))), 'the service worker runs');

  // A CIBA request arrives over the WebSocket; its screen (countdown styles set from script) and Approve work.
  const auth = await startCiba(stack, 'alice', 'CSP check #7QX2');
  const card = page.getByTestId('request-card').filter({ hasText: 'CSP check #7QX2' });
  await card.waitFor({ timeout: 10_000 });
  await card.click();
  await page.getByRole('timer').waitFor();
  await page.getByRole('button', { name: 'Approve' }).click();
  await page.getByTestId('outcome').filter({ hasText: 'Approved' }).waitFor();
  assert.ok((await pollOutcome(stack, auth)).tokens, 'the approval reached the client');

  // form_post: the provider's page posts the response to the client's redirect URI by itself.
  const verifier = oidc.randomPKCECodeVerifier();
  const url = new URL(PATHS.authorization, stack.provider.issuer);
  url.search = new URLSearchParams({
    client_id: DEVICE_APP_CLIENT_ID,
    redirect_uri: `${stack.app}/callback`,
    response_type: 'code',
    response_mode: 'form_post',
    scope: 'openid profile',
    state: 'csp-state',
    code_challenge: await oidc.calculatePKCECodeChallenge(verifier),
    code_challenge_method: 'S256',
  }).toString();
  const posted = page.waitForRequest((r) => r.url() === `${stack.app}/callback` && r.method() === 'POST', { timeout: 15_000 });
  await page.goto(url.href);
  const body = new URLSearchParams((await posted).postData() ?? '');
  assert.ok(body.get('code'), 'the response reached the redirect URI');
  assert.equal(body.get('state'), 'csp-state');

  assert.deepEqual(violations, []);
});
