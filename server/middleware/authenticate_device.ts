/** Authenticates the app's calls with the device session token (Authorization: Bearer). */
import type { RequestHandler, Response } from 'express';
import { InvalidToken } from '../../shared/errors.ts';
import type { ServerContext } from '../context.ts';
import { authenticateDeviceToken } from '../devices/sessions.ts';
import type { Device } from '../models.ts';
import { bearerToken, withChallenge } from './bearer.ts';

/** The device a request was authenticated as (after `authenticateDevice`). */
export function currentDevice(res: Response): Device {
  return res.locals.device as Device;
}

export function authenticateDevice(ctx: ServerContext): RequestHandler {
  return async (req, res, next) => {
    const auth = await authenticateDeviceToken(ctx, bearerToken(req));
    if (!auth) throw withChallenge(new InvalidToken('the device session is invalid, expired or revoked'));
    res.locals.device = auth.device;
    res.locals.sessionId = auth.sessionId;
    next();
  };
}
