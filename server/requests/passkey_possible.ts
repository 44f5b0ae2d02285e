/**
 * A request asking for phishing-resistant approval (acr phr) can only be approved on a device
 * holding a passkey. When none of the user's devices has one, the delegation is refused at once
 * with 403 access_denied (the provider passes it to the client) instead of buzzing phones that
 * could never approve it.
 */
import { AccessDenied } from '../../shared/errors.ts';
import { requiresPhr } from '../../shared/phr.ts';
import type { ServerContext } from '../context.ts';
import type { PendingRequest } from '../models.ts';
import { devicesForRequest } from './queries.ts';

export async function assertPasskeyPossible(ctx: ServerContext, r: Pick<PendingRequest, 'acr_values' | 'nameKey' | 'userKey' | 'login_hint'>): Promise<void> {
  if (!requiresPhr(r.acr_values)) return;
  const devices = await devicesForRequest(ctx, r);
  for (const d of devices) if (await ctx.models.passkeys.find(d.device_id)) return;
  throw new AccessDenied(
    devices.length
      ? `the request needs approval with a passkey (acr phr), and none of ${r.login_hint}'s devices has one: they can set one up in the Nod app's Settings`
      : `the request needs approval with a passkey (acr phr), and ${r.login_hint} has no device enrolled with Nod`,
  );
}
