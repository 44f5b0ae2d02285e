/** The app's view of requests: GET /api/requests (pending, DeviceRequest[]) and GET /api/requests/:id. */
import type { RequestHandler } from 'express';
import type { ServerContext } from '../context.ts';
import { deviceRequestView, requestIsFor } from '../devices/view.ts';
import { NotFound } from '../errors.ts';
import { currentDevice } from '../middleware/authenticate_device.ts';
import type { Device, PendingRequest } from '../models.ts';
import { pendingForDevice } from '../requests/queries.ts';

/** A request addressed to the caller's user, or 404 (the same answer for "not yours" and "unknown"). */
export async function requestForDevice(ctx: ServerContext, id: string, res: Parameters<RequestHandler>[1]): Promise<PendingRequest> {
  return requestOfDevice(ctx, id, currentDevice(res));
}

/** Request `id` if it is for `device`'s user, else 404. */
export async function requestOfDevice(ctx: ServerContext, id: string, device: Device): Promise<PendingRequest> {
  const r = await ctx.models.requests.find(id);
  if (!r || !requestIsFor(r, device)) throw new NotFound('no such request');
  return r;
}

export function listRequestsEndpoint(ctx: ServerContext): RequestHandler {
  return async (_req, res) => {
    const pending = await pendingForDevice(ctx, currentDevice(res));
    res.set('Cache-Control', 'no-store').json(pending.map(deviceRequestView));
  };
}

export function getRequestEndpoint(ctx: ServerContext): RequestHandler {
  return async (req, res) => {
    res.set('Cache-Control', 'no-store').json(deviceRequestView(await requestForDevice(ctx, String(req.params.id), res)));
  };
}
