/**
 * The first check of an authorization request: a registered client and one of its redirect
 * URIs, compared exactly. Until both pass, nothing may be redirected, so these errors are shown
 * to the user as a page.
 * @see https://openid.net/specs/openid-connect-core-1_0.html#AuthRequestValidation
 * @see https://www.rfc-editor.org/rfc/rfc6749#section-4.1.2.1
 */
import { InvalidRequest } from '../../../shared/errors.ts';
import type { ProviderContext } from '../../context.ts';
import type { Client } from '../../models/client.ts';
import type { AuthorizationParams } from './read_params.ts';

/** Throws when the client or redirect_uri is missing, malformed or unknown. */
export async function checkClient(ctx: ProviderContext, { params, problemParam }: AuthorizationParams): Promise<{ client: Client; redirectUri: string }> {
  if (problemParam === 'client_id' || problemParam === 'redirect_uri') {
    throw new InvalidRequest(`The request is malformed: ${problemParam} is repeated, too long or not text.`);
  }
  const clientId = params.client_id;
  if (!clientId) throw new InvalidRequest('The request does not say which application is asking (client_id is missing).');
  const client = await ctx.models.clients.find(clientId);
  if (!client) throw new InvalidRequest('The application that sent you here is not registered with Nod (unknown client_id).');
  const redirectUri = params.redirect_uri;
  if (!redirectUri) throw new InvalidRequest('The request does not say where to send you back (redirect_uri is missing).');
  if (!client.redirect_uris.includes(redirectUri)) {
    throw new InvalidRequest(
      'The return address in this request is not registered for the application, so Nod will not send you there (redirect_uri mismatch).',
    );
  }
  return { client, redirectUri };
}
