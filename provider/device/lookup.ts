/**
 * Finding a device request by the user code a person typed, and deciding it.
 * @see https://www.rfc-editor.org/rfc/rfc8628#section-3.3
 */
import type { ProviderContext } from '../context.ts';
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
  const pointer = await ctx.models.deviceUserCodes.find(userCode);
  const found = pointer && (await ctx.models.deviceCodes.get(pointer.deviceCode));
  if (!pointer || !found) return { state: 'unknown' };
  const request = found.value;
  if (nowSeconds() >= request.expiresAt) return { state: 'expired' };
  if (request.status !== 'pending' || found.meta.consumedAt !== undefined) return { state: 'used' };
  const client = await ctx.models.clients.find(request.clientId);
  if (!client) return { state: 'expired' };
  return { state: 'pending', deviceCode: found.id, request, client };
}

/**
 * Records the user's decision on a pending request: a guarded transition (pending → approved or
 * denied, once), so a decision in another tab or on another node cannot be overwritten. Returns
 * why not when the request is no longer pending: decided elsewhere (`used`) or run out (`expired`).
 */
export async function decideDeviceRequest(
  ctx: ProviderContext,
  deviceCode: string,
  decision: { approve: true; grant: Omit<Grant, 'grantId'> } | { approve: false },
): Promise<'decided' | 'expired' | 'used'> {
  let why: 'expired' | 'used' = 'expired';
  const moved = await ctx.models.deviceCodes.update(deviceCode, (request, meta) => {
    why = !request || nowSeconds() >= request.expiresAt ? 'expired' : 'used';
    if (!request || why === 'expired' || request.status !== 'pending' || meta?.consumedAt !== undefined) return undefined;
    const decided: DeviceCode = decision.approve
      ? { ...request, status: 'approved', grant: decision.grant }
      : { ...request, status: 'denied', denyDescription: 'the user denied the request' };
    return decided;
  });
  return moved.outcome === 'updated' ? 'decided' : why;
}
