/**
 * The verification page in headless Chromium on a phone-sized screen: a person types the code
 * from the TV, signs in, compares the code and approves; the TV's polling (openid-client) gets
 * tokens. Every step is screenshotted to test-results/screenshots/ and must not scroll sideways.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import * as oidc from 'openid-client';
import type { Browser, Page } from 'playwright-core';
import { after, before, describe, it } from '../helpers/node-test.ts';
import { launchBrowser, PHONE, phoneContext, SCREENSHOTS as SHOTS } from '../helpers/browser.ts';
import { Teardown } from '../helpers/teardown.ts';
import type { TestProvider } from '../helpers/provider.ts';
import { deviceClient, startDeviceProvider } from './helpers.ts';

async function snapshot(page: Page, name: string): Promise<void> {
  await page.screenshot({ path: join(SHOTS, `device-${name}.png`), fullPage: true });
  const { scrollWidth, clientWidth } = await page.evaluate(() => ({
    scrollWidth: document.documentElement.scrollWidth,
    clientWidth: document.documentElement.clientWidth,
  }));
  assert.ok(scrollWidth <= clientWidth, `${name}: no horizontal scrolling (scrollWidth ${scrollWidth} > clientWidth ${clientWidth})`);
}

describe('verification page on a phone (headless Chromium)', () => {
  let p: TestProvider;
  let browser: Browser;
  let tv: oidc.Configuration;
  const teardown = new Teardown();
  before(async () => {
    browser = teardown.add(await launchBrowser(), (b) => b.close());
    p = teardown.add(await startDeviceProvider(), (provider) => provider.stop());
    tv = await deviceClient(p.issuer);
  });
  after(() => teardown.run());

  it('takes a person from typing the code to an approved TV', async () => {
    const r = await oidc.initiateDeviceAuthorization(tv, { scope: 'openid profile offline_access' });
    const polling = oidc.pollDeviceAuthorizationGrant(tv, r);
    const context = await phoneContext(browser);
    const page = await context.newPage();
    try {
      await page.goto(r.verification_uri);
      await snapshot(page, '1-enter-code');
      const code = page.getByLabel('Code');
      await assert.doesNotReject(code.waitFor());
      assert.equal(await code.evaluate((el) => el === document.activeElement), true, 'the code field has focus');
      await code.fill(r.user_code.toLowerCase().replace('-', ' '));
      await page.getByRole('button', { name: 'Continue' }).click();

      await page.waitForURL(/\/login/);
      await snapshot(page, '2-sign-in');
      await page.getByLabel('Username').fill('alice');
      await page.getByLabel('Password').fill('wonderland');
      await page.getByRole('button', { name: 'Sign in' }).click();

      await page.waitForURL(/\/device\/confirm/);
      await snapshot(page, '3-confirm');
      assert.equal(await page.getByRole('heading', { level: 1 }).innerText(), 'Connect Living Room TV?');
      assert.equal((await page.locator('.code').innerText()).trim(), r.user_code);
      const approve = page.getByRole('button', { name: 'Approve' });
      const deny = page.getByRole('button', { name: 'Deny' });
      for (const b of [approve, deny]) {
        const box = (await b.boundingBox())!;
        assert.ok(box.height >= 44 && box.x >= 0 && box.x + box.width <= PHONE.width, 'buttons are thumb-sized and on screen');
      }
      await approve.click();

      await page.getByRole('heading', { name: 'Device connected' }).waitFor();
      await snapshot(page, '4-approved');
      const tokens = await polling;
      assert.ok(tokens.access_token);
      assert.equal(tokens.claims()?.aud, 'demo-tv');
    } finally {
      await context.close();
    }
  });

  it('shows a wrong code plainly, pre-fills from the QR link, and the denied page', async () => {
    const r = await oidc.initiateDeviceAuthorization(tv, { scope: 'openid profile' });
    const context = await phoneContext(browser, { colorScheme: 'dark' });
    const page = await context.newPage();
    try {
      await page.goto(r.verification_uri);
      await page.getByLabel('Code').fill('BBBB-BBBC');
      await page.getByRole('button', { name: 'Continue' }).click();
      await page.getByRole('alert').waitFor();
      assert.match(await page.getByRole('alert').innerText(), /That code is not right/);
      await snapshot(page, '5-wrong-code-dark');

      await page.goto(r.verification_uri_complete!);
      assert.equal(await page.getByLabel('Code').inputValue(), r.user_code, 'pre-filled from verification_uri_complete');
      await page.getByRole('button', { name: 'Continue' }).click();
      await page.waitForURL(/\/login/);
      await page.getByLabel('Username').fill('bob');
      await page.getByLabel('Password').fill('builder');
      await page.getByRole('button', { name: 'Sign in' }).click();
      await page.waitForURL(/\/device\/confirm/);
      await snapshot(page, '6-confirm-dark');
      await page.getByRole('button', { name: 'Deny' }).click();
      await page.getByRole('heading', { name: 'Request denied' }).waitFor();
      await snapshot(page, '7-denied-dark');
    } finally {
      await context.close();
    }
    await assert.rejects(oidc.pollDeviceAuthorizationGrant(tv, r), (e: oidc.ResponseBodyError) => e.error === 'access_denied');
  });

  it('fits a small 320-pixel-wide phone', async () => {
    const context = await browser.newContext({ viewport: { width: 320, height: 568 }, isMobile: true, hasTouch: true });
    const page = await context.newPage();
    try {
      await page.goto(`${p.issuer}/device?user_code=WDJB-MJHT`);
      await snapshot(page, '8-small-phone');
    } finally {
      await context.close();
    }
  });
});
