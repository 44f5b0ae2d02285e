/**
 * The token endpoint: authenticates the client, checks it is registered for the grant type,
 * and hands over to the grant's module, with the parameters that grant declares. Responses are
 * never cached.
 * @see https://www.rfc-editor.org/rfc/rfc6749#section-3.2
 */
import { InvalidRequest, UnauthorizedClient, UnsupportedGrantType } from '../../shared/errors.ts';
import type { ProviderContext } from '../context.ts';
import { authenticateClient } from '../middleware/authenticate_client.ts';
import type { FormEndpoint } from '../middleware/form_endpoint.ts';
import { grantParams } from '../grants/grant.ts';
import { grantTypes } from '../grants/index.ts';

export function tokenEndpoint(ctx: ProviderContext): FormEndpoint {
  return async ({ params, authorization, ip }) => {
    const client = await authenticateClient(ctx, params, authorization, ctx.urls.token, ip);
    const grantType = params.grant_type;
    if (!grantType) throw new InvalidRequest('missing required parameter grant_type');
    const grant = grantTypes.get(grantType);
    if (!grant) throw new UnsupportedGrantType(`grant_type ${grantType} is not supported`);
    if (!client.grant_types.includes(grantType)) throw new UnauthorizedClient(`client is not registered for ${grantType}`);
    return { body: await grant.handle(ctx, client, grantParams(grant, params)), headers: NO_CACHE };
  };
}

const NO_CACHE = { Pragma: 'no-cache' } as const;
