/**
 * scope: present, `openid` when an ID token is asked for, and only scopes the client is
 * registered for. offline_access is dropped unless a code is returned (Core §11).
 * @see https://openid.net/specs/openid-connect-core-1_0.html#ScopeClaims
 * @see https://openid.net/specs/openid-connect-core-1_0.html#OfflineAccess
 */
import { InvalidRequest, InvalidScope } from '../../../shared/errors.ts';
import { spaceList } from '../../middleware/params.ts';
import { allowedScopes } from '../../models/client.ts';
import type { AuthorizationCheck } from './check.ts';

export const checkScope: AuthorizationCheck = (client, params, draft) => {
  const scopes = [...new Set(spaceList(params.scope))];
  if (scopes.length === 0) throw new InvalidRequest('missing required parameter scope');
  const types = draft.responseType!.split(' ');
  if (types.includes('id_token') && !scopes.includes('openid'))
    throw new InvalidRequest('the openid scope is required for response types that return an ID token');
  const refused = allowedScopes(client, scopes);
  if (refused.length) throw new InvalidScope(`scope not allowed for this client: ${refused.join(' ')}`);
  draft.scope = (types.includes('code') ? scopes : scopes.filter((s) => s !== 'offline_access')).join(' ');
};
