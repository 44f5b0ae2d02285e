/**
 * A payment on the phone (Chromium, phone viewport): demo-bank asks alice to approve
 * 1,250.00 EUR to ACME GmbH with RFC 9396 authorization details; the app shows the payment first
 * (amount large, creditor, account, reference), the approval's signed decision covers what was
 * shown, and openid-client gets the granted payment back in its tokens.
 */
import { test, before, after } from '../helpers/node-test.ts';
import assert from 'node:assert/strict';
import type { BrowserContext, Page } from 'playwright-core';
import { ACCOUNTS, PAYMENT, jwtPayload } from '../rar/helpers.ts';
import { enroll, phone, pollOutcome, screenshot, startCiba, startStack, type Stack } from './harness.ts';

let stack: Stack;
let context: BrowserContext;
let page: Page;

before(async () => {
  stack = await startStack();
  ({ context, page } = await phone(stack));
  await enroll(stack, page, { deviceName: 'Alice’s phone' });
});

after(async () => {
  await context?.close();
  await stack?.stop();
});

/** Opens the request with this binding message from the list. */
async function open(message: string) {
  await page.goto(`${stack.app}/requests`);
  await page.getByTestId('request-card').filter({ hasText: message }).click();
}

test('a payment is shown first, amount large, then creditor, account and reference; Approve gives the client the granted payment', async () => {
  const auth = await startCiba(stack, 'alice', 'PAY 4711', { authorization_details: JSON.stringify([PAYMENT]) });
  await page.goto(`${stack.app}/requests`);
  const card = page.getByTestId('request-card').filter({ hasText: 'PAY 4711' });
  await card.waitFor();
  assert.match(await card.innerText(), /1,250\.00 EUR to ACME GmbH/, 'the list says what the payment is');
  await screenshot(page, '19-payment-list');
  await card.click();
  await page.getByRole('heading', { name: 'Acme Bank asks you to approve a payment' }).waitFor();
  const details = page.getByTestId('authorization-details');
  await details.waitFor();
  assert.equal(await page.getByTestId('amount').innerText(), '1,250.00 EUR');
  const text = await details.innerText();
  for (const s of ['To', 'ACME GmbH', 'Account', 'DE02 1001 0010 9307 1186 03', 'Reference', 'Invoice 4711']) assert.ok(text.includes(s), `${s} in ${text}`);
  // First thing on the request: the payment comes before the binding message and the buttons.
  const order = await page.evaluate(() =>
    Object.fromEntries(
      Object.entries({ details: '[data-testid="authorization-details"]', binding: '.binding', approve: '.btn-approve' }).map(([k, sel]) => [
        k,
        document.querySelector(sel)!.getBoundingClientRect().top,
      ]),
    ),
  );
  assert.ok(order.details < order.binding && order.binding < order.approve, JSON.stringify(order));
  const fontSize = await page.getByTestId('amount').evaluate((el) => parseFloat(getComputedStyle(el).fontSize));
  assert.ok(fontSize >= 32, `the amount is large (${fontSize}px)`);
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  assert.ok(overflow <= 0, `nothing overflows sideways (${overflow}px)`);
  await screenshot(page, '20-payment-request');
  await page.emulateMedia({ colorScheme: 'dark' });
  await screenshot(page, '21-payment-request-dark');
  await page.emulateMedia({ colorScheme: 'light' });
  await page.getByRole('button', { name: 'Approve' }).click();
  await page.getByTestId('outcome').filter({ hasText: 'Approved' }).waitFor();
  await screenshot(page, '22-payment-approved');
  const outcome = await pollOutcome(stack, auth);
  assert.ok(outcome.tokens, `tokens, not ${outcome.error}`);
  assert.deepEqual(outcome.tokens.authorization_details, [PAYMENT]);
  assert.deepEqual(jwtPayload(outcome.tokens.access_token).authorization_details, [PAYMENT]);
});

test('several details and an unknown type’s fields are all shown; Deny ends in access_denied', async () => {
  await stack.provider.ctx.models.clients.put('demo-bank', {
    ...(await stack.provider.ctx.models.clients.find('demo-bank'))!,
    authorization_details_types: ['payment_initiation', 'account_information', 'customer_information'],
  });
  const custom = { type: 'customer_information', actions: ['read'], datatypes: ['contacts', 'address'], identifier: 'CUST-42' };
  const auth = await startCiba(stack, 'alice', 'MULTI 1', { authorization_details: JSON.stringify([PAYMENT, ACCOUNTS, custom]) });
  await open('MULTI 1');
  const details = page.getByTestId('authorization-details');
  await details.waitFor();
  const text = await details.innerText();
  for (const s of ['Payment', 'Account access', 'List accounts, Read balances', 'Customer information', 'Datatypes', 'contacts, address', 'CUST-42']) {
    assert.ok(text.toLowerCase().includes(s.toLowerCase()), `${s} in ${JSON.stringify(text)}`);
  }
  await screenshot(page, '23-several-details');
  await page.getByRole('button', { name: 'Deny' }).click();
  await page.getByRole('button', { name: 'This wasn’t me' }).click();
  await page.getByTestId('outcome').filter({ hasText: 'Denied' }).waitFor();
  assert.equal((await pollOutcome(stack, auth)).error, 'access_denied');
});
