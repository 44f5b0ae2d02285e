/**
 * The provider's signing keys, kept in the store (one settings record) so every node signs with
 * the same keys and publishes the same JWKS: generated on first start by whichever node comes
 * first (insert-if-absent), one active key per algorithm, each with a `kid`. Rotation adds new
 * keys and retires the old ones (a compare-and-set on the record) and tells every node over
 * pub/sub; a node that meets an unknown `kid` reloads too. A retired key stops signing but its
 * public half stays in the JWKS until every token it signed has expired. A `keys.json` left by
 * an older version in the data directory is imported once, so an upgrade does not rotate keys.
 * @see https://openid.net/specs/openid-connect-core-1_0.html#RotateSigKeys
 */
import { generateKeyPair, exportJWK, jwtVerify, createLocalJWKSet, calculateJwkThumbprint, errors as joseErrors } from 'jose';
import type { JWK, JWTPayload, JWTVerifyOptions, JWTVerifyResult } from 'jose';
import { createPrivateKey, createPublicKey, sign as signBytes, type KeyObject, type JsonWebKey } from 'node:crypto';
import { verifyWithNode } from '../../shared/jwt/node_verify.ts';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Collection, PubSub } from '../../shared/store/store.ts';
import { defaults } from '../defaults.ts';
import { nowSeconds } from '../../shared/time.ts';
import { LoopBusy } from './loop_busy.ts';

/** The settings record that holds the keys, and the channel that announces a change. */
export const SIGNING_KEYS_SETTING = 'signing-keys';
const KEYS_CHANNEL = 'keys.changed';
/** A verify that meets an unknown kid reloads the keys at most this often, ms. */
const RELOAD_AT_MOST_EVERY_MS = 1000;

/** What the keys need of the store: the provider's settings collection and pub/sub. */
export interface KeyStorage {
  readonly settings: Collection<Record<string, unknown>>;
  readonly pubsub: PubSub;
}

/** Whether the event loop is busy (loop_busy.ts). */
export interface LoopState {
  readonly busy: boolean;
}

const base64url = (value: object): string => Buffer.from(JSON.stringify(value)).toString('base64url');

/** The encoded protected header of a key and `typ`, made once per key (a key has two or three). */
function headerOf(key: LoadedKey, typ: string): string {
  let header = key.headers.get(typ);
  if (header === undefined) {
    header = base64url({ alg: key.alg, kid: key.kid, typ });
    key.headers.set(typ, header);
  }
  return header;
}

/** Algorithms the provider signs with. */
export const SIGNING_ALGS = ['RS256', 'ES256'] as const;
export type SigningAlg = (typeof SIGNING_ALGS)[number];

interface StoredKey {
  readonly kid: string;
  readonly alg: SigningAlg;
  readonly privateJwk: JWK;
  readonly createdAt: number;
  readonly retiredAt?: number;
}

const expired = (k: StoredKey) => k.retiredAt !== undefined && k.retiredAt + defaults.retiredKeyTtl < Date.now() / 1000;
const storedOf = (value: Record<string, unknown> | undefined) => ((value?.keys as StoredKey[] | undefined) ?? []).map((k) => ({ ...k }));

/** The keys of an older version's `<dataDir>/keys.json`, if there is one. */
async function keysFile(dataDir: string | undefined): Promise<StoredKey[]> {
  if (!dataDir) return [];
  const file = join(dataDir, 'keys.json');
  try {
    return (JSON.parse(await readFile(file, 'utf8')) as { keys: StoredKey[] }).keys;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw new Error(`cannot read ${file}: ${(e as Error).message}`);
  }
}

/** `stored` with an active key for every algorithm (from `fresh`) and without keys retired long ago; undefined when nothing changes. */
function completed(stored: StoredKey[], fresh: StoredKey[]): StoredKey[] | undefined {
  let changed = false;
  let keys = stored;
  for (const alg of SIGNING_ALGS) {
    if (!keys.some((k) => k.alg === alg && k.retiredAt === undefined)) {
      const key = fresh.find((k) => k.alg === alg);
      if (key) keys = [...keys, key];
      changed = true;
    }
  }
  if (keys.some(expired)) {
    keys = keys.filter((k) => !expired(k));
    changed = true;
  }
  return changed ? keys : undefined;
}

interface LoadedKey extends StoredKey {
  readonly privateKey: KeyObject;
  readonly publicKey: KeyObject;
  readonly publicJwk: JWK;
  /** Encoded protected headers by `typ`. */
  readonly headers: Map<string, string>;
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
  return {
    ...stored,
    privateKey,
    publicKey: createPublicKey(privateKey),
    publicJwk: { ...pub, kid: stored.kid, alg: stored.alg, use: 'sig' },
    headers: new Map(),
  };
}

export class KeyStore {
  private keys: LoadedKey[] = [];
  private jwksFn: ReturnType<typeof createLocalJWKSet> = createLocalJWKSet({ keys: [] });
  private lastLoad = 0;
  private unsubscribe: (() => Promise<void>) | undefined;
  private constructor(
    private readonly storage: KeyStorage,
    private readonly loop: LoopState,
  ) {}

  /**
   * Loads the keys from the store, creating them on the first start (importing `dataDir`'s
   * keys.json when an older version left one), and follows rotations made on other nodes.
   * `loop` tells sign() whether the event loop is busy (default: this process's, read per
   * defaults.signOffloadUtilization and signOffloadWindowMs).
   */
  static async open(
    storage: KeyStorage,
    dataDir?: string,
    loop: LoopState = new LoopBusy(defaults.signOffloadUtilization, defaults.signOffloadWindowMs),
  ): Promise<KeyStore> {
    const ks = new KeyStore(storage, loop);
    const found = await storage.settings.find(SIGNING_KEYS_SETTING);
    const imported = found ? [] : await keysFile(dataDir);
    if (!found || completed(storedOf(found), []) !== undefined) {
      // Made before the atomic update (which must not await); unused when another node came first.
      const fresh = await Promise.all(SIGNING_ALGS.map(makeKey));
      await storage.settings.update(SIGNING_KEYS_SETTING, (current) => {
        const stored = current ? storedOf(current) : imported;
        const keys = completed(stored, fresh) ?? (current ? undefined : stored);
        return keys ? { keys } : undefined;
      });
    }
    await ks.reload();
    ks.unsubscribe = await storage.pubsub.subscribe(KEYS_CHANNEL, () => void ks.reload().catch(() => undefined));
    return ks;
  }

  /** Stops following rotations made elsewhere. */
  async stop(): Promise<void> {
    const unsubscribe = this.unsubscribe;
    this.unsubscribe = undefined;
    await unsubscribe?.().catch(() => undefined);
  }

  /** Reads the keys from the store again (after a rotation elsewhere). */
  async reload(): Promise<void> {
    this.lastLoad = Date.now();
    await this.setKeys(storedOf(await this.storage.settings.find(SIGNING_KEYS_SETTING)));
  }

  private async setKeys(stored: StoredKey[]): Promise<void> {
    this.keys = await Promise.all(stored.map(load));
    this.jwksFn = createLocalJWKSet(this.jwks());
  }

  /** Adds a new key per algorithm and retires the current ones (they stay published); every node follows. */
  async rotate(): Promise<string[]> {
    const at = nowSeconds();
    const fresh = await Promise.all(SIGNING_ALGS.map(makeKey));
    await this.storage.settings.update(SIGNING_KEYS_SETTING, (current) => ({
      keys: [...fresh, ...storedOf(current).map((k) => ({ ...k, retiredAt: k.retiredAt ?? at }))],
    }));
    await this.reload();
    await this.storage.pubsub.publish(KEYS_CHANNEL, { at });
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

  /** The public key of `kid` for `alg`, when this provider publishes exactly one. */
  private readonly keyFor = (kid: string, alg: string): KeyObject | undefined => {
    const found = this.keys.filter((k) => k.kid === kid && k.alg === alg);
    return found.length === 1 ? found[0]!.publicKey : undefined;
  };

  private active(alg: string): LoadedKey {
    const key = this.keys.find((k) => k.alg === alg && k.retiredAt === undefined);
    if (!key) throw new TypeError(`no active signing key for ${alg}`);
    return key;
  }

  /**
   * Signs a JWT with the active key of `alg`; `typ` goes in the header. The compact JWS is put
   * together here and signed with node:crypto directly, which skips WebCrypto's per-call overhead
   * (jose 6 signs only through WebCrypto); every token endpoint response signs one or two.
   * ES256 (about 35 µs) is signed inline while the event loop is idle: one thread-pool job alone
   * costs the loop 50-80 µs (its set-up and the wake-up), more than the signature. While the loop
   * is busy it goes to the thread pool: with jobs in flight together the wake-ups are shared (6-9 µs
   * of the loop's time per signature) and the machine's other core signs. RS256 (about 1 ms)
   * always runs on the thread pool.
   * @see https://www.rfc-editor.org/rfc/rfc7515#section-7.1
   */
  async sign(payload: JWTPayload, alg: string, typ = 'JWT'): Promise<string> {
    if (alg !== 'RS256' && alg !== 'ES256') throw new TypeError(`cannot sign ${alg}`);
    const key = this.active(alg);
    const input = `${headerOf(key, typ)}.${base64url(payload)}`;
    // ES256 signatures are R || S (IEEE P1363), not DER (RFC 7518 section 3.4).
    const options = alg === 'ES256' ? { key: key.privateKey, dsaEncoding: 'ieee-p1363' as const } : key.privateKey;
    if (alg === 'ES256' && !this.loop.busy) return `${input}.${signBytes('sha256', Buffer.from(input), options).toString('base64url')}`;
    const signature = await new Promise<Buffer>((resolve, reject) => {
      signBytes('sha256', Buffer.from(input), options, (err, sig) => (err ? reject(err) : resolve(sig)));
    });
    return `${input}.${signature.toString('base64url')}`;
  }

  /**
   * Verifies a JWT this provider signed (any published key; a kid not known here reloads the keys
   * once). The plain case is verified with node:crypto (shared/jwt/node_verify.ts), the rest by jose.
   */
  async verify(jwt: string, options: JWTVerifyOptions): Promise<JWTVerifyResult> {
    const fast = verifyWithNode(jwt, this.keyFor, options);
    if (fast) return fast as JWTVerifyResult;
    try {
      return await jwtVerify(jwt, this.jwksFn, options);
    } catch (e) {
      if (!(e instanceof joseErrors.JWKSNoMatchingKey) || Date.now() - this.lastLoad < RELOAD_AT_MOST_EVERY_MS) throw e;
      await this.reload();
      return jwtVerify(jwt, this.jwksFn, options);
    }
  }
}
