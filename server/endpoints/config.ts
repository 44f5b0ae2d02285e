/** GET /api/config: the app's public bootstrap (where to sign in, as which client, the VAPID key). */
import type { RequestHandler } from 'express';
import type { EntityConfig } from '../../shared/entity-api.ts';
import type { ServerContext } from '../context.ts';
import { defaults } from '../defaults.ts';

export function configEndpoint(ctx: ServerContext): RequestHandler {
  const body: EntityConfig = {
    issuer: ctx.config.enrollIssuer,
    client_id: ctx.config.appClientId,
    scope: defaults.appScope,
    vapid_public_key: ctx.vapid.publicKey,
    device_verification_uri: ctx.config.deviceVerificationUri,
  };
  return (_req, res) => void res.set('Cache-Control', 'no-cache').json(body);
}
