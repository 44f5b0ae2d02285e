/** Look-ups between requests and devices (see models.ts for how identity is matched). */
import { nowSeconds } from '../../shared/time.ts';
import type { StoredRecord } from '../../shared/store/store.ts';
import type { ServerContext } from '../context.ts';
import type { Device, PendingRequest } from '../models.ts';
import { requestIsFor } from '../devices/view.ts';

/** The values of two record lists, each record once. */
function union<T>(a: Array<StoredRecord<T>>, b: Array<StoredRecord<T>>): T[] {
  const seen = new Set(a.map((x) => x.id));
  return [...a, ...b.filter((x) => !seen.has(x.id))].map((x) => x.value);
}

/** The enrolled devices a request is addressed to. */
export async function devicesForRequest(ctx: ServerContext, r: Pick<PendingRequest, 'nameKey' | 'userKey'>): Promise<Device[]> {
  const byName = await ctx.models.devices.findBy('nameKey', r.nameKey);
  const bySub = r.userKey ? await ctx.models.devices.findBy('userKey', r.userKey) : [];
  return union(bySub, byName);
}

/** Every remembered request for a device's user (pending and recently settled), oldest first. */
export async function requestsForDevice(ctx: ServerContext, d: Device): Promise<PendingRequest[]> {
  const bySub = await ctx.models.requests.findBy('userKey', d.userKey);
  const byName = await ctx.models.requests.findBy('nameKey', d.nameKey);
  return union(bySub, byName)
    .filter((r) => requestIsFor(r, d))
    .sort((a, b) => (a.seq ?? a.created_at * 1000) - (b.seq ?? b.created_at * 1000));
}

/** Pending, unexpired requests for a device's user, oldest first. */
export async function pendingForDevice(ctx: ServerContext, d: Device): Promise<PendingRequest[]> {
  const now = nowSeconds();
  return (await requestsForDevice(ctx, d)).filter((r) => r.status === 'pending' && r.expires_at > now);
}
