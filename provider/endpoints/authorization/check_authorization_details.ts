/**
 * authorization_details (RFC 9396 §3) at the authorization endpoint, no PAR needed: the same
 * check as the other endpoints; errors are redirected to the client as invalid_authorization_details.
 * The user always sees them on the consent page (remembered consent covers scopes, never details).
 * @see https://www.rfc-editor.org/rfc/rfc9396#section-3
 */
import { checkAuthorizationDetails as check } from '../../authorization_details/check.ts';
import type { AuthorizationCheck } from './check.ts';

export const checkAuthorizationDetails: AuthorizationCheck = (client, params, draft) => {
  const details = check(client, params.authorization_details);
  if (details) draft.authorizationDetails = details;
};
