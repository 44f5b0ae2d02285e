/**
 * Finding a device request by the user code a person typed, and deciding it.
 * @see https://www.rfc-editor.org/rfc/rfc8628#section-3.3
 */
import type { ProviderContext } from '../context.ts';
import { defaults } from '../defaults.ts';
import type { Client } from '../models/client.ts';
import type { DeviceCode } from '../models/device_code.ts';
import type { Grant } from '../models/index.ts';
import { nowSeconds } from '../../shared/time.ts';

/** What a user code points at. `unknown` is the only outcome that counts as a wrong guess. */
export type CodeLookup =
  | { readonly state: 'unknown' }
  | { readonly state: 'expired' | 'used' }
  | { readonly state: 'pending'; readonly deviceCode: string; readonly request: DeviceCode; readonly client: Client };

/** Looks up a normalized user code. Expired requests stay findable for a grace period so the page can say so. */
export async function lookupUserCode(ctx: ProviderContext, userCode: string): Promise<CodeLookup> {
  const [found] = await ctx.models.deviceCodes.findBy('userCode', userCode);
  if (!found) return { state: 'unknown' };
  if (nowSeconds() >= found.expiresAt) return { state: 'expired' };
  if (found.status !== 'pending' || found.consumed !== undefined) return { state: 'used' };
  const client = await ctx.models.clients.find(found.clientId);
  if (!client) return { state: 'expired' };
  const { id, consumed: _c, ...request } = found;
  return { state: 'pending', deviceCode: id, request: request as DeviceCode, client };
}

/**
 * Records the user's decision on a pending request. Returns why not when the request is no
 * longer pending: decided in another tab (`used`) or run out (`expired`). Read and write happen without I/O in between, so a
 * concurrent poll cannot overwrite the decision (the store is in memory).
 */
export async function decideDeviceRequest(
  ctx: ProviderContext,
  deviceCode: string,
  decision: { approve: true; grant: Omit<Grant, 'grantId'> } | { approve: false },
): Promise<'decided' | 'expired' | 'used'> {
  const current = await ctx.models.deviceCodes.find(deviceCode);
  const now = nowSeconds();
  if (!current || now >= current.expiresAt) return 'expired';
  if (current.status !== 'pending' || current.consumed !== undefined) return 'used';
  const { consumed: _c, ...request } = current;
  const decided: DeviceCode = decision.approve
    ? { ...request, status: 'approved', grant: decision.grant }
    : { ...request, status: 'denied', denyDescription: 'the user denied the request' };
  await ctx.models.deviceCodes.upsert(deviceCode, decided, current.expiresAt - now + defaults.expiredRequestGrace);
  return 'decided';
}
