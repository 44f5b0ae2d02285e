/**
 * The device app: gzip size of the JavaScript and CSS it loads (built with the project's own
 * vite config into a bench temp directory, so device-app/dist of other work is not touched),
 * and the time to first render of the request screen in headless Chromium: an enrolled device
 * (session put in IndexedDB the way the app keeps it) opens /requests/<id> of a pending request.
 */
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { promisify } from 'node:util';
import { gzipSync } from 'node:zlib';
import { fileURLToPath } from 'node:url';
import { basic, discover, NotAvailable, postForm, type BenchContext } from '../lib/context.ts';
import { fmt } from '../lib/table.ts';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const CHROMIUM = '/usr/bin/chromium';

export interface AssetSize {
  readonly file: string;
  readonly bytes: number;
  readonly gzip: number;
  readonly initial: boolean;
}

export interface AppSizeResult {
  readonly assets: readonly AssetSize[];
  readonly initialGzip: number;
  readonly allGzip: number;
  readonly serviceWorkerGzip?: number;
  readonly firstRender?: { readonly coldMs: number; readonly warmMs: number; readonly fcpColdMs?: number } | { readonly error: string };
}

/** Builds the app with its vite config into a fresh temp directory; undefined when there is no app. */
export async function buildDeviceApp(): Promise<string | undefined> {
  if (!existsSync(join(ROOT, 'device-app/vite.config.ts'))) return undefined;
  const out = mkdtempSync(join(tmpdir(), 'nod-bench-app-'));
  await promisify(execFile)(
    join(ROOT, 'node_modules/.bin/vite'),
    ['build', '--config', 'device-app/vite.config.ts', '--outDir', out, '--emptyOutDir', '--logLevel', 'error'],
    { cwd: ROOT },
  );
  return existsSync(join(out, 'index.html')) ? out : undefined;
}

function files(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? files(join(dir, e.name)) : [join(dir, e.name)]));
}

async function firstRender(ctx: BenchContext, appUrl: string): Promise<AppSizeResult['firstRender']> {
  if (!existsSync(CHROMIUM)) return { error: `no browser at ${CHROMIUM}` };
  const { chromium } = await import('playwright-core');
  const [user] = await ctx.nod.call<Array<{ username: string }>>('seedUsers', { count: 1, prefix: 'bench-app' });
  const token = await ctx.nod.call<string>('deviceAppToken', { username: user!.username });
  const browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'] });
  try {
    const context = await browser.newContext();
    const page = await context.newPage();
    // A same-origin page that does not load the app, to enroll and store the session like the app does.
    await page.goto(`${appUrl}/api/config`);
    const deviceToken = await page.evaluate(async (accessToken: string) => {
      const keys = await crypto.subtle.generateKey({ name: 'ECDSA', namedCurve: 'P-256' }, false, ['sign', 'verify']);
      const { kty, crv, x, y } = await crypto.subtle.exportKey('jwk', keys.publicKey);
      const res = await fetch('/api/devices', {
        method: 'POST',
        headers: { authorization: `Bearer ${accessToken}`, 'content-type': 'application/json' },
        body: JSON.stringify({ name: 'Bench Chromium', public_key: { kty, crv, x, y } }),
      });
      if (res.status !== 201) throw new Error(`enroll ${res.status}`);
      const e = await res.json();
      const db = await new Promise<IDBDatabase>((resolve, reject) => {
        const req = indexedDB.open('nod', 1);
        req.onupgradeneeded = () => req.result.createObjectStore('kv');
        req.onsuccess = () => resolve(req.result);
        req.onerror = () => reject(req.error);
      });
      await new Promise<void>((resolve, reject) => {
        const tx = db.transaction('kv', 'readwrite');
        tx.objectStore('kv').put(
          {
            device_id: e.device_id,
            device_token: e.device_token,
            expires_at: e.expires_at,
            user: e.user,
            name: 'Bench Chromium',
            keys,
            enrolled_at: Date.now(),
          },
          'session',
        );
        tx.oncomplete = () => resolve();
        tx.onerror = () => reject(tx.error);
      });
      db.close();
      return e.device_token as string;
    }, token);
    const d = await discover(ctx.nod.info.issuer);
    const bc = await postForm(
      d.backchannel_authentication_endpoint,
      new URLSearchParams({ scope: 'openid profile', login_hint: user!.username, binding_message: 'First render probe' }).toString(),
      basic('demo-bank', 'demo-bank-secret'),
    );
    if (bc.status !== 200) throw new Error(`bc-authorize ${bc.status}`);
    const list = (await (await fetch(`${appUrl}/api/requests`, { headers: { authorization: `Bearer ${deviceToken}` } })).json()) as
      | Array<{ id: string }>
      | { requests: Array<{ id: string }> };
    const id = (Array.isArray(list) ? list : list.requests)[0]?.id;
    if (!id) throw new Error('the request did not reach the entity');
    // Time from navigation start until the binding message is in the DOM.
    await context.addInitScript(() => {
      new MutationObserver((_m, o) => {
        if (document.querySelector('[data-testid=binding-message]')) {
          (window as unknown as { __rendered: number }).__rendered = performance.now();
          o.disconnect();
        }
      }).observe(document, { childList: true, subtree: true });
    });
    const measure = async () => {
      await page.goto(`${appUrl}/requests/${encodeURIComponent(id)}`);
      await page.waitForSelector('[data-testid=binding-message]', { timeout: 15_000 });
      return page.evaluate(() => ({
        rendered: (window as unknown as { __rendered: number }).__rendered,
        fcp: performance.getEntriesByName('first-contentful-paint')[0]?.startTime,
      }));
    };
    const cold = await measure();
    const warm = await measure();
    return { coldMs: cold.rendered, warmMs: warm.rendered, ...(cold.fcp !== undefined ? { fcpColdMs: cold.fcp } : {}) };
  } catch (e) {
    return { error: (e as Error).message.split('\n')[0]! };
  } finally {
    await browser.close();
  }
}

export async function appSize(ctx: BenchContext): Promise<AppSizeResult> {
  const dir = ctx.appDir;
  if (!dir) throw new NotAvailable(`the device app could not be built: ${ctx.appError ?? 'no device-app/'}`);
  const html = readFileSync(join(dir, 'index.html'), 'utf8');
  const assets: AssetSize[] = files(dir)
    .filter((f) => /\.(m?js|css)$/.test(f) && !/\/sw\.m?js$/.test(f) && !/workbox-/.test(f))
    .map((f) => {
      const file = relative(dir, f);
      const data = readFileSync(f);
      return { file, bytes: statSync(f).size, gzip: gzipSync(data).length, initial: html.includes(`/${file}`) };
    });
  const sw = files(dir).find((f) => /\/sw\.js$/.test(f));
  const sum = (xs: AssetSize[]) => xs.reduce((s, a) => s + a.gzip, 0);
  const result: AppSizeResult = {
    assets,
    initialGzip: sum(assets.filter((a) => a.initial)),
    allGzip: sum(assets),
    ...(sw ? { serviceWorkerGzip: gzipSync(readFileSync(sw)).length } : {}),
  };
  if (!ctx.entity) return { ...result, firstRender: { error: 'the entity is not running' } };
  return { ...result, firstRender: await firstRender(ctx, ctx.entity.info.url) };
}

export function printAppSize(r: AppSizeResult): string {
  const out = [
    `JS + CSS loaded at start (referenced by index.html): ${fmt.kb(r.initialGzip)} gzip; all JS + CSS chunks: ${fmt.kb(r.allGzip)} gzip` +
      (r.serviceWorkerGzip !== undefined ? `; service worker ${fmt.kb(r.serviceWorkerGzip)} gzip` : ''),
    ...r.assets.map((a) => `  ${a.file}: ${fmt.kb(a.bytes)} raw, ${fmt.kb(a.gzip)} gzip${a.initial ? ' (initial)' : ' (lazy)'}`),
  ];
  const f = r.firstRender;
  if (f && 'error' in f) out.push(`first render of the request screen: not measured (${f.error})`);
  else if (f)
    out.push(
      `first render of the request screen (headless Chromium, loopback): cold ${fmt.ms(f.coldMs)} ms${f.fcpColdMs !== undefined ? ` (first contentful paint ${fmt.ms(f.fcpColdMs)} ms)` : ''}, reload ${fmt.ms(f.warmMs)} ms — from navigation start to the binding message in the DOM`,
    );
  return out.join('\n');
}
