/**
 * A loopback Web Push service for tests: HTTPS with a throwaway self-signed certificate (web-push
 * only speaks https), recording each push with its headers, and a test-side RFC 8291 decryptor
 * (aes128gcm, RFC 8188) written with node:crypto ECDH and HKDF. Not a mock of our code: it is
 * the other end of the protocol.
 */
import { createECDH, createDecipheriv, hkdfSync, randomBytes, type ECDH } from 'node:crypto';
import { createServer, Agent } from 'node:https';
import type { AddressInfo } from 'node:net';
import { selfSignedCert } from '../helpers/self-signed.ts';

export interface ReceivedPush {
  readonly path: string;
  readonly headers: Record<string, string | string[] | undefined>;
  readonly body: Buffer;
}

/** A browser-side subscription: the user agent's ECDH key pair and auth secret. */
export class TestSubscription {
  readonly ecdh: ECDH = createECDH('prime256v1');
  readonly auth = randomBytes(16);
  readonly publicKey: Buffer;
  constructor(readonly endpoint: string) {
    this.publicKey = this.ecdh.generateKeys();
  }

  toJSON() {
    return { endpoint: this.endpoint, expirationTime: null, keys: { p256dh: this.publicKey.toString('base64url'), auth: this.auth.toString('base64url') } };
  }

  /**
   * Decrypts an aes128gcm push body.
   * @see https://www.rfc-editor.org/rfc/rfc8291#section-3.4
   * @see https://www.rfc-editor.org/rfc/rfc8188#section-2
   */
  decrypt(body: Buffer): string {
    const salt = body.subarray(0, 16);
    const rs = body.readUInt32BE(16);
    const idlen = body[20]!;
    const asPublic = body.subarray(21, 21 + idlen);
    const records = body.subarray(21 + idlen);
    if (idlen !== 65) throw new Error(`keyid must be the 65-byte sender key, got ${idlen}`);
    if (records.length > rs) throw new Error('expected a single record');
    const ecdhSecret = this.ecdh.computeSecret(asPublic);
    const keyInfo = Buffer.concat([Buffer.from('WebPush: info\0'), this.publicKey, asPublic]);
    const ikm = Buffer.from(hkdfSync('sha256', ecdhSecret, this.auth, keyInfo, 32));
    const cek = Buffer.from(hkdfSync('sha256', ikm, salt, Buffer.from('Content-Encoding: aes128gcm\0'), 16));
    const nonce = Buffer.from(hkdfSync('sha256', ikm, salt, Buffer.from('Content-Encoding: nonce\0'), 12));
    const decipher = createDecipheriv('aes-128-gcm', cek, nonce);
    decipher.setAuthTag(records.subarray(records.length - 16));
    const padded = Buffer.concat([decipher.update(records.subarray(0, records.length - 16)), decipher.final()]);
    let end = padded.length - 1;
    while (end >= 0 && padded[end] === 0) end--;
    if (padded[end] !== 2) throw new Error('last record must end with delimiter 0x02');
    return padded.subarray(0, end).toString('utf8');
  }
}

export async function startPushService() {
  const { key, cert } = selfSignedCert(['127.0.0.1']);
  const received: ReceivedPush[] = [];
  const state = { status: 201 };
  const waiters: Array<() => void> = [];
  const server = createServer({ key, cert }, async (req, res) => {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    received.push({ path: req.url ?? '', headers: req.headers, body: Buffer.concat(chunks) });
    for (const w of waiters.splice(0)) w();
    res.statusCode = state.status;
    res.end();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const origin = `https://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    origin,
    received,
    state,
    /** An https agent that trusts this service's certificate, for the entity's web-push calls. */
    agent: new Agent({ ca: cert }),
    subscription: (id = randomBytes(8).toString('hex')) => new TestSubscription(`${origin}/push/${id}`),
    /** Waits for a push to `path` beyond the first `after` received. */
    async next(path: string, after = 0, timeoutMs = 5000): Promise<ReceivedPush> {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const hit = received.slice(after).find((p) => p.path === path);
        if (hit) return hit;
        if (Date.now() > deadline) throw new Error(`no push to ${path}`);
        await new Promise<void>((resolve) => {
          const t = setTimeout(resolve, 100);
          waiters.push(() => {
            clearTimeout(t);
            resolve();
          });
        });
      }
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
