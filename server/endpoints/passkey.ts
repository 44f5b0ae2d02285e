/**
 * The app's passkey API (shared/passkey-api.ts): this device's passkey (status, register,
 * remove) and the challenge that approves a request asking for acr phr.
 */
import type { RequestHandler } from 'express';
import type { PasskeyStatus } from '../../shared/passkey-api.ts';
import { shownHash } from '../../shared/shown.ts';
import { requiresPhr } from '../../shared/phr.ts';
import { InvalidRequest } from '../../shared/errors.ts';
import type { ServerContext } from '../context.ts';
import { nowSeconds } from '../../shared/time.ts';
import { deviceRequestView } from '../devices/view.ts';
import { AlreadySettled, NotFound, RequestExpired } from '../errors.ts';
import { currentDevice } from '../middleware/authenticate_device.ts';
import type { Passkey } from '../models.ts';
import { assertionOptions } from '../passkeys/assertion.ts';
import { registerPasskey, registrationOptions } from '../passkeys/registration.ts';
import { requestForDevice } from './requests.ts';

function status(p: Passkey | undefined): PasskeyStatus {
  return p ? { registered: true, created_at: p.created_at, ...(p.last_used_at ? { last_used_at: p.last_used_at } : {}) } : { registered: false };
}

/** GET /api/passkey */
export function getPasskeyEndpoint(ctx: ServerContext): RequestHandler {
  return async (_req, res) => {
    res.set('Cache-Control', 'no-store').json(status(await ctx.models.passkeys.find(currentDevice(res).device_id)));
  };
}

/** POST /api/passkey/options */
export function passkeyOptionsEndpoint(ctx: ServerContext): RequestHandler {
  return async (_req, res) => {
    res.set('Cache-Control', 'no-store').json(await registrationOptions(ctx, currentDevice(res)));
  };
}

/** POST /api/passkey {credential} → 201 */
export function registerPasskeyEndpoint(ctx: ServerContext): RequestHandler {
  return async (req, res) => {
    const passkey = await registerPasskey(ctx, currentDevice(res), (req.body as Record<string, unknown> | undefined)?.credential);
    res.status(201).set('Cache-Control', 'no-store').json(status(passkey));
  };
}

/** DELETE /api/passkey → 204 */
export function removePasskeyEndpoint(ctx: ServerContext): RequestHandler {
  return async (_req, res) => {
    const device = currentDevice(res);
    await ctx.models.passkeys.delete(device.device_id);
    ctx.log.info('passkey.removed', { device_id: device.device_id });
    res.status(204).end();
  };
}

/** POST /api/requests/:id/passkey-challenge {shown_hash} → PasskeyRequestOptions */
export function passkeyChallengeEndpoint(ctx: ServerContext): RequestHandler {
  return async (req, res) => {
    const device = currentDevice(res);
    const r = await requestForDevice(ctx, String(req.params.id), res);
    if (r.status !== 'pending') throw new AlreadySettled();
    if (nowSeconds() >= r.expires_at) throw new RequestExpired();
    if (!requiresPhr(r.acr_values)) throw new InvalidRequest('this request does not ask for a passkey');
    const passkey = await ctx.models.passkeys.find(device.device_id);
    if (!passkey) throw new NotFound('this device has no passkey: set one up in Settings, or approve on a device that has one');
    const shown = (req.body as Record<string, unknown> | undefined)?.shown_hash;
    if (typeof shown !== 'string' || shown !== (await shownHash(deviceRequestView(r)))) {
      throw new InvalidRequest('shown_hash is not the hash of this request as sent to the app: reload it');
    }
    res.set('Cache-Control', 'no-store').json(await assertionOptions(ctx, r, device, passkey, shown));
  };
}
