/**
 * The path CIBA and the device authorization grant share at the token endpoint:
 * find the request, check it belongs to the client, check expiry, enforce the poll interval
 * (a stamp per request in the store, so polls spread over several nodes are measured together),
 * answer pending/denied, and consume it exactly once when approved (one atomic store step).
 * @see https://openid.net/specs/openid-client-initiated-backchannel-authentication-core-1_0.html#rfc.section.11
 * @see https://www.rfc-editor.org/rfc/rfc8628#section-3.5
 */
import { AccessDenied, AuthorizationPending, ExpiredToken, InvalidGrant, SlowDown } from '../../shared/errors.ts';
import type { Collection, Counters } from '../../shared/store/store.ts';
import type { Client } from '../models/client.ts';

/** Fields a pollable request record must carry. */
export interface PollableRequest {
  readonly clientId: string;
  /** pending until the user decides; approved requests carry the grant to issue from; withdrawn by the client (CIBA). */
  readonly status: 'pending' | 'approved' | 'denied' | 'withdrawn';
  /** Epoch seconds when the request itself expires (the record lives a little longer). */
  readonly expiresAt: number;
  /** Current minimum poll interval, seconds (grows by 5 on every slow_down). */
  readonly interval: number;
  /** Description for access_denied (e.g. "the user denied the request"). */
  readonly denyDescription?: string;
}

/** Seconds added to the interval on every slow_down (RFC 8628 section 3.5). */
export const SLOW_DOWN_STEP = 5;

/** The store key of a request's last-poll stamp. */
export function pollStampKey(collection: Collection<object>, id: string): string {
  return `poll:${collection.name}:${id}`;
}

/**
 * Runs the poll checks for `id` and returns the approved record, consumed; throws the
 * protocol error otherwise. The consumption is applied at once (single use holds) but made
 * durable by the caller's next flush: callers issue the tokens with issueTokenSet's `flush`. Creators store the record with TTL = lifetime + defaults.expiredRequestGrace
 * so that late polls get expired_token rather than invalid_grant.
 */
export async function pollRequest<T extends PollableRequest>(counters: Counters, collection: Collection<T>, id: string, client: Client): Promise<T> {
  const found = await collection.get(id);
  if (!found || found.value.clientId !== client.client_id) throw new InvalidGrant('unknown request or issued to another client');
  if (found.meta.consumedAt !== undefined) throw new InvalidGrant('the request was already redeemed');
  const record = found.value;
  if (Date.now() >= record.expiresAt * 1000) throw new ExpiredToken('the request has expired');
  // Atomically: was the previous poll (on any node) less than the interval ago? This poll is the new "previous".
  const previous = await counters.stamp(pollStampKey(collection, id), record.interval * 1000);
  if (previous !== undefined) {
    const slower = await collection.update(id, (r) => (r ? { ...r, interval: r.interval + SLOW_DOWN_STEP } : undefined), { durable: false });
    const interval = slower.outcome === 'updated' ? slower.record.value.interval : record.interval + SLOW_DOWN_STEP;
    throw new SlowDown(`polling too fast; wait at least ${interval} seconds between requests`);
  }
  if (record.status === 'pending') throw new AuthorizationPending();
  if (record.status === 'denied' || record.status === 'withdrawn')
    throw new AccessDenied(record.denyDescription ?? 'the user denied the request').withStatus(400);
  const taken = await collection.consume(id, { durable: false });
  if (taken.outcome !== 'consumed') throw new InvalidGrant('the request was already redeemed');
  return taken.record.value;
}
