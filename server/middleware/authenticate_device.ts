/** Authenticates the app's calls with the device session token (Authorization: Bearer). */
import type { RequestHandler, Response } from 'express';
import { InvalidToken } from '../../shared/errors.ts';
import type { ServerContext } from '../context.ts';
import { authenticateDeviceToken } from '../devices/sessions.ts';
import type { Device } from '../models.ts';
import { bearerTokenOf, withChallenge } from './bearer.ts';

/** The device a request was authenticated as (after `authenticateDevice`). */
export function currentDevice(res: Response): Device {
  return res.locals.device as Device;
}

/** The device session of an Authorization header, or a 401 invalid_token with a challenge. */
export async function requireDevice(ctx: ServerContext, authorization: string | undefined): Promise<{ device: Device; sessionId: string }> {
  const auth = await authenticateDeviceToken(ctx, bearerTokenOf(authorization));
  if (!auth) throw withChallenge(new InvalidToken('the device session is invalid, expired or revoked'));
  return auth;
}

export function authenticateDevice(ctx: ServerContext): RequestHandler {
  return async (req, res, next) => {
    const auth = await requireDevice(ctx, req.headers.authorization);
    res.locals.device = auth.device;
    res.locals.sessionId = auth.sessionId;
    next();
  };
}
