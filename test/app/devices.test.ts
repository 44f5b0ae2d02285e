/**
 * Two phones enrolled for alice: a request reaches both, the first answer wins and the other
 * screen updates to settled; a request that expires on screen loses its buttons; the settings
 * screen renames and removes the other phone, which is then signed out.
 */
import assert from 'node:assert/strict';
import { test } from '../helpers/node-test.ts';
import { pollOutcome, screenshot, startCiba, useStack, type Phone, type Stack } from './harness.ts';

let stack: Stack;
let phones: readonly Phone[];
useStack(
  {
    phones: [
      { enroll: true, deviceName: 'Alice’s Pixel' },
      { enroll: true, deviceName: 'Alice’s iPad' },
    ],
  },
  (s) => ({ stack, phones } = s),
);

test('one phone approves, the other updates to settled and its buttons go away', async () => {
  const [a, b] = [phones[0]!.page, phones[1]!.page];
  const auth = await startCiba(stack, 'alice', 'Two phones #7QX1');
  for (const page of [a, b]) await page.getByTestId('request-card').filter({ hasText: 'Two phones #7QX1' }).click();
  for (const page of [a, b]) await page.getByRole('button', { name: 'Approve' }).waitFor();
  await a.getByRole('button', { name: 'Approve' }).click();
  await a.getByTestId('outcome').filter({ hasText: 'Approved' }).waitFor();
  const other = b.getByTestId('outcome');
  await other.waitFor({ timeout: 10_000 });
  assert.match(await other.innerText(), /Approved on Alice’s Pixel/);
  assert.equal(await b.getByRole('button', { name: 'Approve' }).count(), 0);
  assert.equal(await b.getByRole('button', { name: 'Deny' }).count(), 0);
  await screenshot(b, '08-settled-elsewhere');
  assert.ok((await pollOutcome(stack, auth)).tokens);
});

test('a request that expires on screen says so and its buttons go away', async () => {
  const page = phones[0]!.page;
  await page.goto(`${stack.app}/requests`);
  const auth = await startCiba(stack, 'alice', 'Expiring #2B9C', { requested_expiry: '4' });
  await page.getByTestId('request-card').filter({ hasText: 'Expiring #2B9C' }).click();
  await page.getByRole('button', { name: 'Approve' }).waitFor();
  const outcome = page.getByTestId('outcome');
  await outcome.waitFor({ timeout: 10_000 });
  assert.match(await outcome.innerText(), /This request has expired/);
  assert.equal(await page.getByRole('button', { name: 'Approve' }).count(), 0);
  await screenshot(page, '09-expired');
  assert.equal((await pollOutcome(stack, auth)).error, 'expired_token');
});

test('settings shows this device and the other one; renaming and removing the other signs it out', async () => {
  const [a, b] = [phones[0]!.page, phones[1]!.page];
  await a.goto(`${stack.app}/settings`);
  await a.getByRole('heading', { name: 'Settings', level: 1 }).waitFor();
  await a.getByText('Alice’s Pixel', { exact: true }).waitFor();
  assert.match(await a.getByTestId('device-status').innerText(), /Enrolled and active/);
  const others = a.getByRole('region', { name: 'Your other devices' });
  await others.getByText('Alice’s iPad', { exact: true }).waitFor();
  await screenshot(a, '10-settings');
  await others.getByRole('button', { name: 'Rename Alice’s iPad' }).click();
  await others.getByLabel('New name for Alice’s iPad').fill('Kitchen iPad');
  await others.getByRole('button', { name: 'Save' }).click();
  await others.getByText('Kitchen iPad', { exact: true }).waitFor();
  await others.getByRole('button', { name: 'Remove Kitchen iPad' }).click();
  await others.getByRole('button', { name: 'Remove', exact: true }).click();
  await others.getByText('No other devices.', { exact: false }).waitFor();
  // The removed phone finds out at its next call and returns to the welcome screen.
  await b.goto(`${stack.app}/requests`);
  await b.getByRole('heading', { name: 'Set up this device' }).waitFor({ timeout: 10_000 });
  assert.match(await b.locator('.notice').first().innerText(), /no longer enrolled/);
});

test('sign out unenrolls this device', async () => {
  const page = phones[0]!.page;
  await page.goto(`${stack.app}/settings`);
  await page.getByRole('button', { name: 'Sign out and remove this device' }).click();
  await page.getByRole('heading', { name: 'Set up this device' }).waitFor();
  assert.match(await page.locator('.notice').first().innerText(), /signed out and removed/);
  const stored = await page.evaluate(
    () =>
      new Promise((resolve) => {
        const req = indexedDB.open('nod');
        req.onsuccess = () => {
          const get = req.result.transaction('kv').objectStore('kv').get('session');
          get.onsuccess = () => resolve(get.result ?? null);
        };
      }),
  );
  assert.equal(stored, null, 'the session and its key are gone from IndexedDB');
});
