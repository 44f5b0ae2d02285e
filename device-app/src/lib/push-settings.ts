/** Push as the Settings page manages it (status, test, sign-out): not in the start bundle. */
import { ENTITY_API, type PushStatus } from '../../../shared/entity-api.ts';
import { api } from './api.ts';
import { registration } from './push.ts';
import type { Session } from './session.ts';

/** The entity's view of this device's push subscription. */
export function pushStatus(session: Session): Promise<PushStatus> {
  return api<PushStatus>(ENTITY_API.push, { token: session.device_token });
}

/** Asks the entity to push a test notification to this device. */
export function sendTestPush(session: Session): Promise<unknown> {
  return api(ENTITY_API.pushTest, { method: 'POST', token: session.device_token });
}

/** Drops this browser's subscription (at sign-out); the entity forgets it with the device. */
export async function unsubscribeLocal(): Promise<void> {
  const reg = await registration(1000);
  const sub = await reg?.pushManager.getSubscription();
  await sub?.unsubscribe();
}

/** Whether this browser currently holds a subscription. */
export async function hasLocalSubscription(): Promise<boolean> {
  const reg = await registration(1000);
  return Boolean(await reg?.pushManager.getSubscription());
}
