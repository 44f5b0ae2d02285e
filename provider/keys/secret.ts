/**
 * A random server secret for HMACs (CSRF tokens), generated on first start into
 * `<dataDir>/secret.key` (mode 0600) and never committed.
 */
import { randomBytes } from 'node:crypto';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

export async function loadServerSecret(dataDir: string): Promise<Buffer> {
  const file = join(dataDir, 'secret.key');
  try {
    const b = Buffer.from((await readFile(file, 'utf8')).trim(), 'base64url');
    if (b.length >= 32) return b;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
  }
  const secret = randomBytes(32);
  await writeFile(file, secret.toString('base64url'), { mode: 0o600 });
  return secret;
}
