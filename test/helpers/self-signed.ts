/**
 * A self-signed TLS certificate for test servers, made with the openssl command (node:crypto makes
 * keys but not X.509 certificates). Throws NoOpenssl, whose message says what is missing, when the
 * command is not there.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { tempDir } from './provider.ts';

export class NoOpenssl extends Error {
  override readonly name = 'NoOpenssl';
}

/** A P-256 key and a one-day certificate for `names` (DNS names or IP addresses), PEM. */
export function selfSignedCert(names: readonly string[]): { key: Buffer; cert: Buffer } {
  const dir = tempDir('nod-cert-');
  try {
    const san = names.map((n) => (/^[\d.]+$|:/.test(n) ? `IP:${n}` : `DNS:${n}`)).join(',');
    const args = ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-days', '1'];
    args.push('-subj', `/CN=${names[0]}`, '-addext', `subjectAltName=${san}`, '-keyout', join(dir, 'key.pem'), '-out', join(dir, 'cert.pem'));
    try {
      execFileSync('openssl', args, { stdio: 'ignore' });
    } catch (e) {
      throw new NoOpenssl(`cannot make a self-signed certificate: openssl ${(e as NodeJS.ErrnoException).code === 'ENOENT' ? 'is not installed' : 'failed'}`, {
        cause: e,
      });
    }
    return { key: readFileSync(join(dir, 'key.pem')), cert: readFileSync(join(dir, 'cert.pem')) };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
