/// <reference lib="webworker" />
/**
 * The service worker: precaches the app shell (offline start), shows a notification for every
 * push, and handles notification taps and the Approve/Deny actions (Chromium): Approve signs and
 * sends the decision from here with the key in IndexedDB; Deny opens the app on the request to ask
 * why ("this wasn't me" reports a suspected fraud, "I changed my mind" does not, and a lock-screen
 * button has no room to ask).
 * @see https://www.w3.org/TR/push-api/#receiving-a-push-message
 * @see https://notifications.spec.whatwg.org/#activating-a-notification
 */
import { cleanupOutdatedCaches, createHandlerBoundToURL, precacheAndRoute } from 'workbox-precaching';
import { NavigationRoute, registerRoute } from 'workbox-routing';
import { ENTITY_API, type DeviceRequest, type PushPayload } from '../../shared/entity-api.ts';
import { REQUEST_ASK_WHY, sendDecision } from './lib/decide.ts';
import { idbSet, KEYS } from './lib/idb.ts';
import { loadSession } from './lib/session.ts';
import { api, ApiError } from './lib/api.ts';
import { requiresPhr } from '../../shared/phr.ts';

declare const self: ServiceWorkerGlobalScope & { __WB_MANIFEST: Array<{ url: string; revision: string | null }> };

/** Notification options including `actions`, which TypeScript's lib leaves out. */
type NodNotificationOptions = NotificationOptions & {
  actions?: Array<{ action: string; title: string }>;
  renotify?: boolean;
  timestamp?: number;
};

interface NodNotificationData {
  readonly type: PushPayload['type'];
  readonly request_id?: string;
}

const ICON = '/icons/icon-192.png';

precacheAndRoute(self.__WB_MANIFEST);
cleanupOutdatedCaches();
// Every in-app path (/, /requests/…, /callback…) starts from the cached shell; the API and ws never do.
registerRoute(new NavigationRoute(createHandlerBoundToURL('/index.html'), { denylist: [/^\/api\//, /^\/ws/, /^\/ciba\//] }));

self.addEventListener('install', () => void self.skipWaiting());
self.addEventListener('activate', (event) => event.waitUntil(self.clients.claim()));

function parsePayload(event: PushEvent): PushPayload {
  try {
    const p = event.data?.json() as Partial<PushPayload> | undefined;
    if (p && typeof p.title === 'string' && (p.type === 'request' || p.type === 'settled' || p.type === 'test')) return p as PushPayload;
  } catch {
    // fall through: an unreadable push still shows a notification
  }
  return { type: 'request', title: event.data?.text() || 'Nod: a sign-in needs your attention' };
}

function tagFor(requestId: string | undefined): string {
  return requestId ? `request-${requestId}` : 'nod';
}

/** Chromium shows action buttons; elsewhere Notification.maxActions is 0 or missing. */
function actionsSupported(): boolean {
  const max = (self as unknown as { Notification?: { maxActions?: number } }).Notification?.maxActions;
  return typeof max === 'number' && max >= 2;
}

/** The request's details for the notification body (short timeout: the notification must show). */
async function details(requestId: string): Promise<DeviceRequest | undefined> {
  const session = await loadSession();
  if (!session) return undefined;
  const timeout = new AbortController();
  const t = setTimeout(() => timeout.abort(), 3000);
  try {
    return await api<DeviceRequest>(ENTITY_API.request(requestId), { token: session.device_token, signal: timeout.signal });
  } catch {
    return undefined;
  } finally {
    clearTimeout(t);
  }
}

/** Tells open windows that something arrived, so their lists refresh. */
async function tellWindows(message: unknown): Promise<void> {
  const windows = await self.clients.matchAll({ type: 'window', includeUncontrolled: true });
  for (const w of windows) w.postMessage(message);
}

self.addEventListener('push', (event) => {
  const payload = parsePayload(event);
  event.waitUntil(
    (async () => {
      await idbSet(KEYS.lastPush, Date.now()).catch(() => undefined);
      const id = payload.request_id;
      const data: NodNotificationData = { type: payload.type, ...(id ? { request_id: id } : {}) };
      const options: NodNotificationOptions = { body: payload.body ?? '', tag: tagFor(id), data, icon: ICON, badge: ICON, timestamp: Date.now() };
      let title = payload.title;
      if (payload.type === 'request' && id) {
        const r = await details(id);
        // A payment (authorization details) or a passkey approval is decided on the request screen, never from here.
        const onScreenOnly = !!r && (r.authorization_details !== undefined || requiresPhr(r.acr_values));
        // Number matching: the numbers never appear on the lock screen, and approving needs the
        // app (the user taps the number there), so the notification offers Deny… only.
        const matching = Boolean(r?.number_choices?.length);
        if (r) {
          title = r.authorization_details ? `${r.client} asks you to approve` : `${r.client} wants to sign you in`;
          options.body = onScreenOnly
            ? 'Open Nod to review what you are asked to approve.'
            : matching
              ? `${r.binding_message ? `Check the code: ${r.binding_message}. ` : ''}Open Nod and tap the number ${r.client} shows you.`
              : r.binding_message
                ? `Check the code: ${r.binding_message}`
                : 'Open Nod to review this sign-in.';
        }
        if (!r || r.status === 'pending') {
          options.requireInteraction = true;
          options.renotify = true;
          if (actionsSupported() && !onScreenOnly)
            options.actions = matching
              ? [{ action: 'deny', title: 'Deny…' }]
              : [
                  { action: 'approve', title: 'Approve' },
                  { action: 'deny', title: 'Deny…' },
                ];
        }
      }
      // Every push shows a notification: a silent one gets the subscription revoked on some platforms.
      await self.registration.showNotification(title, options);
      await tellWindows({ type: 'push', payload });
    })(),
  );
});

/** Focuses an open window on `url`, or opens one. */
async function openApp(url: string): Promise<void> {
  const windows = await self.clients.matchAll({ type: 'window', includeUncontrolled: true });
  const target = new URL(url, self.location.origin).href;
  for (const w of windows) {
    if (new URL(w.url).origin !== self.location.origin) continue;
    const focused = await w.focus().catch(() => w);
    focused.postMessage({ type: 'navigate', url });
    return;
  }
  await self.clients.openWindow(target);
}

/** Signs and sends an approval from the worker; false when the app must take over. */
async function approveHere(requestId: string): Promise<boolean> {
  const session = await loadSession();
  if (!session) return false;
  try {
    const res = await sendDecision(session, requestId, { decision: 'approve' });
    await self.registration.showNotification(res.status === 'approved' ? 'Approved' : 'Denied', {
      body: res.status === 'approved' ? 'You can go back to where you were signing in.' : 'The sign-in was refused.',
      tag: tagFor(requestId),
      icon: ICON,
      data: { type: 'settled', request_id: requestId } satisfies NodNotificationData,
    });
    await tellWindows({ type: 'push', payload: { type: 'settled', request_id: requestId, title: '' } });
    return true;
  } catch (e) {
    // Already settled, expired, offline or signed out: show the request screen, which explains.
    if (e instanceof ApiError) console.warn('[nod sw] decision failed', e.code);
    return false;
  }
}

self.addEventListener('notificationclick', (event) => {
  const data = (event.notification.data ?? {}) as Partial<NodNotificationData>;
  const id = data.request_id;
  event.notification.close();
  const url = id ? `/requests/${encodeURIComponent(id)}` : '/requests';
  if (id && event.action === 'approve') {
    event.waitUntil(approveHere(id).then((done) => (done ? undefined : openApp(url))));
    return;
  }
  // Deny: the request screen, already asking why (REQUEST_ASK_WHY).
  event.waitUntil(openApp(id && event.action === 'deny' ? `${url}?${REQUEST_ASK_WHY}` : url));
});

self.addEventListener('pushsubscriptionchange', () => {
  // The app re-subscribes and hands the new subscription to the entity on its next start.
  void tellWindows({ type: 'push', payload: { type: 'test', title: 'subscription changed' } });
});
