/**
 * The device app's browser tests run the real thing on loopback: the provider (demo mode), the
 * entity serving the built app (device-app/dist, built by `pretest`), and Chromium (see
 * test/helpers/chromium.ts) driven by playwright-core at a phone-sized viewport.
 */
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import * as client from 'openid-client';
import { after, before } from '../helpers/node-test.ts';
import { launchBrowser, phoneContext, SCREENSHOTS } from '../helpers/browser.ts';
import { Teardown } from '../helpers/teardown.ts';
import { startTestProvider, type TestProvider } from '../helpers/provider.ts';
import { freePort, startTestServer, type TestServer } from '../entity/helpers.ts';

const ROOT = new URL('../../', import.meta.url).pathname;
export const APP_DIR = join(ROOT, 'device-app', 'dist');
export { PHONE, SCREENSHOTS } from '../helpers/browser.ts';

export interface Stack {
  readonly provider: TestProvider;
  readonly server: TestServer;
  readonly browser: Browser;
  /** The app's origin (the entity's URL). */
  readonly app: string;
  /** openid-client configuration of demo-bank (CIBA, poll). */
  readonly bank: client.Configuration;
  stop(): Promise<void>;
}

export interface StackOptions {
  readonly cibaExpiresIn?: number;
  /** Passkeys need a domain as RP ID, never an IP address: the passkey tests serve the app on localhost. */
  readonly appHost?: 'localhost' | '127.0.0.1';
}

/**
 * Chromium + provider + entity (serving the built app). The browser comes first, so a machine
 * without one fails before any server starts; a failure halfway stops what was started.
 */
export async function startStack(options: StackOptions = {}): Promise<Stack> {
  assert.ok(existsSync(join(APP_DIR, 'index.html')), 'device-app/dist is missing: run `npm run build` (npm test does it in pretest)');
  const teardown = new Teardown();
  try {
    const browser = teardown.add(await launchBrowser(), (b) => b.close());
    const port = await freePort();
    const app = `http://${options.appHost ?? '127.0.0.1'}:${port}`;
    const provider = teardown.add(
      await startTestProvider({
        authChannelUrl: `${app}/ciba/delegation`,
        deviceAppUrl: app,
        ciba: { expiresIn: options.cibaExpiresIn ?? 120, maxExpiresIn: 600, interval: 1 },
        device: { expiresIn: 600, interval: 1 },
      }),
      (p) => p.stop(),
    );
    const server = teardown.add(await startTestServer({ port, url: app, trustedIssuers: [provider.issuer], appDir: APP_DIR }), (s) => s.stop());
    const bank = await client.discovery(new URL(provider.issuer), 'demo-bank', undefined, client.ClientSecretBasic('demo-bank-secret'), {
      execute: [client.allowInsecureRequests],
    });
    return { provider, server, browser, app, bank, stop: () => teardown.run() };
  } catch (e) {
    await teardown.run().catch(() => undefined);
    throw e;
  }
}

/** One phone: a browser context (its own storage, so its own device) and its current page. */
export interface Phone {
  readonly context: BrowserContext;
  page: Page;
}

/** A fresh phone-sized browser context (its own storage, so its own enrolled device). */
export async function phone(stack: Pick<Stack, 'browser'>): Promise<Phone> {
  const context = await phoneContext(stack.browser, { locale: 'en-GB', timezoneId: 'Europe/London' });
  const page = await context.newPage();
  page.on('pageerror', (e) => console.error('[page error]', e));
  return { context, page };
}

export interface FileStackOptions extends StackOptions {
  /** The phones to open, in order; `enroll` signs each in as alice (named `deviceName`). Default: one phone, not enrolled. */
  readonly phones?: ReadonlyArray<{ readonly enroll?: boolean; readonly deviceName?: string }>;
}

/** What `useStack` hands a test file once its `before` has run. */
export interface FileStack {
  readonly stack: Stack;
  readonly phones: readonly Phone[];
  /** The first phone's context and page. */
  readonly context: BrowserContext;
  readonly page: Page;
}

/**
 * A test file's whole setup: registers `before` (the stack, then the phones, enrolled as asked),
 * which hands the result to `ready`, and `after` (everything stopped, also when `before` failed
 * halfway).
 */
export function useStack(options: FileStackOptions, ready: (s: FileStack) => void): void {
  let stack: Stack | undefined;
  const phones: Phone[] = [];
  before(async () => {
    stack = await startStack(options);
    for (const p of options.phones ?? [{}]) {
      const opened = await phone(stack);
      phones.push(opened);
      if (p.enroll) await enroll(stack, opened.page, p.deviceName ? { deviceName: p.deviceName } : {});
    }
    ready({ stack, phones, context: phones[0]!.context, page: phones[0]!.page });
  });
  after(async () => {
    for (const p of phones) await p.context.close().catch(() => undefined);
    await stack?.stop();
  });
}

/** Saves a screenshot under test-results/screenshots/. */
export async function screenshot(page: Page, name: string): Promise<void> {
  await page.screenshot({ path: join(SCREENSHOTS, `${name}.png`) });
}

/**
 * Enrolls the context's device for `username` through the real provider login (and consent
 * when the provider asks), ending on the request list.
 */
export async function enroll(
  stack: Pick<Stack, 'app'> & { readonly provider: { readonly issuer: string } },
  page: Page,
  opts: { username?: string; password?: string; deviceName?: string; shoot?: boolean; onReady?: (page: Page) => Promise<void> } = {},
): Promise<void> {
  await page.goto(stack.app);
  await page.getByRole('heading', { name: 'Set up this device' }).waitFor();
  if (opts.deviceName) await page.getByLabel('Device name').fill(opts.deviceName);
  if (opts.shoot) await screenshot(page, '01-enroll');
  await page.getByRole('button', { name: 'Sign in' }).click();
  // The provider's login page.
  await page.waitForURL((u) => u.href.startsWith(stack.provider.issuer));
  await page.getByLabel('Username').fill(opts.username ?? 'alice');
  await page.getByLabel('Password').fill(opts.password ?? 'wonderland');
  await page.getByRole('button', { name: 'Sign in' }).click();
  // Consent, when the provider asks for it, then back to the app.
  const allow = page.getByRole('button', { name: 'Allow' });
  await Promise.race([page.waitForURL((u) => u.href.startsWith(`${stack.app}/callback`)), allow.waitFor().then(() => allow.click())]);
  await page.getByRole('heading', { name: 'This device is ready' }).waitFor({ timeout: 15_000 });
  if (opts.shoot) await screenshot(page, '02-enrolled');
  await opts.onReady?.(page);
  await page.getByRole('button', { name: 'Go to requests' }).click();
  await page.getByRole('heading', { name: 'Requests', level: 1 }).waitFor();
  await page.getByTestId('connection').filter({ hasText: 'Live' }).waitFor();
}

/** Starts CIBA for `login_hint` as demo-bank with openid-client. */
export function startCiba(stack: Stack, login_hint: string, binding_message: string, extra: Record<string, string> = {}) {
  return client.initiateBackchannelAuthentication(stack.bank, { scope: 'openid profile', login_hint, binding_message, ...extra });
}

/** Polls until tokens or a final error; returns the tokens or the OAuth error code. */
export async function pollOutcome(
  stack: Stack,
  auth: client.BackchannelAuthenticationResponse,
): Promise<{ tokens?: client.TokenEndpointResponse; error?: string }> {
  try {
    return { tokens: await client.pollBackchannelAuthenticationGrant(stack.bank, auth) };
  } catch (e) {
    return { error: (e as { error?: string }).error ?? String(e) };
  }
}
