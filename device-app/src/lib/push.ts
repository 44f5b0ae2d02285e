/**
 * Web Push for this device: subscribe with the entity's VAPID key, keep the entity's copy of the
 * subscription in step on every start (lib/push-settings.ts: status, test, sign-out).
 * @see https://www.w3.org/TR/push-api/
 */
import { ENTITY_API, type EntityConfig } from '../../../shared/entity-api.ts';
import { api } from './api.ts';
import { fromB64url } from './crypto.ts';
import type { Session } from './session.ts';

/** Whether this browser can receive Web Push at all (iOS: only from the Home Screen). */
export function pushSupported(): boolean {
  return 'serviceWorker' in navigator && 'PushManager' in window && 'Notification' in window;
}

export function permission(): NotificationPermission | 'unsupported' {
  return 'Notification' in window ? Notification.permission : 'unsupported';
}

/** The active service worker registration, or undefined when none is ready in time. */
export async function registration(timeoutMs = 4000): Promise<ServiceWorkerRegistration | undefined> {
  if (!('serviceWorker' in navigator)) return undefined;
  return Promise.race([navigator.serviceWorker.ready, new Promise<undefined>((resolve) => setTimeout(() => resolve(undefined), timeoutMs))]);
}

function sameKey(sub: PushSubscription, key: Uint8Array): boolean {
  const current = sub.options.applicationServerKey;
  if (!current) return false;
  const a = new Uint8Array(current);
  return a.length === key.length && a.every((b, i) => b === key[i]);
}

/** This browser's subscription for the entity's key, made when missing or stale. */
async function ensureSubscription(config: EntityConfig): Promise<PushSubscription | undefined> {
  const reg = await registration();
  if (!reg) return undefined;
  const key = fromB64url(config.vapid_public_key);
  let sub = await reg.pushManager.getSubscription();
  if (sub && !sameKey(sub, key)) {
    await sub.unsubscribe();
    sub = null;
  }
  return sub ?? reg.pushManager.subscribe({ userVisibleOnly: true, applicationServerKey: key });
}

/**
 * Asks for permission (call straight from a click: Safari needs the user gesture), subscribes
 * and registers the subscription with the entity. Resolves to the resulting permission.
 */
export async function enablePush(session: Session, config: EntityConfig): Promise<NotificationPermission> {
  const result = await Notification.requestPermission();
  if (result !== 'granted') return result;
  const sub = await ensureSubscription(config);
  if (!sub) throw new Error('Notifications need the app to be installed and its service worker running. Reload and try again.');
  await api(ENTITY_API.push, { method: 'PUT', token: session.device_token, body: { subscription: sub.toJSON() } });
  return result;
}

/**
 * Runs on every start: when permission is granted, makes sure a subscription exists and the
 * entity holds the current one (push services rotate them).
 */
export async function syncPush(session: Session, config: EntityConfig): Promise<void> {
  if (!pushSupported() || Notification.permission !== 'granted' || !config.vapid_public_key) return;
  const sub = await ensureSubscription(config);
  if (sub) await api(ENTITY_API.push, { method: 'PUT', token: session.device_token, body: { subscription: sub.toJSON() } });
}
