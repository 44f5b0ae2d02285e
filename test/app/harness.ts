/**
 * The device app's browser tests run the real thing on loopback: the provider (demo mode), the
 * entity serving the built app (device-app/dist, built by `pretest`), and Debian's Chromium
 * driven by playwright-core at a phone-sized viewport.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import * as client from 'openid-client';
import { startTestProvider, type TestProvider } from '../helpers/provider.ts';
import { freePort, startTestServer, type TestServer } from '../entity/helpers.ts';

const ROOT = new URL('../../', import.meta.url).pathname;
export const APP_DIR = join(ROOT, 'device-app', 'dist');
export const SCREENSHOTS = join(ROOT, 'test-results', 'screenshots');
export const PHONE = { width: 390, height: 844 } as const;

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

/** Provider + entity (serving the built app) + Chromium. */
export async function startStack(options: { cibaExpiresIn?: number } = {}): Promise<Stack> {
  assert.ok(existsSync(join(APP_DIR, 'index.html')), 'device-app/dist is missing: run `npm run build` (npm test does it in pretest)');
  const port = await freePort();
  const app = `http://127.0.0.1:${port}`;
  const provider = await startTestProvider({
    authChannelUrl: `${app}/ciba/delegation`,
    deviceAppUrl: app,
    ciba: { expiresIn: options.cibaExpiresIn ?? 120, maxExpiresIn: 600, interval: 1 },
    device: { expiresIn: 600, interval: 1 },
  });
  const server = await startTestServer({ port, url: app, trustedIssuers: [provider.issuer], appDir: APP_DIR });
  const browser = await chromium.launch({
    executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--no-first-run'],
  });
  const bank = await client.discovery(new URL(provider.issuer), 'demo-bank', undefined, client.ClientSecretBasic('demo-bank-secret'), {
    execute: [client.allowInsecureRequests],
  });
  mkdirSync(SCREENSHOTS, { recursive: true });
  return {
    provider,
    server,
    browser,
    app,
    bank,
    async stop() {
      await browser.close();
      await server.stop();
      await provider.stop();
    },
  };
}

/** A fresh phone-sized browser context (its own storage, so its own enrolled device). */
export async function phone(stack: Stack): Promise<{ context: BrowserContext; page: Page }> {
  const context = await stack.browser.newContext({
    viewport: PHONE,
    deviceScaleFactor: 2,
    isMobile: true,
    hasTouch: true,
    locale: 'en-GB',
    timezoneId: 'Europe/London',
  });
  const page = await context.newPage();
  page.on('pageerror', (e) => console.error('[page error]', e));
  return { context, page };
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
  stack: Stack,
  page: Page,
  opts: { username?: string; password?: string; deviceName?: string; shoot?: boolean } = {},
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
