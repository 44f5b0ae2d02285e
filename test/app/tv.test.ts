/**
 * Sign in a TV: a TV starts the device authorization grant with openid-client, the user types its
 * code into the app, the app opens the provider's verification page with it, the user approves
 * there, and the TV's polling gets tokens.
 */
import assert from 'node:assert/strict';
import * as client from 'openid-client';
import type { Page } from 'playwright-core';
import { test } from '../helpers/node-test.ts';
import { screenshot, useStack, type Stack } from './harness.ts';

let stack: Stack;
let page: Page;
useStack({ phones: [{ enroll: true }] }, (s) => ({ stack, page } = s));

test('the TV’s code typed into the app opens the provider’s page, and approving there gives the TV tokens', async () => {
  const tv = await client.discovery(new URL(stack.provider.issuer), 'demo-tv', undefined, client.None(), { execute: [client.allowInsecureRequests] });
  const auth = await client.initiateDeviceAuthorization(tv, { scope: 'openid profile' });
  const polling = client.pollDeviceAuthorizationGrant(tv, auth);

  await page.getByRole('link', { name: 'Sign in a TV' }).click();
  await page.getByRole('heading', { name: 'Sign in a TV', level: 1 }).waitFor();
  // Typed as a person would: lower case, without the dash.
  await page.getByLabel('Code shown on the TV').pressSequentially(auth.user_code.replace('-', '').toLowerCase());
  assert.equal(await page.getByLabel('Code shown on the TV').inputValue(), auth.user_code);
  await screenshot(page, '11-tv');
  await page.getByRole('button', { name: 'Continue' }).click();

  // The provider's verification page, code pre-filled: the user confirms it.
  await page.waitForURL((u) => u.href.startsWith(`${stack.provider.issuer}/device`));
  assert.equal(await page.getByLabel('Code').inputValue(), auth.user_code);
  await page.getByRole('button', { name: 'Continue' }).click();
  const approve = page.getByRole('button', { name: 'Approve' });
  const username = page.getByLabel('Username');
  await Promise.race([approve.waitFor(), username.waitFor()]);
  if (await username.isVisible()) {
    await username.fill('alice');
    await page.getByLabel('Password').fill('wonderland');
    await page.getByRole('button', { name: 'Sign in' }).click();
  }
  await approve.click();
  const tokens = await polling;
  assert.ok(tokens.access_token);
  assert.ok(tokens.claims()?.sub, 'an ID token for the user who approved');
});

test('a code that is too short is refused in the app with a message', async () => {
  await page.goto(`${stack.app}/tv`);
  await page.getByLabel('Code shown on the TV').fill('ab');
  await page.getByRole('button', { name: 'Continue' }).click();
  const error = page.getByRole('alert');
  await error.waitFor();
  assert.match(await error.innerText(), /whole code/);
  assert.equal(await page.getByLabel('Code shown on the TV').getAttribute('aria-invalid'), 'true');
  assert.ok(page.url().startsWith(stack.app));
});
