/**
 * The app stays small: the JavaScript and CSS a start loads (index.html's script, its static
 * imports and stylesheet), measured gzipped from the build, under a budget. Sign-in code
 * (oauth4webapi) loads on demand and is reported apart.
 */
import { test } from '../helpers/node-test.ts';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { APP_DIR } from './harness.ts';

/**
 * Budget for what a start loads, gzip: Preact + the app's first screens. Issue 15's goal is 20 KB
 * with no feature removed; sign-in, settings, TV code entry and the request sheet load on demand
 * (lib/lazy-page.tsx, lib/use-lazy.ts). Number matching, the payment views and passkeys brought
 * the start to 21.9 KiB; one request's page then moved into the request sheet's chunk, and the start is 18.8 KiB.
 */
const START_BUDGET_BYTES = 20 * 1024;

const gz = (file: string) => gzipSync(readFileSync(join(APP_DIR, file)), { level: 9 }).length;

test('the JavaScript and CSS loaded at start fit the size budget (gzip)', () => {
  const html = readFileSync(join(APP_DIR, 'index.html'), 'utf8');
  const start = [...html.matchAll(/(?:src|href)="\/(assets\/[^"]+\.(?:js|css))"/g)].map((m) => m[1]!);
  assert.ok(start.some((f) => f.endsWith('.js')) && start.some((f) => f.endsWith('.css')), 'index.html loads a script and a stylesheet');
  const all = readdirSync(join(APP_DIR, 'assets')).map((f) => `assets/${f}`);
  const sizes = Object.fromEntries(all.map((f) => [f, gz(f)]));
  const startBytes = start.reduce((n, f) => n + sizes[f]!, 0);
  const lazy = all.filter((f) => !start.includes(f) && f.endsWith('.js'));
  const sw = gz('sw.js');
  console.log(
    `[size] start ${(startBytes / 1024).toFixed(1)} KiB gzip (${start.map((f) => `${f} ${(sizes[f]! / 1024).toFixed(1)}`).join(', ')}); on demand: ${lazy.map((f) => `${f} ${(sizes[f]! / 1024).toFixed(1)}`).join(', ')}; sw.js ${(sw / 1024).toFixed(1)} KiB`,
  );
  assert.ok(startBytes < START_BUDGET_BYTES, `start loads ${startBytes} B gzip, budget ${START_BUDGET_BYTES}`);
});
