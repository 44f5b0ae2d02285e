/**
 * The server secret for HMACs (CSRF tokens, device-code proofs), kept in the store so every node
 * computes the same values: made on the first start by whichever node comes first
 * (insert-if-absent), or imported once from the `secret.key` an older version left in the data
 * directory. Never in git.
 */
import { randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Collection } from '../../shared/store/store.ts';

/** The settings record that holds the secret. */
export const SERVER_SECRET_SETTING = 'server-secret';

/** An older version's `<dataDir>/secret.key`, if there is one. */
async function secretFile(dataDir: string | undefined): Promise<string | undefined> {
  if (!dataDir) return undefined;
  try {
    const text = (await readFile(join(dataDir, 'secret.key'), 'utf8')).trim();
    return Buffer.from(text, 'base64url').length >= 32 ? text : undefined;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
    return undefined;
  }
}

/** The secret in the store, created (or imported from `dataDir`) when there is none. */
export async function loadServerSecret(settings: Collection<Record<string, unknown>>, dataDir?: string): Promise<Buffer> {
  let stored = (await settings.find(SERVER_SECRET_SETTING))?.secret;
  if (typeof stored !== 'string') {
    const secret = (await secretFile(dataDir)) ?? randomBytes(32).toString('base64url');
    await settings.insert(SERVER_SECRET_SETTING, { secret });
    stored = (await settings.find(SERVER_SECRET_SETTING))?.secret;
  }
  if (typeof stored !== 'string') throw new Error('the server secret could not be stored');
  return Buffer.from(stored, 'base64url');
}
