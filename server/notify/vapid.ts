/**
 * VAPID keys, kept in the entity's store so every node signs pushes with the same key (the one
 * the devices subscribed with): made on the first start by whichever node comes first
 * (insert-if-absent), or imported once from the `server-vapid.json` an older version left in the
 * data directory.
 * @see https://www.rfc-editor.org/rfc/rfc8292
 */
import webpush from 'web-push';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Collection } from '../../shared/store/store.ts';

export interface VapidKeys {
  /** base64url uncompressed P-256 point: what PushManager.subscribe takes as applicationServerKey. */
  readonly publicKey: string;
  readonly privateKey: string;
}

/** The settings record that holds the keys. */
export const VAPID_SETTING = 'vapid';

const valid = (k: Partial<VapidKeys> | undefined): k is VapidKeys => typeof k?.publicKey === 'string' && typeof k.privateKey === 'string';

/** An older version's `<dataDir>/server-vapid.json`, if there is one. */
async function vapidFile(dataDir: string | undefined): Promise<VapidKeys | undefined> {
  if (!dataDir) return undefined;
  const file = join(dataDir, 'server-vapid.json');
  try {
    const keys = JSON.parse(await readFile(file, 'utf8')) as Partial<VapidKeys>;
    if (valid(keys)) return { publicKey: keys.publicKey, privateKey: keys.privateKey };
    throw new Error('malformed');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new Error(`cannot read ${file}: ${(e as Error).message}`);
  }
}

/** The VAPID keys in the store, created (or imported from `dataDir`) when there are none. */
export async function loadVapidKeys(settings: Collection<Record<string, unknown>>, dataDir?: string): Promise<VapidKeys> {
  let stored = (await settings.find(VAPID_SETTING)) as Partial<VapidKeys> | undefined;
  if (!valid(stored)) {
    const keys = (await vapidFile(dataDir)) ?? webpush.generateVAPIDKeys();
    await settings.insert(VAPID_SETTING, { publicKey: keys.publicKey, privateKey: keys.privateKey });
    stored = (await settings.find(VAPID_SETTING)) as Partial<VapidKeys> | undefined;
  }
  if (!valid(stored)) throw new Error('the VAPID keys could not be stored');
  return { publicKey: stored.publicKey, privateKey: stored.privateKey };
}
