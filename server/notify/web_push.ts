/**
 * Web Push to one device: a small payload (type, request id, title), `TTL` = the request's
 * remaining lifetime, `Urgency: high`, a `Topic` per request so a newer push replaces an
 * undelivered older one. A 404 or 410 from the push service deletes the subscription.
 * @see https://www.rfc-editor.org/rfc/rfc8030#section-5
 * @see https://www.rfc-editor.org/rfc/rfc8291
 */
import webpush from 'web-push';
import { createHash } from 'node:crypto';
import type { PushPayload } from '../../shared/entity-api.ts';
import { nowSeconds } from '../../shared/time.ts';
import type { ServerContext } from '../context.ts';
import { defaults } from '../defaults.ts';

/** RFC 8030 topic: at most 32 characters of the URL-safe base64 alphabet, so a hash of the id. */
export function pushTopic(id: string): string {
  return createHash('sha256').update(id).digest('base64url').slice(0, 32);
}

export interface PushOptions {
  /** Seconds the push service may keep the message. */
  readonly ttl: number;
  readonly topic?: string;
  readonly urgency?: 'very-low' | 'low' | 'normal' | 'high';
}

/** Records the outcome of a push on the subscription (not durable: it is only a health display). */
async function note(ctx: ServerContext, deviceId: string, outcome: { last_push_at: number } | { last_error: string }): Promise<void> {
  await ctx.models.push.update(
    deviceId,
    (record) => {
      if (!record) return undefined;
      const { last_error: _e, ...rest } = record;
      return { ...rest, ...outcome };
    },
    { durable: false },
  );
}

/** Sends a push to a device if it has a subscription; never throws. Returns whether it was accepted. */
export async function pushToDevice(ctx: ServerContext, deviceId: string, payload: PushPayload, options: PushOptions): Promise<boolean> {
  const record = await ctx.models.push.find(deviceId);
  if (!record) return false;
  try {
    await webpush.sendNotification(record.subscription, JSON.stringify(payload), {
      vapidDetails: { subject: ctx.config.vapidSubject, publicKey: ctx.vapid.publicKey, privateKey: ctx.vapid.privateKey },
      TTL: Math.max(0, Math.floor(options.ttl)),
      urgency: options.urgency ?? 'high',
      ...(options.topic ? { topic: options.topic } : {}),
      timeout: defaults.pushTimeoutMs,
      ...(ctx.pushAgent ? { agent: ctx.pushAgent } : {}),
    });
    await note(ctx, deviceId, { last_push_at: nowSeconds() });
    ctx.events.emit('push.sent', { deviceId, type: payload.type, request_id: payload.request_id });
    return true;
  } catch (e) {
    const status = (e as { statusCode?: number }).statusCode;
    if (status === 404 || status === 410) {
      await ctx.models.push.delete(deviceId);
      ctx.log.info('push.subscription_gone', { device_id: deviceId, status });
      ctx.events.emit('push.gone', { deviceId, status });
      return false;
    }
    const message = status ? `push service answered ${status}` : (e as Error).message;
    ctx.log.warn('push.failed', { device_id: deviceId, error: message });
    await note(ctx, deviceId, { last_error: message });
    return false;
  }
}
