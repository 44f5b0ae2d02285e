/**
 * The README's first walkthrough in a real browser against `nod start`: the device app at the
 * entity's URL signs alice in at the provider (no test shims: the provider must answer the app's
 * cross-origin calls itself), then `nod ciba` asks, the app shows the request, Approve ends it.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { after, before, describe, it } from '../helpers/node-test.ts';
import { launchBrowser, phoneContext } from '../helpers/browser.ts';
import { Teardown } from '../helpers/teardown.ts';
import { enroll } from '../app/harness.ts';
import { NodProcess, startNod, type System } from './helpers.ts';

const APP_BUILT = existsSync(new URL('../../device-app/dist/index.html', import.meta.url));

describe('a newcomer with a browser and nod start', () => {
  let system: System;
  let browser: Browser;
  let page: Page;
  const teardown = new Teardown();

  before(async () => {
    assert.ok(APP_BUILT, 'device-app/dist is missing: run `npm run build` (npm test does it in pretest)');
    browser = teardown.add(await launchBrowser(), (b) => b.close());
    const dataDir = teardown.add(mkdtempSync(join(tmpdir(), 'nod-newcomer-')), (dir) => rmSync(dir, { recursive: true, force: true }));
    system = teardown.add(await startNod(dataDir, { NOD_CIBA_INTERVAL: '1' }), (s) => s.stop());
    page = await (await phoneContext(browser, { deviceScaleFactor: 1 })).newPage();
  });
  after(() => teardown.run());

  it('signs in as alice in the app (the provider answers its cross-origin calls)', async () => {
    // The app's own enrollment steps, from its test harness: only the app and issuer URLs are used.
    await enroll({ app: system.serverUrl, provider: { issuer: system.issuer } }, page);
  });

  it('approves `nod ciba` in the app, and the command prints the claims', async () => {
    const cli = new NodProcess(['ciba', '--issuer', system.issuer, '--binding-message', 'NEWCOMER'], {});
    await page.getByTestId('request-card').filter({ hasText: 'NEWCOMER' }).click();
    await page.getByRole('button', { name: 'Approve' }).click();
    const exit = await cli.exited;
    assert.equal(exit.code, 0, exit.stderr);
    assert.match(exit.stdout, /preferred_username\s+alice/);
  });

  it('signs in `nod tv` from the app\'s "Sign in a TV" page', async () => {
    const cli = new NodProcess(['tv', '--issuer', system.issuer, '--no-qr'], {});
    const [, link] = await cli.waitFor(/Link: (\S+)/);
    const code = new URL(link!).searchParams.get('user_code')!;
    await page.goto(`${system.serverUrl}/tv`);
    await page.getByLabel('Code shown on the TV').fill(code);
    await page.getByRole('button', { name: 'Continue' }).click();
    // The provider's page, with the code filled in: confirm it (RFC 8628 §3.3.1), then approve; alice is still signed in there.
    await page.waitForURL((u) => u.href.startsWith(system.issuer));
    await page.getByRole('button', { name: 'Continue' }).click();
    await page.getByRole('button', { name: 'Approve' }).click();
    const exit = await cli.exited;
    assert.equal(exit.code, 0, exit.stderr);
    assert.match(exit.stdout, /this TV is signed in as alice/);
  });
});
