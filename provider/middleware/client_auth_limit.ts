/**
 * Guessing limits on client authentication (defaults.ts, clientAuth*): failures are counted per
 * client_id and address (the primary limit), per client_id from all addresses (a higher
 * ceiling) and per address for all client_ids, in the store's windowed counters, so every node
 * counts together. A limit reached blocks for one window from the failure that reached it; that
 * failure alone logs the block (`client_auth.source_blocked` for an address, `client.locked`
 * for a client_id), never a secret. Refusals during a block are not counted: the block ends on
 * time whatever an attacker keeps sending.
 */
import { createHash } from 'node:crypto';
import { InvalidClient } from '../../shared/errors.ts';
import { limitAddress } from '../../shared/http/limit_address.ts';
import type { CounterState } from '../../shared/store/store.ts';
import { ttlOf } from '../config.ts';
import type { ProviderContext } from '../context.ts';
import { defaults } from '../defaults.ts';

type Scope = 'source' | 'client' | 'address';

const MAX: Readonly<Record<Scope, number>> = {
  source: defaults.clientAuthMaxFailuresPerSource,
  client: defaults.clientAuthMaxFailuresPerClient,
  address: defaults.clientAuthMaxFailuresPerAddress,
};

/** A client_id as the caller sent it may be 8 KB of anything: keys hold a hash, logs the first characters. */
const hashed = (clientId: string) => createHash('sha256').update(clientId).digest('base64url').slice(0, 22);
const shown = (clientId: string) => clientId.slice(0, 64);

/** The counter keys of one attempt (an IPv6 address counts by its /64: limit_address.ts). */
function keys(clientId: string, caller: string): Record<Scope, string> {
  const id = hashed(clientId);
  const address = limitAddress(caller);
  return { source: `client-auth:source:${address}:${id}`, client: `client-auth:client:${id}`, address: `client-auth:address:${address}` };
}

/** Ms until the longest block among `states` ends, or undefined when none is blocked. */
function blockedFor(states: Record<Scope, CounterState>): number | undefined {
  const ends = (Object.keys(MAX) as Scope[]).filter((s) => states[s].count >= MAX[s]).map((s) => states[s].resetInMs);
  return ends.length ? Math.max(...ends) : undefined;
}

function refusal(ms: number): InvalidClient {
  const seconds = Math.max(1, Math.ceil(ms / 1000));
  return new InvalidClient(`too many failed client authentications; try again in ${seconds} s`, 'client authentication blocked').retryAfter(seconds);
}

/** The guard of one authentication attempt: check before any secret is looked at, then report how it went. */
export interface ClientAuthAttempt {
  /** Counts a failure; throws the refusal (with Retry-After) when this failure reached a limit, else returns. */
  failed(): Promise<void>;
  /** Forgets earlier failures of this client_id from this address. */
  succeeded(): Promise<void>;
}

/**
 * Throws invalid_client with Retry-After when `clientId` or `address` is blocked, without counting;
 * otherwise returns the attempt to report on.
 */
export async function checkClientAuth(ctx: ProviderContext, clientId: string, address: string): Promise<ClientAuthAttempt> {
  const k = keys(clientId, address);
  const [source, client, byAddress] = await Promise.all([
    ctx.store.counters.peek(k.source),
    ctx.store.counters.peek(k.client),
    ctx.store.counters.peek(k.address),
  ]);
  const blocked = blockedFor({ source, client, address: byAddress });
  if (blocked !== undefined) throw refusal(blocked);
  const windowMs = ttlOf(ctx.config, 'clientAuthFailureWindow') * 1000;
  return {
    async failed() {
      const hit = (s: Scope) => ctx.store.counters.hit(k[s], { windowMs, limit: MAX[s] - 1, blockMs: windowMs });
      const [source, client, byAddress] = await Promise.all([hit('source'), hit('client'), hit('address')]);
      const states = { source, client, address: byAddress };
      // Exactly one failure per window reaches each limit (the counters are atomic): it logs the block.
      if (source.count === MAX.source) ctx.log.warn('client_auth.source_blocked', { clientId: shown(clientId), address, for: 'this client' });
      if (byAddress.count === MAX.address) ctx.log.warn('client_auth.source_blocked', { address, for: 'all clients' });
      if (client.count === MAX.client) ctx.log.warn('client.locked', { clientId: shown(clientId) });
      const blocked = blockedFor(states);
      if (blocked !== undefined) throw refusal(blocked);
    },
    async succeeded() {
      if (source.count > 0) await ctx.store.counters.reset(k.source);
    },
  };
}
