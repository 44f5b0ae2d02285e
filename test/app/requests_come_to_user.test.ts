/**
 * Approvals that defeat push fatigue, in the app (Chromium, phone viewport), against the real
 * provider and entity: number matching (three candidates; the right pick gives tokens, a wrong
 * one access_denied and a flag), the request sheet over the Settings and TV screens (several
 * queue, newest on top), live removal from a second phone with a one-line reason, and a
 * withdrawal by the client reaching the app and the client's poll.
 */
import { test, before, after, afterEach } from '../helpers/node-test.ts';
import assert from 'node:assert/strict';
import type { BrowserContext, Locator, Page } from 'playwright-core';
import * as client from 'openid-client';
import { upsertClient } from '../../provider/demo.ts';
import { setCibaPolicy } from '../../provider/ciba/policy.ts';
import { CIBA_GRANT_TYPE } from '../../shared/constants.ts';
import { enroll, phone, pollOutcome, screenshot, startCiba, startStack, type Stack } from './harness.ts';
import { PAYMENT } from '../rar/helpers.ts';

let stack: Stack;
let shop: client.Configuration;
let pixel: { context: BrowserContext; page: Page };
let ipad: { context: BrowserContext; page: Page };

before(async () => {
  stack = await startStack();
  // This file asks alice more often than the default anti-fatigue limit allows in a minute.
  await setCibaPolicy(stack.provider.ctx, { fatigueLimit: 100 });
  await upsertClient(stack.provider.ctx, {
    client_id: 'acme-shop',
    client_name: 'Acme Shop',
    client_secret: 'acme-shop-secret',
    grant_types: [CIBA_GRANT_TYPE],
    response_types: [],
    scope: 'openid profile',
    backchannel_token_delivery_mode: 'poll',
    backchannel_number_matching: true,
    authorization_details_types: ['payment_initiation'],
    ciba_interval: 1,
  });
  shop = await client.discovery(new URL(stack.provider.issuer), 'acme-shop', undefined, client.ClientSecretBasic('acme-shop-secret'), {
    execute: [client.allowInsecureRequests],
  });
  pixel = await phone(stack);
  await enroll(stack, pixel.page, { deviceName: 'Alice’s Pixel' });
  ipad = await phone(stack);
  await enroll(stack, ipad.page, { deviceName: 'Alice’s iPad' });
});

/** A failed test must not leave requests pending for the next one: the entity expires them. */
afterEach(async () => {
  for (const { value: r } of await stack.server.ctx.models.requests.list()) if (r.status === 'pending') await stack.server.lifecycle.expire(r.id);
});

after(async () => {
  await pixel?.context.close();
  await ipad?.context.close();
  await stack?.stop();
});

/** A number-matching request from Acme Shop (with `extra` parameters); returns the response and its binding_number. */
async function shopRequest(binding_message: string, extra: Record<string, string> = {}) {
  const auth = await client.initiateBackchannelAuthentication(shop, { scope: 'openid profile', login_hint: 'alice', binding_message, ...extra });
  const number = (auth as Record<string, unknown>).binding_number;
  assert.match(String(number), /^[1-9][0-9]$/, 'the client got binding_number');
  return { auth, number: number as string };
}

async function shopOutcome(auth: client.BackchannelAuthenticationResponse) {
  try {
    return { tokens: await client.pollBackchannelAuthenticationGrant(shop, auth) };
  } catch (e) {
    return { error: (e as { error?: string }).error, description: (e as { error_description?: string }).error_description };
  }
}

const sheetOf = (page: Page) => page.getByRole('dialog', { name: /wants to sign you in/ });

/** Opens an app screen and waits until its feed is live. */
async function open(page: Page, path: string, heading: string) {
  await page.goto(`${stack.app}${path}`);
  await page.getByRole('heading', { name: heading, level: 1 }).waitFor();
}

/** The number buttons shown in `scope`. */
async function candidates(scope: Locator): Promise<string[]> {
  const picker = scope.getByTestId('number-picker');
  await picker.waitFor();
  return (await picker.getByRole('button').allInnerTexts()).map((t) => t.trim());
}

test('number matching: three candidates on the phone, the client’s number among them; the right pick gives the client tokens', async () => {
  const page = pixel.page;
  await open(page, '/settings', 'Settings');
  const { auth, number } = await shopRequest('Shop #N1');
  const sheet = sheetOf(page);
  await sheet.filter({ hasText: 'Shop #N1' }).waitFor({ timeout: 10_000 });
  const shown = await candidates(sheet);
  assert.equal(shown.length, 3);
  assert.equal(new Set(shown).size, 3, `distinct: ${shown}`);
  assert.ok(shown.includes(number), `${number} among ${shown}`);
  for (const n of shown) assert.match(n, /^[1-9][0-9]$/);
  assert.equal(await sheet.getByRole('button', { name: 'Approve' }).count(), 0, 'approving means tapping the number');
  assert.match(await sheet.getByRole('group').first().innerText(), /To approve, tap the number Acme Shop shows you/);
  await screenshot(page, '20-number-picker-sheet');
  try {
    // 200 % zoom on the phone: the sheet and its numbers reflow, nothing scrolls sideways.
    await page.setViewportSize({ width: 195, height: 422 });
    assert.ok((await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth)) <= 0, 'no sideways scrolling at 200 %');
    await sheet.getByRole('button', { name: number, exact: true }).scrollIntoViewIfNeeded();
    assert.ok(await sheet.getByRole('button', { name: number, exact: true }).isVisible());
    await screenshot(page, '20b-number-picker-zoom-200');
    await page.setViewportSize({ width: 390, height: 844 });
    await page.emulateMedia({ colorScheme: 'dark' });
    await screenshot(page, '20c-number-picker-dark');
  } finally {
    await page.setViewportSize({ width: 390, height: 844 });
    await page.emulateMedia({ colorScheme: 'light' });
  }
  await sheet.getByRole('button', { name: number, exact: true }).click();
  await sheet.getByTestId('outcome').filter({ hasText: 'Approved' }).waitFor();
  await screenshot(page, '21-number-picked-approved');
  const outcome = await shopOutcome(auth);
  assert.ok(outcome.tokens?.access_token, `tokens, not ${outcome.error}`);
  await sheet.getByRole('button', { name: 'Close' }).click();
  await sheet.waitFor({ state: 'detached' });
});

test('a payment with number matching comes up in the sheet: the amount first, then the numbers; the right pick approves what was shown', async () => {
  const page = pixel.page;
  await open(page, '/settings', 'Settings');
  const { auth, number } = await shopRequest('Shop #P1', { authorization_details: JSON.stringify([PAYMENT]) });
  const sheet = page.getByRole('dialog', { name: 'Acme Shop asks you to approve a payment' });
  await sheet.filter({ hasText: 'Shop #P1' }).waitFor({ timeout: 10_000 });
  assert.equal(await sheet.getByTestId('amount').innerText(), '1,250.00 EUR');
  assert.match(await sheet.getByTestId('authorization-details').innerText(), /ACME GmbH/);
  const shown = await candidates(sheet);
  assert.ok(shown.includes(number), `${number} among ${shown}`);
  await screenshot(page, '29-sheet-payment-number');
  // The signed decision carries the pick and the hash of what the sheet showed (the payment): both are checked.
  await sheet.getByRole('button', { name: number, exact: true }).click();
  await sheet.getByTestId('outcome').filter({ hasText: 'Approved' }).waitFor();
  const outcome = await shopOutcome(auth);
  assert.ok(outcome.tokens?.access_token, `tokens, not ${outcome.error}`);
  assert.deepEqual(outcome.tokens.authorization_details, [PAYMENT]);
  await sheet.getByRole('button', { name: 'Close' }).click();
  await sheet.waitFor({ state: 'detached' });
});

test('number matching: a wrong pick ends the request denied, flags it, and tells the user plainly; the client gets access_denied', async () => {
  const page = pixel.page;
  await open(page, '/requests', 'Requests');
  const { auth, number } = await shopRequest('Shop #N2');
  await page.getByTestId('request-card').filter({ hasText: 'Shop #N2' }).click();
  const article = page.getByRole('article');
  const shown = await candidates(article);
  assert.ok(shown.includes(number));
  await screenshot(page, '22-number-picker-request');
  const wrong = shown.find((n) => n !== number)!;
  await article.getByRole('button', { name: wrong, exact: true }).click();
  const told = article.getByTestId('outcome');
  await told.filter({ hasText: 'Wrong number' }).waitFor();
  const text = await told.innerText();
  assert.match(text, /Wrong number: the sign-in was refused/);
  assert.match(text, new RegExp(`You tapped ${wrong}, which is not the number Acme Shop showed`));
  assert.equal(await article.getByTestId('number-picker').count(), 0, 'no second try');
  await screenshot(page, '23-wrong-number');
  const outcome = await shopOutcome(auth);
  assert.equal(outcome.error, 'access_denied');
  const [stored] = (await stack.server.ctx.models.requests.list()).map(({ value }) => value).filter((r) => r.binding_message === 'Shop #N2');
  assert.equal(stored?.decision?.reason, 'wrong_number');
  assert.equal(stored?.decision?.suspicious, true, 'flagged like “this wasn’t me”');
});

test('the sheet comes up over the TV screen; several queue newest on top, and each is answered from the sheet', async () => {
  const page = pixel.page;
  await open(page, '/tv', 'Sign in a TV');
  const first = await startCiba(stack, 'alice', 'Queue #1');
  const sheet = sheetOf(page);
  await sheet.filter({ hasText: 'Queue #1' }).waitFor({ timeout: 10_000 });
  const second = await startCiba(stack, 'alice', 'Queue #2');
  await sheet.filter({ hasText: 'Queue #2' }).waitFor({ timeout: 10_000 });
  assert.match((await sheet.getByTestId('sheet-more').textContent()) ?? '', /1 more waiting/);
  assert.match(await sheet.getByRole('heading', { level: 2 }).first().innerText(), /Acme Bank wants to sign you in/);
  assert.match(await sheet.getByRole('timer').innerText(), /Expires in \d+:\d\d/);
  assert.ok((await sheet.getByTestId('scopes').innerText()).length > 0);
  await screenshot(page, '24-sheet-tv-queue');
  await sheet.getByRole('button', { name: 'Approve' }).click();
  await sheet.getByTestId('outcome').filter({ hasText: 'Approved' }).waitFor();
  await sheet.getByRole('button', { name: /Close and show the next/ }).click();
  await sheet.filter({ hasText: 'Queue #1' }).waitFor();
  await sheet.getByRole('button', { name: 'Deny' }).click();
  await sheet.getByRole('button', { name: 'I changed my mind' }).click();
  await sheet.getByTestId('outcome').filter({ hasText: 'Denied' }).waitFor();
  await sheet.getByRole('button', { name: 'Close' }).click();
  await sheet.waitFor({ state: 'detached' });
  assert.ok(await page.getByRole('heading', { name: 'Sign in a TV', level: 1 }).isVisible(), 'still on the TV screen');
  assert.ok((await pollOutcome(stack, second)).tokens, 'the newest, approved');
  assert.equal((await pollOutcome(stack, first)).error, 'access_denied');
});

test('“Later” puts the request back in the list; the sheet stays away from the list itself', async () => {
  const page = pixel.page;
  await open(page, '/settings', 'Settings');
  const auth = await startCiba(stack, 'alice', 'Later #L1');
  const sheet = sheetOf(page);
  await sheet.filter({ hasText: 'Later #L1' }).waitFor({ timeout: 10_000 });
  await screenshot(page, '25-sheet-settings');
  await sheet.getByRole('button', { name: 'Later' }).click();
  await sheet.waitFor({ state: 'detached' });
  await page
    .getByRole('link', { name: /Requests/ })
    .first()
    .click();
  await page.getByTestId('request-card').filter({ hasText: 'Later #L1' }).waitFor();
  assert.equal(await sheetOf(page).count(), 0);
  await page.getByTestId('request-card').filter({ hasText: 'Later #L1' }).click();
  await page.getByRole('button', { name: 'Approve' }).click();
  await page.getByTestId('outcome').filter({ hasText: 'Approved' }).waitFor();
  assert.ok((await pollOutcome(stack, auth)).tokens);
});

test('answered on one phone, the request leaves the other phone live with a one-line reason', async () => {
  const [a, b] = [pixel.page, ipad.page];
  await open(a, '/settings', 'Settings');
  await open(b, '/tv', 'Sign in a TV');
  const auth = await startCiba(stack, 'alice', 'Two #T1');
  for (const page of [a, b]) await sheetOf(page).filter({ hasText: 'Two #T1' }).waitFor({ timeout: 10_000 });
  await sheetOf(a).getByRole('button', { name: 'Approve' }).click();
  await sheetOf(a).getByTestId('outcome').filter({ hasText: 'Approved' }).waitFor();
  await sheetOf(b).waitFor({ state: 'detached', timeout: 10_000 });
  const line = b.getByTestId('settled-line').filter({ hasText: 'Approved on Alice’s Pixel' });
  await line.waitFor();
  await screenshot(b, '26-removed-live');
  assert.ok((await pollOutcome(stack, auth)).tokens);
  await sheetOf(a).getByRole('button', { name: 'Close' }).click();
});

test('the client withdraws: the request leaves the app live (“Withdrawn by Acme Bank”) and the client’s poll gets access_denied', async () => {
  const [a, b] = [pixel.page, ipad.page];
  await open(a, '/settings', 'Settings');
  await open(b, '/requests', 'Requests');
  const auth = await startCiba(stack, 'alice', 'Hang up #W1');
  await sheetOf(a).filter({ hasText: 'Hang up #W1' }).waitFor({ timeout: 10_000 });
  await b.getByTestId('request-card').filter({ hasText: 'Hang up #W1' }).click();
  await b.getByRole('button', { name: 'Approve' }).waitFor();
  await client.tokenRevocation(stack.bank, auth.auth_req_id, { token_type_hint: 'auth_req_id' });
  await sheetOf(a).waitFor({ state: 'detached', timeout: 10_000 });
  await a.getByTestId('settled-line').filter({ hasText: 'Withdrawn by Acme Bank' }).waitFor();
  await screenshot(a, '27-withdrawn-line');
  const outcome = b.getByTestId('outcome');
  await outcome.filter({ hasText: 'Withdrawn by Acme Bank' }).waitFor({ timeout: 10_000 });
  assert.equal(await b.getByRole('button', { name: 'Approve' }).count(), 0, 'the buttons go away');
  await screenshot(b, '28-withdrawn-request');
  try {
    await client.pollBackchannelAuthenticationGrant(stack.bank, auth);
    assert.fail('the poll must fail');
  } catch (e) {
    assert.equal((e as { error?: string }).error, 'access_denied');
    assert.equal((e as { error_description?: string }).error_description, 'the client withdrew the request');
  }
});
