/**
 * The `authorization_details` request parameter, checked the same way at the backchannel
 * authentication, authorization and device authorization endpoints: valid JSON, a non-empty
 * array of objects within shared/authorization_details.ts's limits, each known type well formed
 * (the registry), and every type one the client registered in `authorization_details_types`.
 * @see https://www.rfc-editor.org/rfc/rfc9396#section-5
 */
import { parseAuthorizationDetails, type AuthorizationDetail } from '../../shared/authorization_details.ts';
import { InvalidAuthorizationDetails } from '../../shared/errors.ts';
import type { Client } from '../models/client.ts';

/** The parsed details, undefined when the parameter is absent; throws invalid_authorization_details. */
export function checkAuthorizationDetails(client: Client, raw: string | undefined): AuthorizationDetail[] | undefined {
  if (raw === undefined) return undefined;
  const parsed = parseAuthorizationDetails(raw);
  if ('problem' in parsed) throw new InvalidAuthorizationDetails(parsed.problem);
  const registered = client.authorization_details_types ?? [];
  const unregistered = parsed.details.find((d) => !registered.includes(d.type));
  if (unregistered) {
    const known = registered.length ? `registered: ${registered.join(', ')}` : 'it registered none';
    throw new InvalidAuthorizationDetails(`authorization_details type ${unregistered.type} is not registered for this client (${known})`);
  }
  return parsed.details;
}
