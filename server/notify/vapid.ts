/**
 * VAPID keys: generated on first start into `<dataDir>/server-vapid.json` (mode 0600) and reused.
 * @see https://www.rfc-editor.org/rfc/rfc8292
 */
import webpush from 'web-push';
import { readFile, writeFile, rename, mkdir } from 'node:fs/promises';
import { join } from 'node:path';

export interface VapidKeys {
  /** base64url uncompressed P-256 point: what PushManager.subscribe takes as applicationServerKey. */
  readonly publicKey: string;
  readonly privateKey: string;
}

/** Loads the VAPID keys from the data directory, generating them the first time. */
export async function loadVapidKeys(dataDir: string): Promise<VapidKeys> {
  await mkdir(dataDir, { recursive: true, mode: 0o700 });
  const file = join(dataDir, 'server-vapid.json');
  try {
    const keys = JSON.parse(await readFile(file, 'utf8')) as VapidKeys;
    if (typeof keys.publicKey === 'string' && typeof keys.privateKey === 'string') return keys;
    throw new Error('malformed');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw new Error(`cannot read ${file}: ${(e as Error).message}`);
  }
  const { publicKey, privateKey } = webpush.generateVAPIDKeys();
  const tmp = `${file}.${process.pid}.tmp`;
  await writeFile(tmp, JSON.stringify({ publicKey, privateKey }, null, 2), { mode: 0o600 });
  await rename(tmp, file);
  return { publicKey, privateKey };
}
