/**
 * The path CIBA and the device authorization grant share at the token endpoint:
 * find the request, check it belongs to the client, check expiry, enforce the poll interval,
 * answer pending/denied, and consume it exactly once when approved.
 * @see https://openid.net/specs/openid-client-initiated-backchannel-authentication-core-1_0.html#rfc.section.11
 * @see https://www.rfc-editor.org/rfc/rfc8628#section-3.5
 */
import { AccessDenied, AuthorizationPending, ExpiredToken, InvalidGrant, SlowDown } from '../../shared/errors.ts';
import type { Collection } from '../../shared/store/store.ts';
import type { Client } from '../models/client.ts';
import { defaults } from '../defaults.ts';

/** Fields a pollable request record must carry. */
export interface PollableRequest {
  readonly clientId: string;
  /** pending until the user decides; approved requests carry the grant to issue from. */
  readonly status: 'pending' | 'approved' | 'denied';
  /** Epoch seconds when the request itself expires (the record lives a little longer). */
  readonly expiresAt: number;
  /** Current minimum poll interval, seconds (grows by 5 on every slow_down). */
  readonly interval: number;
  /** Epoch milliseconds of the last poll. */
  readonly lastPolledAt?: number;
  /** Description for access_denied (e.g. "the user denied the request"). */
  readonly denyDescription?: string;
}

/** Seconds added to the interval on every slow_down (RFC 8628 section 3.5). */
export const SLOW_DOWN_STEP = 5;

/**
 * Runs the poll checks for `id` and returns the approved record, consumed; throws the
 * protocol error otherwise. Creators store the record with TTL = lifetime + defaults.expiredRequestGrace
 * so that late polls get expired_token rather than invalid_grant.
 */
export async function pollRequest<T extends PollableRequest>(collection: Collection<T>, id: string, client: Client): Promise<T> {
  const record = await collection.find(id);
  if (!record || record.clientId !== client.client_id) throw new InvalidGrant('unknown request or issued to another client');
  if (record.consumed !== undefined) throw new InvalidGrant('the request was already redeemed');
  const nowMs = Date.now();
  if (nowMs >= record.expiresAt * 1000) throw new ExpiredToken('the request has expired');
  const ttl = Math.max(1, Math.ceil((record.expiresAt * 1000 - nowMs) / 1000) + defaults.expiredRequestGrace);
  // The stored payload, without the store's consumed mark (its own expiresAt is the request's).
  const { consumed: _c, ...payload } = record as T & { consumed?: number };
  if (record.lastPolledAt !== undefined && nowMs - record.lastPolledAt < record.interval * 1000) {
    const slower = { ...payload, interval: record.interval + SLOW_DOWN_STEP, lastPolledAt: nowMs } as T;
    await collection.upsert(id, slower, ttl, { durable: false });
    throw new SlowDown(`polling too fast; wait at least ${slower.interval} seconds between requests`);
  }
  await collection.upsert(id, { ...payload, lastPolledAt: nowMs } as T, ttl, { durable: false });
  if (record.status === 'pending') throw new AuthorizationPending();
  if (record.status === 'denied') throw new AccessDenied(record.denyDescription ?? 'the user denied the request').withStatus(400);
  const before = await collection.consume(id);
  if (!before || before.consumed !== undefined) throw new InvalidGrant('the request was already redeemed');
  return record;
}
