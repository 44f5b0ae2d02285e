/**
 * The app's devices API: enroll (with the provider's access token), list, rename, remove.
 * A device is bound to its user's `sub` and username at the enroll issuer, and registers the
 * public half of a P-256 key that signs its decisions.
 */
import type { RequestHandler } from 'express';
import { randomId } from '../../shared/random.ts';
import { importJWK } from 'jose';
import { DEVICE_NAME_MAX_LENGTH, type DeviceInfo, type EnrollResponse } from '../../shared/entity-api.ts';
import { InvalidRequest, ServerError } from '../../shared/errors.ts';
import { nowSeconds } from '../../shared/time.ts';
import type { ServerContext } from '../context.ts';
import { createDeviceSession, removeDevice } from '../devices/sessions.ts';
import { deviceInfoView } from '../devices/view.ts';
import { NotFound } from '../errors.ts';
import { bearerToken } from '../middleware/bearer.ts';
import { currentDevice } from '../middleware/authenticate_device.ts';
import { nameKey, userKey, type Device, type PublicJwk } from '../models.ts';
import type { WsHub } from '../notify/ws_hub.ts';
import { verifyEnrollmentToken } from '../tokens/verify_access_token.ts';

const B64URL_P256_COORD = /^[A-Za-z0-9_-]{43}$/;

function parseName(v: unknown): string {
  if (typeof v !== 'string' || !v.trim() || v.trim().length > DEVICE_NAME_MAX_LENGTH) {
    throw new InvalidRequest(`name is required: 1 to ${DEVICE_NAME_MAX_LENGTH} characters`);
  }
  return v.trim();
}

/** An EC P-256 public JWK (no private part), checked to be a point on the curve. */
async function parsePublicKey(v: unknown): Promise<PublicJwk> {
  const k = v as Record<string, unknown> | null;
  if (!k || typeof k !== 'object' || k.kty !== 'EC' || k.crv !== 'P-256' || typeof k.x !== 'string' || typeof k.y !== 'string') {
    throw new InvalidRequest('public_key must be an EC P-256 JWK');
  }
  if ('d' in k) throw new InvalidRequest('public_key must not contain the private key');
  if (!B64URL_P256_COORD.test(k.x) || !B64URL_P256_COORD.test(k.y)) throw new InvalidRequest('public_key coordinates are not base64url P-256 values');
  const jwk: PublicJwk = { kty: 'EC', crv: 'P-256', x: k.x, y: k.y };
  try {
    await importJWK(jwk, 'ES256');
  } catch {
    throw new InvalidRequest('public_key is not a valid P-256 key');
  }
  return jwk;
}

/** POST /api/devices: Authorization: Bearer <provider access token>, body {name, public_key}. */
export function enrollEndpoint(ctx: ServerContext): RequestHandler {
  return async (req, res) => {
    const user = await verifyEnrollmentToken(ctx, bearerToken(req));
    const body = (req.body ?? {}) as Record<string, unknown>;
    const name = parseName(body.name);
    const public_key = await parsePublicKey(body.public_key);
    const device: Device = {
      device_id: randomId(12),
      issuer: user.issuer,
      sub: user.sub,
      username: user.username.toLowerCase(),
      ...(user.name ? { user_name: user.name } : {}),
      name,
      public_key,
      created_at: nowSeconds(),
      userKey: userKey(user.issuer, user.sub),
      nameKey: nameKey(user.issuer, user.username),
    };
    // Insert-if-absent: a (vanishingly unlikely) clash of random ids never overwrites another device.
    if (!(await ctx.models.devices.insert(device.device_id, device))) throw new ServerError('could not allocate a device id', 'device id clash');
    const session = await createDeviceSession(ctx, device.device_id);
    ctx.log.info('device.enrolled', { device_id: device.device_id, issuer: user.issuer, sub: user.sub });
    const answer: EnrollResponse = {
      device_id: device.device_id,
      device_token: session.token,
      expires_at: session.expiresAt,
      user: { sub: user.sub, username: user.username, ...(user.name ? { name: user.name } : {}) },
    };
    res.status(201).set('Cache-Control', 'no-store').json(answer);
  };
}

/** A device of the caller's user, or 404. */
async function ownDevice(ctx: ServerContext, me: Device, id: string): Promise<Device> {
  const d = await ctx.models.devices.find(id);
  if (!d || d.userKey !== me.userKey) throw new NotFound('no such device');
  return d;
}

/** GET /api/devices: DeviceInfo[] of the caller's user. */
export function listDevicesEndpoint(ctx: ServerContext): RequestHandler {
  return async (_req, res) => {
    const me = currentDevice(res);
    const devices = (await ctx.models.devices.findBy('userKey', me.userKey)).map((r) => r.value).sort((a, b) => a.created_at - b.created_at);
    const out: DeviceInfo[] = [];
    for (const d of devices) {
      out.push(deviceInfoView(d, !!(await ctx.models.push.find(d.device_id)), me.device_id, !!(await ctx.models.passkeys.find(d.device_id))));
    }
    res.set('Cache-Control', 'no-store').json(out);
  };
}

/** PATCH /api/devices/:id {name}: DeviceInfo. */
export function renameDeviceEndpoint(ctx: ServerContext): RequestHandler {
  return async (req, res) => {
    const me = currentDevice(res);
    const d = await ownDevice(ctx, me, String(req.params.id));
    const name = parseName((req.body as Record<string, unknown> | undefined)?.name);
    const renamed = await ctx.models.devices.update(d.device_id, (current) => (current ? { ...current, name } : undefined));
    if (renamed.outcome !== 'updated') throw new NotFound('no such device');
    res.json(deviceInfoView(renamed.record.value, !!(await ctx.models.push.find(d.device_id)), me.device_id, !!(await ctx.models.passkeys.find(d.device_id))));
  };
}

/** DELETE /api/devices/:id: removes the device, its sessions and subscription (own device = sign out). 204. */
export function removeDeviceEndpoint(ctx: ServerContext, hub: WsHub): RequestHandler {
  return async (req, res) => {
    const me = currentDevice(res);
    const d = await ownDevice(ctx, me, String(req.params.id));
    await removeDevice(ctx, d.device_id);
    await hub.closeDevice(d.device_id).catch(() => undefined);
    ctx.log.info('device.removed', { device_id: d.device_id, by: me.device_id });
    res.status(204).end();
  };
}
