/**
 * Device sessions: an opaque random bearer token per enrolled device; only its SHA-256 is
 * stored. The expiry slides on use (renewed at most once per `deviceSessionRenewEvery`).
 */
import { createHash } from 'node:crypto';
import { randomId } from '../../shared/random.ts';
import { nowSeconds } from '../../shared/time.ts';
import type { ServerContext } from '../context.ts';
import { defaults } from '../defaults.ts';
import type { Device } from '../models.ts';

const hash = (token: string) => createHash('sha256').update(token).digest('base64url');

/** Starts a session for a device; the token is returned once and never stored. */
export async function createDeviceSession(ctx: ServerContext, deviceId: string): Promise<{ token: string; expiresAt: number }> {
  const token = randomId(32);
  await ctx.models.sessions.put(hash(token), { deviceId, renewedAt: nowSeconds() }, { expiresIn: defaults.deviceSessionTtl });
  return { token, expiresAt: nowSeconds() + defaults.deviceSessionTtl };
}

/** The device behind a session token, renewing the session; undefined when unknown, expired or revoked. */
export async function authenticateDeviceToken(ctx: ServerContext, token: string): Promise<{ device: Device; sessionId: string } | undefined> {
  if (typeof token !== 'string' || token.length < 20 || token.length > 200) return undefined;
  const sessionId = hash(token);
  const session = await ctx.models.sessions.find(sessionId);
  if (!session) return undefined;
  const device = await ctx.models.devices.find(session.deviceId);
  if (!device) {
    await ctx.models.sessions.delete(sessionId);
    return undefined;
  }
  const now = nowSeconds();
  if (now - session.renewedAt >= defaults.deviceSessionRenewEvery) {
    // Losing a renewal in a crash only shortens the session: not worth a durable write.
    await ctx.models.sessions.put(sessionId, { deviceId: session.deviceId, renewedAt: now }, { expiresIn: defaults.deviceSessionTtl, durable: false });
    await ctx.models.devices.update(device.device_id, (d) => (d ? { ...d, last_seen_at: now } : undefined), { durable: false });
  }
  return { device, sessionId };
}

/** Removes a device with its sessions, push subscription and passkey. */
export async function removeDevice(ctx: ServerContext, deviceId: string): Promise<void> {
  await Promise.all([
    ctx.models.sessions.deleteBy('deviceId', deviceId),
    ctx.models.push.delete(deviceId),
    ctx.models.passkeys.delete(deviceId),
    ctx.models.devices.delete(deviceId),
  ]);
}
