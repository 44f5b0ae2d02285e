/**
 * Keys of trusted issuers: each issuer's discovery document (cached) names its `jwks_uri`, whose
 * key set jose fetches, caches, and refetches on an unknown `kid` (with a cooldown).
 * Only issuers on the trusted list are ever fetched.
 * @see https://openid.net/specs/openid-connect-discovery-1_0.html#ProviderConfig
 */
import { createPublicKey, type JsonWebKey, type KeyObject } from 'node:crypto';
import { createRemoteJWKSet, type JWK } from 'jose';
import type { KeyFor } from '../../shared/jwt/node_verify.ts';
import { TemporarilyUnavailable } from '../../shared/errors.ts';
import { defaults } from '../defaults.ts';

/**
 * How long a read of jose's key set is reused, ms. A key set jose reloads (a new `kid`, a
 * rotation) reaches node:crypto verification this much later; until then an unknown `kid` is
 * verified by jose itself, which has the new set.
 */
const KEY_SET_READ_MS = 1000;

export interface IssuerMetadata {
  readonly issuer: string;
  readonly jwks_uri: string;
  readonly userinfo_endpoint?: string;
  readonly introspection_endpoint?: string;
}

export interface IssuerEntry {
  readonly metadata: IssuerMetadata;
  readonly jwks: ReturnType<typeof createRemoteJWKSet>;
  readonly fetchedAt: number;
}

/** Fetches JSON with a timeout; throws TemporarilyUnavailable on any failure. */
export async function fetchJson(url: string, init: RequestInit = {}): Promise<unknown> {
  let res: Response;
  try {
    res = await fetch(url, { ...init, redirect: 'error', signal: AbortSignal.timeout(defaults.fetchTimeoutMs) });
  } catch (e) {
    throw new TemporarilyUnavailable('the issuer could not be reached', `${url}: ${(e as Error).message}`);
  }
  if (!res.ok) throw new TemporarilyUnavailable('the issuer answered with an error', `${url}: HTTP ${res.status}`);
  try {
    return await res.json();
  } catch {
    throw new TemporarilyUnavailable('the issuer answered with invalid JSON', url);
  }
}

export class IssuerKeys {
  private readonly entries = new Map<string, IssuerEntry>();
  private readonly loading = new Map<string, Promise<IssuerEntry>>();

  constructor(private readonly trusted: readonly string[]) {}

  /** Public keys made from issuers' JWKs, by the JWK's JSON (a key set holds a handful). */
  private readonly publicKeys = new Map<string, KeyObject | undefined>();

  /**
   * The key of `kid` for `alg` in the issuer's key set while jose holds it fresh, when exactly one
   * signing key matches (for shared/jwt/node_verify.ts); otherwise undefined, and jose decides
   * (refetching a stale or unknown key set).
   */
  keyFor(entry: IssuerEntry): KeyFor {
    return (kid, alg) => {
      if (!entry.jwks.fresh) return undefined;
      const found = this.keysOf(entry).filter((k) => k.kid === kid && k.alg === alg && (k.use === undefined || k.use === 'sig'));
      return found.length === 1 ? this.publicKey(found[0]!) : undefined;
    };
  }

  /** jose's copy of an issuer's key set (it deep-clones the set on every read), read at most once per KEY_SET_READ_MS. */
  private readonly keySets = new WeakMap<IssuerEntry, { readonly at: number; readonly keys: readonly JWK[] }>();

  private keysOf(entry: IssuerEntry): readonly JWK[] {
    const now = Date.now();
    const held = this.keySets.get(entry);
    if (held && now - held.at < KEY_SET_READ_MS) return held.keys;
    const keys = entry.jwks.jwks()?.keys ?? [];
    this.keySets.set(entry, { at: now, keys });
    return keys;
  }

  private publicKey(jwk: JWK): KeyObject | undefined {
    const id = JSON.stringify(jwk);
    if (!this.publicKeys.has(id)) {
      if (this.publicKeys.size >= 64) this.publicKeys.clear();
      let key: KeyObject | undefined;
      try {
        key = createPublicKey({ key: jwk as JsonWebKey, format: 'jwk' });
      } catch {
        key = undefined; // jose refuses it in its own words
      }
      this.publicKeys.set(id, key);
    }
    return this.publicKeys.get(id);
  }

  isTrusted(issuer: string): boolean {
    return this.trusted.includes(issuer);
  }

  /** Discovery metadata and key set of a trusted issuer. */
  async get(issuer: string): Promise<IssuerEntry> {
    if (!this.isTrusted(issuer)) throw new TypeError(`${issuer} is not a trusted issuer`);
    const cached = this.entries.get(issuer);
    if (cached && Date.now() - cached.fetchedAt < defaults.discoveryCacheMs) return cached;
    let p = this.loading.get(issuer);
    if (!p) {
      p = this.load(issuer).finally(() => this.loading.delete(issuer));
      this.loading.set(issuer, p);
    }
    try {
      return await p;
    } catch (e) {
      if (cached) return cached; // keep serving the last good metadata while the issuer is unreachable
      throw e;
    }
  }

  private async load(issuer: string): Promise<IssuerEntry> {
    const doc = (await fetchJson(`${issuer}/.well-known/openid-configuration`)) as Partial<IssuerMetadata>;
    if (doc?.issuer !== issuer || typeof doc.jwks_uri !== 'string') {
      throw new TemporarilyUnavailable('the issuer discovery document is invalid', `issuer mismatch or no jwks_uri at ${issuer}`);
    }
    const previous = this.entries.get(issuer);
    const jwks =
      previous && previous.metadata.jwks_uri === doc.jwks_uri
        ? previous.jwks
        : createRemoteJWKSet(new URL(doc.jwks_uri), {
            cooldownDuration: defaults.jwksCooldownMs,
            cacheMaxAge: defaults.jwksCacheMaxAgeMs,
            timeoutDuration: defaults.fetchTimeoutMs,
          });
    const entry: IssuerEntry = { metadata: doc as IssuerMetadata, jwks, fetchedAt: Date.now() };
    this.entries.set(issuer, entry);
    return entry;
  }
}
