/**
 * The device's Web Push subscription: PUT {subscription} registers (replaces) it, DELETE removes
 * it, GET reports its health, POST /api/push/test sends a test notification.
 * @see https://www.w3.org/TR/push-api/#dom-pushsubscriptionjson
 */
import type { RequestHandler, Response } from 'express';
import type { PushStatus } from '../../shared/entity-api.ts';
import { InvalidRequest } from '../../shared/errors.ts';
import { nowSeconds } from '../../shared/time.ts';
import type { ServerContext } from '../context.ts';
import { currentDevice } from '../middleware/authenticate_device.ts';
import type { PushSubscriptionRecord } from '../models.ts';
import { pushToDevice } from '../notify/web_push.ts';
import { defined } from '../../shared/defined.ts';

const B64URL = /^[A-Za-z0-9_-]+={0,2}$/;

function parseSubscription(body: unknown): PushSubscriptionRecord['subscription'] {
  const b = (body ?? {}) as Record<string, unknown>;
  const s = (b.subscription ?? {}) as Record<string, unknown>;
  const keys = (s.keys ?? {}) as Record<string, unknown>;
  let url: URL;
  try {
    url = new URL(String(s.endpoint));
  } catch {
    throw new InvalidRequest('subscription.endpoint must be a URL');
  }
  if (url.protocol !== 'https:' || String(s.endpoint).length > 2048) throw new InvalidRequest('subscription.endpoint must be an https URL');
  const { p256dh, auth } = keys;
  if (typeof p256dh !== 'string' || !B64URL.test(p256dh) || Buffer.from(p256dh, 'base64url').length !== 65) {
    throw new InvalidRequest('subscription.keys.p256dh must be a base64url P-256 point');
  }
  if (typeof auth !== 'string' || !B64URL.test(auth) || Buffer.from(auth, 'base64url').length !== 16) {
    throw new InvalidRequest('subscription.keys.auth must be 16 bytes, base64url');
  }
  return { endpoint: url.href, keys: { p256dh, auth } };
}

async function status(ctx: ServerContext, res: Response): Promise<PushStatus> {
  const record = await ctx.models.push.find(currentDevice(res).device_id);
  if (!record) return { subscribed: false };
  return {
    subscribed: true,
    ...defined({ last_push_at: record.last_push_at }),
    ...(record.last_error ? { last_error: record.last_error } : {}),
  };
}

export function getPushEndpoint(ctx: ServerContext): RequestHandler {
  return async (_req, res) => void res.set('Cache-Control', 'no-store').json(await status(ctx, res));
}

export function putPushEndpoint(ctx: ServerContext): RequestHandler {
  return async (req, res) => {
    const subscription = parseSubscription(req.body);
    await ctx.models.push.put(currentDevice(res).device_id, { subscription, created_at: nowSeconds() });
    res.json(await status(ctx, res));
  };
}

export function deletePushEndpoint(ctx: ServerContext): RequestHandler {
  return async (_req, res) => {
    await ctx.models.push.delete(currentDevice(res).device_id);
    res.status(204).end();
  };
}

export function testPushEndpoint(ctx: ServerContext): RequestHandler {
  return async (_req, res) => {
    const id = currentDevice(res).device_id;
    if (!(await ctx.models.push.find(id))) throw new InvalidRequest('this device has no push subscription');
    await pushToDevice(ctx, id, { type: 'test', title: 'Nod test notification', body: 'Notifications work on this device.' }, { ttl: 60, urgency: 'normal' });
    res.json(await status(ctx, res));
  };
}
