/**
 * The checks every authorization request runs, in order, after the client and redirect_uri
 * passed. Errors from here on are redirected to the client.
 * @see https://openid.net/specs/openid-connect-core-1_0.html#AuthRequestValidation
 */
import type { Client } from '../../models/client.ts';
import type { AuthorizationRequest } from '../../models/interaction.ts';
import type { Params } from '../../middleware/params.ts';
import type { AuthorizationCheck, RequestDraft } from './check.ts';
import { checkRequestObject } from './check_request_object.ts';
import { checkResponseMode, checkResponseType } from './check_response_type.ts';
import { checkScope } from './check_scope.ts';
import { checkLoginHint, checkMaxAge, checkNonce, checkPrompt } from './check_oidc_params.ts';
import { checkPkce } from './check_pkce.ts';
import { checkAuthorizationDetails } from './check_authorization_details.ts';

const CHECKS: readonly AuthorizationCheck[] = [
  checkRequestObject,
  checkResponseType,
  checkResponseMode,
  checkScope,
  checkAuthorizationDetails,
  checkNonce,
  checkPrompt,
  checkMaxAge,
  checkLoginHint,
  checkPkce,
];

/** Runs every check and returns the normalized request; throws the first protocol error. */
export function validateRequest(client: Client, redirectUri: string, params: Params): AuthorizationRequest {
  const draft: RequestDraft = { clientId: client.client_id, redirectUri, prompt: [] };
  if (params.state !== undefined) draft.state = params.state;
  for (const check of CHECKS) check(client, params, draft);
  return draft as AuthorizationRequest;
}
