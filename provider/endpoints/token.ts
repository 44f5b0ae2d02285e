/**
 * The token endpoint: authenticates the client, checks it is registered for the grant type,
 * and hands over to the grant's module, with the parameters that grant declares. Responses are
 * never cached.
 * @see https://www.rfc-editor.org/rfc/rfc6749#section-3.2
 */
import type { Request, RequestHandler } from 'express';
import { isOAuthError } from '../../shared/errors.ts';
import { sendJson } from '../../shared/http/admission.ts';
import { sendJsonError } from '../middleware/render_error.ts';
import { InvalidRequest, UnauthorizedClient, UnsupportedGrantType } from '../../shared/errors.ts';
import type { ProviderContext } from '../context.ts';
import { authenticateClient } from '../middleware/authenticate_client.ts';
import { requestParams } from '../middleware/params.ts';
import { grantParams } from '../grants/grant.ts';
import { grantTypes } from '../grants/index.ts';

export function tokenEndpoint(ctx: ProviderContext): RequestHandler {
  return async (req, res) => {
    try {
      sendJson(res, 200, await token(ctx, req), NO_CACHE);
    } catch (e) {
      // Protocol errors (a poll's authorization_pending above all) are answered here, not by a
      // trip through express's error routing; anything else goes to the renderer as before.
      if (!isOAuthError(e)) throw e;
      sendJsonError(req, res, e, ctx.log);
    }
  };
}

const NO_CACHE = { Pragma: 'no-cache' } as const;

/** The token response of a request, or the protocol error it deserves. */
async function token(ctx: ProviderContext, req: Request): Promise<object> {
  const params = requestParams(req);
  const client = await authenticateClient(ctx, params, req.headers.authorization, ctx.urls.token, req.ip ?? 'unknown');
  const grantType = params.grant_type;
  if (!grantType) throw new InvalidRequest('missing required parameter grant_type');
  const grant = grantTypes.get(grantType);
  if (!grant) throw new UnsupportedGrantType(`grant_type ${grantType} is not supported`);
  if (!client.grant_types.includes(grantType)) throw new UnauthorizedClient(`client is not registered for ${grantType}`);
  return grant.handle(ctx, client, grantParams(grant, params));
}
