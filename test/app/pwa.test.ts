/**
 * Installability and the service worker: the manifest's fields and icons, a registered worker
 * that controls the page, the app shell served offline, and a push that always shows a
 * notification tagged per request with Approve/Deny actions (pushed with Chromium's DevTools
 * protocol, the way a push service would wake the worker).
 */
import assert from 'node:assert/strict';
import type { BrowserContext, Page } from 'playwright-core';
import { test } from '../helpers/node-test.ts';
import { enroll, pollOutcome, screenshot, startCiba, useStack, type Stack } from './harness.ts';

let stack: Stack;
let context: BrowserContext;
let page: Page;
useStack({}, (s) => ({ stack, context, page } = s));

/** Resolves with the first truthy value of `fn`, polled for up to 10 s. */
async function until<T>(fn: () => Promise<T | null | false>): Promise<T> {
  const deadline = Date.now() + 10_000;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > deadline) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 100));
  }
}

test('the manifest has the fields and icons an install needs', async () => {
  await page.goto(stack.app);
  const href = await page.locator('link[rel="manifest"]').getAttribute('href');
  assert.ok(href);
  const res = await fetch(new URL(href, stack.app));
  assert.equal(res.status, 200);
  const m = (await res.json()) as Record<string, unknown> & { icons: Array<{ src: string; sizes: string; type: string; purpose?: string }> };
  assert.equal(m.name, 'Nod');
  assert.equal(m.short_name, 'Nod');
  assert.equal(m.display, 'standalone');
  assert.equal(m.start_url, '/');
  assert.match(String(m.theme_color), /^#[0-9a-f]{6}$/i);
  assert.ok(m.background_color);
  for (const size of ['192x192', '512x512']) {
    const icon = m.icons.find((i) => i.sizes === size && (i.purpose ?? 'any').includes('any'));
    assert.ok(icon, `an icon of ${size}`);
    const png = await fetch(new URL(icon.src, stack.app));
    assert.equal(png.headers.get('content-type'), 'image/png');
    const bytes = Buffer.from(await png.arrayBuffer());
    assert.equal(`${bytes.readUInt32BE(16)}x${bytes.readUInt32BE(20)}`, size, `${icon.src} is really ${size}`);
  }
  const apple = await page.locator('link[rel="apple-touch-icon"]').getAttribute('href');
  const appleRes = await fetch(new URL(apple!, stack.app));
  assert.equal(appleRes.status, 200);
  assert.equal(Buffer.from(await appleRes.arrayBuffer()).readUInt32BE(16), 180);
});

test('a service worker is registered and controls the page', async () => {
  await page.goto(stack.app);
  // Wait for the worker to be active, then load again: a page loaded after activation must be
  // controlled at once. (Waiting for the first page to be claimed races in Chromium: a navigation
  // that commits while claim() runs is never claimed.)
  const scope = await page.evaluate(async () => (await navigator.serviceWorker.ready).scope);
  assert.equal(scope, `${stack.app}/`);
  await page.reload();
  assert.equal(await page.evaluate(() => navigator.serviceWorker.controller?.state), 'activated', 'the reloaded page is not controlled by the worker');
  const sw = await fetch(`${stack.app}/sw.js`);
  assert.equal(sw.status, 200);
  assert.match(sw.headers.get('content-type') ?? '', /javascript/);
});

test('offline, the app shell still opens (also on a deep link)', async () => {
  await page.goto(stack.app);
  await page.waitForFunction(() => navigator.serviceWorker.controller !== null);
  await context.setOffline(true);
  try {
    const apiReachable = await page.evaluate(() =>
      fetch('/api/config').then(
        () => true,
        () => false,
      ),
    );
    assert.equal(apiReachable, false, 'the network really is off');
    await page.goto(`${stack.app}/tv`);
    await page.getByRole('heading', { name: 'Approve sign-ins with a nod' }).waitFor();
  } finally {
    await context.setOffline(false);
  }
});

test('offline when enrolled: the list opens and says it is not live', async () => {
  await enroll(stack, page);
  await context.setOffline(true);
  try {
    await page.reload();
    await page.getByRole('heading', { name: 'Requests', level: 1 }).waitFor();
    await page
      .getByTestId('connection')
      .filter({ hasText: /Reconnecting|Offline/ })
      .waitFor({ timeout: 10_000 });
    await screenshot(page, '12-offline');
  } finally {
    await context.setOffline(false);
  }
  await page.getByTestId('connection').filter({ hasText: 'Live' }).waitFor({ timeout: 40_000 });
});

/**
 * Whether this browser can show notifications once allowed. chrome-headless-shell (the build the
 * npm-shipped Chromium is) has no notification service: it reports "denied" whatever is granted.
 */
async function canNotify(): Promise<boolean> {
  await context.grantPermissions(['notifications'], { origin: stack.app });
  return page.evaluate(() => Notification.permission === 'granted');
}
const NO_NOTIFICATIONS = 'this Chromium cannot show notifications (chrome-headless-shell, the npm-shipped build); Debian’s /usr/bin/chromium runs this test';

test('a push always shows a notification, titled from the request, tagged per request, with Approve and Deny', async (t) => {
  if (!(await canNotify())) return t.skip(NO_NOTIFICATIONS);
  const auth = await startCiba(stack, 'alice', 'Pushed #9KLM');
  await page.getByTestId('request-card').filter({ hasText: 'Pushed #9KLM' }).waitFor();
  const id = await page.getByTestId('request-card').filter({ hasText: 'Pushed #9KLM' }).getAttribute('href');
  const requestId = decodeURIComponent(id!.split('/').pop()!);
  assert.ok(auth.auth_req_id);

  const cdp = await context.newCDPSession(page);
  const registrations: Array<{ registrationId: string; scopeURL: string; isDeleted: boolean }> = [];
  cdp.on('ServiceWorker.workerRegistrationUpdated', (e) => registrations.push(...(e.registrations as typeof registrations)));
  await cdp.send('ServiceWorker.enable');
  const deadline = Date.now() + 5000;
  while (!registrations.some((r) => r.scopeURL === `${stack.app}/` && !r.isDeleted) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
  const reg = registrations.find((r) => r.scopeURL === `${stack.app}/` && !r.isDeleted);
  assert.ok(reg, 'the worker registration');
  const push = (data: object) =>
    cdp.send('ServiceWorker.deliverPushMessage', { origin: stack.app, registrationId: reg.registrationId, data: JSON.stringify(data) });

  await push({ type: 'request', request_id: requestId, title: 'Sign-in request' });
  const n = await until(() =>
    page.evaluate(async (tag) => {
      const list = await (await navigator.serviceWorker.ready).getNotifications({ tag });
      const shown = list[0] as (Notification & { actions?: Array<{ action: string }> }) | undefined;
      return shown
        ? {
            title: shown.title,
            body: shown.body,
            tag: shown.tag,
            data: shown.data as { request_id?: string },
            actions: (shown.actions ?? []).map((a) => a.action),
          }
        : null;
    }, `request-${requestId}`),
  );
  assert.equal(n.title, 'Acme Bank wants to sign you in');
  assert.match(n.body, /Pushed #9KLM/);
  assert.equal(n.data.request_id, requestId);
  assert.deepEqual(n.actions, ['approve', 'deny']);

  // Even a push the worker cannot read shows something.
  await cdp.send('ServiceWorker.deliverPushMessage', { origin: stack.app, registrationId: reg.registrationId, data: 'not json' });
  await until(() => page.evaluate(async () => (await (await navigator.serviceWorker.ready).getNotifications({ tag: 'nod' })).length > 0));

  // The last push time shows in the push health panel.
  await page.goto(`${stack.app}/settings`);
  const received = page.getByTestId('push-received');
  await received.filter({ hasNotText: 'Checking' }).waitFor();
  assert.match(await received.innerText(), /\d{2}:\d{2}/, 'a time, not "None yet"');
  await cdp.detach();
});

/** A request for alice, shown in the open app's list; its id. */
async function listedRequest(message: string): Promise<{ auth: Awaited<ReturnType<typeof startCiba>>; requestId: string }> {
  await page.goto(`${stack.app}/requests`);
  const auth = await startCiba(stack, 'alice', message);
  const card = page.getByTestId('request-card').filter({ hasText: message });
  await card.waitFor();
  return { auth, requestId: decodeURIComponent((await card.getAttribute('href'))!.split('/').pop()!) };
}

/**
 * Presses a button of the request's notification. Chromium's DevTools protocol cannot press one,
 * so this dispatches the same event in the worker. Its waitUntil() refuses a synthetic event, but
 * by then the handler has started its work, which is what the tests check.
 */
async function pressNotificationAction(requestId: string, action: 'approve' | 'deny'): Promise<void> {
  const [worker] = context.serviceWorkers();
  assert.ok(worker, 'the service worker is running');
  await worker.evaluate(
    async ([id, action]) => {
      // Worker globals, typed here because the test compiles with the DOM library.
      const sw = self as unknown as EventTarget & { registration: ServiceWorkerRegistration; NotificationEvent: new (t: string, i: object) => Event };
      await sw.registration.showNotification('test', { tag: `request-${id}`, data: { type: 'request', request_id: id } });
      const [n] = await sw.registration.getNotifications({ tag: `request-${id}` });
      try {
        sw.dispatchEvent(new sw.NotificationEvent('notificationclick', { notification: n, action }));
      } catch {
        // InvalidStateError from waitUntil on an untrusted event
      }
    },
    [requestId, action] as const,
  );
}

test('the notification’s Approve action signs and sends the decision from the worker', async (t) => {
  if (!(await canNotify())) return t.skip(NO_NOTIFICATIONS);
  const { auth, requestId } = await listedRequest('From the lock screen');
  await pressNotificationAction(requestId, 'approve');
  const outcome = await pollOutcome(stack, auth);
  assert.ok(outcome.tokens, `approved from the worker, not ${outcome.error}`);
  // The open app learns it too.
  await page.getByText('From the lock screen').first().waitFor();
  await page.locator('.req-card-quiet', { hasText: 'From the lock screen' }).getByText('Approved').waitFor({ timeout: 10_000 });
});

test('the notification’s Deny… action opens the request asking why, and records the reason the user picks', async (t) => {
  if (!(await canNotify())) return t.skip(NO_NOTIFICATIONS);
  const { auth, requestId } = await listedRequest('Not me #D3NY');
  await pressNotificationAction(requestId, 'deny');
  // Nothing is decided until the user says why.
  await page.getByRole('group', { name: 'Why are you denying?' }).waitFor();
  assert.equal(page.url(), `${stack.app}/requests/${encodeURIComponent(requestId)}?deny`);
  assert.equal((await stack.server.ctx.models.requests.find(requestId))?.status, 'pending');
  await screenshot(page, '18-deny-from-notification');
  await page.getByRole('button', { name: 'This wasn’t me' }).click();
  await page.getByTestId('outcome').filter({ hasText: 'Denied' }).waitFor();
  assert.equal((await stack.server.ctx.models.requests.find(requestId))?.decision?.reason, 'not_me');
  assert.equal((await pollOutcome(stack, auth)).error, 'access_denied');
});

test('on an iPhone outside the Home Screen, the app explains how to install it for notifications', async () => {
  const iphone = await stack.browser.newContext({
    viewport: { width: 390, height: 844 },
    isMobile: true,
    hasTouch: true,
    userAgent: 'Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4 Mobile/15E148 Safari/604.1',
  });
  try {
    // Safari's flag for "opened from the Home Screen".
    await iphone.addInitScript({ content: "Object.defineProperty(Navigator.prototype, 'standalone', { get() { return false; } });" });
    const p = await iphone.newPage();
    await p.goto(stack.app);
    const hint = p.getByRole('complementary', { name: 'Add Nod to your Home Screen' });
    await hint.waitFor();
    assert.match(await hint.innerText(), /Add to Home Screen/);
    await hint.scrollIntoViewIfNeeded();
    await screenshot(p, '15-ios-install');
    assert.equal(await p.getByLabel('Device name').inputValue(), 'Safari on iPhone');
  } finally {
    await iphone.close();
  }
});
