/**
 * The device app against the real provider and entity: enroll alice's phone through the provider
 * login, then CIBA requests started by demo-bank with openid-client appear live and are approved
 * or denied from the request screen.
 */
import assert from 'node:assert/strict';
import type { BrowserContext, Page } from 'playwright-core';
import { after, test } from '../helpers/node-test.ts';
import { nameKey } from '../../server/models.ts';
import { enroll, phone, pollOutcome, screenshot, startCiba, useStack, type Stack } from './harness.ts';

let stack: Stack;
let context: BrowserContext;
let page: Page;
useStack({}, (s) => ({ stack, context, page } = s));

test('enrolls alice’s phone through the provider’s login page', async () => {
  await enroll(stack, page, { deviceName: 'Alice’s phone', shoot: true });
  const devices = await stack.server.ctx.models.devices.findBy('nameKey', nameKey(stack.provider.issuer, 'alice'));
  assert.equal(devices.length, 1);
  assert.equal(devices[0]!.value.name, 'Alice’s phone');
  await screenshot(page, '03-list-empty');
});

test('a CIBA request appears live, shows binding message, client and scopes, and Approve gives the client tokens', async () => {
  const auth = await startCiba(stack, 'alice', 'Sign in to Acme #4F2K');
  const card = page.getByTestId('request-card').filter({ hasText: 'Sign in to Acme #4F2K' });
  await card.waitFor({ timeout: 10_000 });
  assert.match(await card.innerText(), /Acme Bank/);
  await screenshot(page, '04-list');
  await card.click();
  await page.getByRole('heading', { name: 'Acme Bank wants to sign you in' }).waitFor();
  assert.equal(await page.getByTestId('binding-message').innerText(), 'Sign in to Acme #4F2K');
  assert.equal(await page.getByTestId('client').innerText(), 'Acme Bank');
  const scopes = await page.getByTestId('scopes').innerText();
  assert.ok(scopes.split('\n').length >= 2, `scopes in words: ${scopes}`);
  assert.doesNotMatch(scopes, /^openid$/m, 'scopes are shown in words, not as identifiers');
  assert.match(await page.getByTestId('issuer').innerText(), /127\.0\.0\.1/);
  assert.match(await page.getByRole('timer').innerText(), /Expires in \d+:\d\d/);
  await screenshot(page, '05-request');
  await page.getByRole('button', { name: 'Approve' }).click();
  await page.getByTestId('outcome').filter({ hasText: 'Approved' }).waitFor();
  assert.equal(await page.getByRole('button', { name: 'Approve' }).count(), 0, 'the buttons go away');
  await screenshot(page, '06-approved');
  const outcome = await pollOutcome(stack, auth);
  assert.ok(outcome.tokens, `client got tokens, not ${outcome.error}`);
  assert.ok(outcome.tokens.access_token);
  assert.ok(outcome.tokens.id_token);
});

test('a request opened by its link with the app closed (a notification tap) shows straight away', async () => {
  await page.goto(`${stack.app}/requests`);
  const auth = await startCiba(stack, 'alice', 'Deep link #5TVW');
  await page.getByTestId('request-card').filter({ hasText: 'Deep link #5TVW' }).waitFor();
  const href = await page.getByTestId('request-card').filter({ hasText: 'Deep link #5TVW' }).getAttribute('href');
  await page.close();
  page = await context.newPage();
  await page.goto(`${stack.app}${href}`);
  assert.equal(await page.getByTestId('binding-message').innerText(), 'Deep link #5TVW');
  await page.getByRole('button', { name: 'Approve' }).click();
  await page.getByTestId('outcome').filter({ hasText: 'Approved' }).waitFor();
  assert.ok((await pollOutcome(stack, auth)).tokens);
});

for (const [button, reason] of [
  ['This wasn’t me', 'not_me'],
  ['I changed my mind', 'changed_mind'],
] as const) {
  test(`Deny → “${button}” ends the client’s flow with access_denied (${reason})`, async () => {
    const message = `Deny ${reason.toUpperCase().slice(0, 6)}`;
    const auth = await startCiba(stack, 'alice', message);
    await page.goto(`${stack.app}/requests`);
    await page.getByTestId('request-card').filter({ hasText: message }).click();
    await page.getByRole('button', { name: 'Deny' }).click();
    await page.getByRole('group', { name: 'Why are you denying?' }).waitFor();
    if (reason === 'not_me') await screenshot(page, '07-deny-reasons');
    await page.getByRole('button', { name: button }).click();
    await page.getByTestId('outcome').filter({ hasText: 'Denied' }).waitFor();
    assert.equal(await page.getByRole('button', { name: 'Approve' }).count(), 0);
    const outcome = await pollOutcome(stack, auth);
    assert.equal(outcome.error, 'access_denied');
  });
}

test('the request screen reflows at 200 % zoom and reads well on a desktop and in dark mode', async () => {
  const auth = await startCiba(stack, 'alice', 'Zoom check #1A2B');
  await page.goto(`${stack.app}/requests`);
  await page.getByTestId('request-card').filter({ hasText: 'Zoom check #1A2B' }).click();
  await page.getByRole('button', { name: 'Approve' }).waitFor();
  try {
    // 200 % zoom on a 390 × 844 phone leaves a 195 × 422 CSS-pixel viewport.
    await page.setViewportSize({ width: 195, height: 422 });
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    assert.ok(overflow <= 0, `no sideways scrolling at 200 % (overflow ${overflow}px)`);
    await page.getByRole('button', { name: 'Approve' }).scrollIntoViewIfNeeded();
    assert.ok(await page.getByRole('button', { name: 'Approve' }).isVisible());
    await screenshot(page, '13-request-zoom-200');
    await page.setViewportSize({ width: 1280, height: 800 });
    await page.evaluate(() => window.scrollTo(0, 0));
    await screenshot(page, '14-request-desktop');
    await page.setViewportSize({ width: 390, height: 844 });
    await page.emulateMedia({ colorScheme: 'dark' });
    await screenshot(page, '16-request-dark');
  } finally {
    await page.setViewportSize({ width: 390, height: 844 });
    await page.emulateMedia({ colorScheme: 'light' });
  }
  await page.getByRole('button', { name: 'Deny' }).click();
  await page.getByRole('button', { name: 'I changed my mind' }).click();
  await page.getByTestId('outcome').waitFor();
  assert.equal((await pollOutcome(stack, auth)).error, 'access_denied');
});

test('a 409 whose re-read fails says the outcome is not known, keeps re-reading, and shows the real outcome once it can', async () => {
  // Bob's phone: alice has used up her anti-fatigue allowance in the tests above.
  const { context: bobs, page } = await phone(stack);
  after(() => bobs.close());
  await enroll(stack, page, { username: 'bob', password: 'builder' });
  const auth = await startCiba(stack, 'bob', 'Raced #7RCE');
  const card = page.getByTestId('request-card').filter({ hasText: 'Raced #7RCE' });
  const id = (await card.getAttribute('href'))!.split('/').pop()!;
  await card.click();
  await page.getByRole('button', { name: 'Approve' }).waitFor();
  // Another device answered first (the entity says 409) and this phone cannot re-read the request.
  let rereads = 0;
  await page.route(`**/api/requests/${id}`, (route) => {
    rereads++;
    return route.abort('internetdisconnected');
  });
  await page.route(`**/api/requests/${id}/decision`, (route) =>
    route.fulfill({
      status: 409,
      contentType: 'application/json',
      body: JSON.stringify({ error: 'already_settled', error_description: 'the request was already settled' }),
    }),
  );
  try {
    await page.getByRole('button', { name: 'Approve' }).click();
    const unknown = page.locator('[data-testid=outcome][data-status=unknown]');
    await unknown.waitFor();
    assert.match(await unknown.innerText(), /answered on another of your devices, but this one couldn’t load the answer/);
    assert.equal(await page.getByRole('button', { name: 'Approve' }).count(), 0, 'no second answer');
    assert.doesNotMatch(await page.locator('main').innerText(), /Approved/, 'it does not claim an outcome it does not know');
    await screenshot(page, '17-request-outcome-unknown');
    for (let waited = 0; rereads < 2; waited += 100) {
      assert.ok(waited < 15_000, `re-read again after the first failure (${rereads} so far)`);
      await new Promise((r) => setTimeout(r, 100));
    }
  } finally {
    await page.unrouteAll();
  }
  // The other device's answer (a denial), as the entity records it; the screen then shows it.
  const record = await stack.server.ctx.models.requests.find(id);
  await stack.server.lifecycle.decide(record!, { decision: 'deny', reason: 'changed_mind', by: 'another-device' });
  await page.getByTestId('outcome').filter({ hasText: 'Cancelled on another device' }).waitFor();
  assert.equal((await pollOutcome(stack, auth)).error, 'access_denied');
});
