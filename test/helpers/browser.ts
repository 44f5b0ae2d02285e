/**
 * The browser of the browser tests: headless Chromium (found by chromium.ts) driven by
 * playwright-core, and phone-sized contexts. A launch that fails says what to do in its first line.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser, type BrowserContext, type BrowserContextOptions } from 'playwright-core';
import { findChromium, NoChromium } from './chromium.ts';

/** Screenshots go here (git-ignored); look at them after a UI change. */
export const SCREENSHOTS = join(fileURLToPath(new URL('../../', import.meta.url)), 'test-results', 'screenshots');
/** A phone's CSS viewport (iPhone 12 to 15). */
export const PHONE = { width: 390, height: 844 } as const;

/** Arguments for every build: quiet, no GPU, nothing fetched from the network on its own. */
const COMMON_ARGS = ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--no-first-run'];

/** Launches the tests' Chromium, headless; rejects with NoChromium (what to do first) when there is none that starts. */
export async function launchBrowser(): Promise<Browser> {
  const found = await findChromium();
  mkdirSync(SCREENSHOTS, { recursive: true });
  try {
    return await chromium.launch({
      executablePath: found.executablePath,
      args: [...COMMON_ARGS, ...found.args],
      env: { ...process.env, ...found.env },
      timeout: 60_000,
    });
  } catch (e) {
    const first = String((e as Error).message).split('\n', 1)[0];
    throw new NoChromium(`${found.executablePath} (${found.source}) does not start: ${first}; set CHROMIUM_PATH to a working Chromium`, { cause: e });
  }
}

/** A fresh phone-sized context (its own storage: its own enrolled device). */
export function phoneContext(browser: Browser, options: BrowserContextOptions = {}): Promise<BrowserContext> {
  return browser.newContext({ viewport: PHONE, deviceScaleFactor: 2, isMobile: true, hasTouch: true, ...options });
}
