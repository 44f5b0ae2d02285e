/**
 * RFC 9396's contribution to the discovery document: the types this provider supports are the
 * registry's (shared/authorization_details_types.ts) and every type a registered client uses.
 * @see https://www.rfc-editor.org/rfc/rfc9396#section-10
 */
import { AUTHORIZATION_DETAILS_TYPES } from '../../shared/authorization_details_types.ts';
import type { ProviderContext } from '../context.ts';

export async function authorizationDetailsMetadata(ctx: ProviderContext): Promise<Record<string, unknown>> {
  const types = new Set(Object.keys(AUTHORIZATION_DETAILS_TYPES));
  for (const { value: client } of await ctx.models.clients.list()) for (const t of client.authorization_details_types ?? []) types.add(t);
  return { authorization_details_types_supported: [...types] };
}
