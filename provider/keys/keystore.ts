/**
 * The provider's signing keys: generated on first start into `<dataDir>/keys.json` (mode 0600),
 * one active key per algorithm, each with a `kid`. Rotation adds new keys and retires the old
 * ones; a retired key stops signing but its public half stays in the JWKS until every token it
 * signed has expired.
 * @see https://openid.net/specs/openid-connect-core-1_0.html#RotateSigKeys
 */
import { generateKeyPair, exportJWK, jwtVerify, createLocalJWKSet, calculateJwkThumbprint } from 'jose';
import type { JWK, JWTPayload, JWTVerifyOptions, JWTVerifyResult } from 'jose';
import { createPrivateKey, sign as signBytes, type KeyObject, type JsonWebKey } from 'node:crypto';
import { readFile, writeFile, rename, mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { defaults } from '../defaults.ts';
import { nowSeconds } from '../../shared/time.ts';

const base64url = (value: object): string => Buffer.from(JSON.stringify(value)).toString('base64url');

/** Algorithms the provider signs with. */
export const SIGNING_ALGS = ['RS256', 'ES256'] as const;
export type SigningAlg = (typeof SIGNING_ALGS)[number];

interface StoredKey {
  readonly kid: string;
  readonly alg: SigningAlg;
  readonly privateJwk: JWK;
  readonly createdAt: number;
  retiredAt?: number;
}

interface LoadedKey extends StoredKey {
  readonly privateKey: KeyObject;
  readonly publicJwk: JWK;
}

async function makeKey(alg: SigningAlg): Promise<StoredKey> {
  const { privateKey } = await generateKeyPair(alg, { extractable: true, ...(alg === 'RS256' ? { modulusLength: 2048 } : {}) });
  const privateJwk = await exportJWK(privateKey);
  const kid = await calculateJwkThumbprint(privateJwk);
  return { kid, alg, privateJwk, createdAt: nowSeconds() };
}

async function load(stored: StoredKey): Promise<LoadedKey> {
  const privateKey = createPrivateKey({ key: stored.privateJwk as JsonWebKey, format: 'jwk' });
  const { d: _d, p: _p, q: _q, dp: _dp, dq: _dq, qi: _qi, ...pub } = stored.privateJwk;
  return { ...stored, privateKey, publicJwk: { ...pub, kid: stored.kid, alg: stored.alg, use: 'sig' } };
}

export class KeyStore {
  private keys: LoadedKey[] = [];
  private jwksFn: ReturnType<typeof createLocalJWKSet> = createLocalJWKSet({ keys: [] });
  private constructor(private readonly file: string) {}

  /** Loads the keys in `dataDir`, generating the missing ones. */
  static async open(dataDir: string): Promise<KeyStore> {
    await mkdir(dataDir, { recursive: true, mode: 0o700 });
    const ks = new KeyStore(join(dataDir, 'keys.json'));
    let stored: StoredKey[] = [];
    try {
      stored = (JSON.parse(await readFile(ks.file, 'utf8')) as { keys: StoredKey[] }).keys;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw new Error(`cannot read ${ks.file}: ${(e as Error).message}`);
    }
    let changed = false;
    for (const alg of SIGNING_ALGS) {
      if (!stored.some((k) => k.alg === alg && k.retiredAt === undefined)) {
        stored.push(await makeKey(alg));
        changed = true;
      }
    }
    const expired = (k: StoredKey) => k.retiredAt !== undefined && k.retiredAt + defaults.retiredKeyTtl < Date.now() / 1000;
    if (stored.some(expired)) {
      stored = stored.filter((k) => !expired(k));
      changed = true;
    }
    await ks.setKeys(stored);
    if (changed) await ks.save();
    return ks;
  }

  private async setKeys(stored: StoredKey[]): Promise<void> {
    this.keys = await Promise.all(stored.map(load));
    this.jwksFn = createLocalJWKSet(this.jwks());
  }

  private async save(): Promise<void> {
    const tmp = `${this.file}.${process.pid}.tmp`;
    const data = { keys: this.keys.map(({ kid, alg, privateJwk, createdAt, retiredAt }) => ({ kid, alg, privateJwk, createdAt, retiredAt })) };
    await writeFile(tmp, JSON.stringify(data, null, 2), { mode: 0o600 });
    await rename(tmp, this.file);
  }

  /** Adds a new key per algorithm and retires the current ones (they stay published). */
  async rotate(): Promise<string[]> {
    const at = nowSeconds();
    const stored: StoredKey[] = this.keys.map(({ kid, alg, privateJwk, createdAt, retiredAt }) => ({
      kid,
      alg,
      privateJwk,
      createdAt,
      retiredAt: retiredAt ?? at,
    }));
    const fresh = await Promise.all(SIGNING_ALGS.map(makeKey));
    await this.setKeys([...fresh, ...stored]);
    await this.save();
    return fresh.map((k) => k.kid);
  }

  /** The public JWKS, active and retired keys. */
  jwks(): { keys: JWK[] } {
    return { keys: this.keys.map((k) => k.publicJwk) };
  }

  /** Key listing for the admin command. */
  list(): Array<{ kid: string; alg: string; createdAt: number; retiredAt?: number }> {
    return this.keys.map(({ kid, alg, createdAt, retiredAt }) => ({ kid, alg, createdAt, retiredAt }));
  }

  private active(alg: string): LoadedKey {
    const key = this.keys.find((k) => k.alg === alg && k.retiredAt === undefined);
    if (!key) throw new TypeError(`no active signing key for ${alg}`);
    return key;
  }

  /**
   * Signs a JWT with the active key of `alg`; `typ` goes in the header. The compact JWS is put
   * together here and signed with node:crypto directly, which skips WebCrypto's per-call overhead
   * (jose 6 signs only through WebCrypto); every token endpoint response signs one or two.
   * @see https://www.rfc-editor.org/rfc/rfc7515#section-7.1
   */
  async sign(payload: JWTPayload, alg: string, typ = 'JWT'): Promise<string> {
    if (alg !== 'RS256' && alg !== 'ES256') throw new TypeError(`cannot sign ${alg}`);
    const key = this.active(alg);
    const input = `${base64url({ alg, kid: key.kid, typ })}.${base64url(payload)}`;
    // ES256 signatures are R || S (IEEE P1363), not DER (RFC 7518 section 3.4). With a callback
    // the signing runs on the libuv thread pool, off the event loop (as WebCrypto's does).
    const signature = await new Promise<Buffer>((resolve, reject) => {
      signBytes('sha256', Buffer.from(input), alg === 'ES256' ? { key: key.privateKey, dsaEncoding: 'ieee-p1363' } : key.privateKey, (err, sig) =>
        err ? reject(err) : resolve(sig),
      );
    });
    return `${input}.${signature.toString('base64url')}`;
  }

  /** Verifies a JWT this provider signed (any published key). */
  verify(jwt: string, options: JWTVerifyOptions): Promise<JWTVerifyResult> {
    return jwtVerify(jwt, this.jwksFn, options);
  }
}
