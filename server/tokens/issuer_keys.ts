/**
 * Keys of trusted issuers: each issuer's discovery document (cached) names its `jwks_uri`, whose
 * key set jose fetches, caches, and refetches on an unknown `kid` (with a cooldown).
 * Only issuers on the trusted list are ever fetched.
 * @see https://openid.net/specs/openid-connect-discovery-1_0.html#ProviderConfig
 */
import { createRemoteJWKSet } from 'jose';
import { TemporarilyUnavailable } from '../../shared/errors.ts';
import { defaults } from '../defaults.ts';

export interface IssuerMetadata {
  readonly issuer: string;
  readonly jwks_uri: string;
  readonly userinfo_endpoint?: string;
  readonly introspection_endpoint?: string;
}

interface Entry {
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
  private readonly entries = new Map<string, Entry>();
  private readonly loading = new Map<string, Promise<Entry>>();

  constructor(private readonly trusted: readonly string[]) {}

  isTrusted(issuer: string): boolean {
    return this.trusted.includes(issuer);
  }

  /** Discovery metadata and key set of a trusted issuer. */
  async get(issuer: string): Promise<Entry> {
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

  private async load(issuer: string): Promise<Entry> {
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
    const entry: Entry = { metadata: doc as IssuerMetadata, jwks, fetchedAt: Date.now() };
    this.entries.set(issuer, entry);
    return entry;
  }
}
