/**
 * response_type and response_mode: a supported type the client is registered for, and a mode
 * that does not put tokens in the query.
 * @see https://openid.net/specs/oauth-v2-multiple-response-types-1_0.html#ResponseModes
 * @see https://www.rfc-editor.org/rfc/rfc6749#section-4.1.2.1
 */
import { InvalidRequest, UnauthorizedClient, UnsupportedResponseType } from '../../../shared/errors.ts';
import type { AuthorizationCheck } from './check.ts';
import { defaultResponseMode, normalizeResponseType, RESPONSE_MODES, returnsTokens, SUPPORTED_RESPONSE_TYPES, type ResponseMode } from './response_types.ts';

export const checkResponseType: AuthorizationCheck = (client, params, draft) => {
  const raw = params.response_type;
  if (raw === undefined) throw new InvalidRequest('missing required parameter response_type');
  const responseType = normalizeResponseType(raw);
  if (!(SUPPORTED_RESPONSE_TYPES as readonly string[]).includes(responseType)) throw new UnsupportedResponseType(`response_type ${raw} is not supported`);
  if (!client.response_types.some((r) => normalizeResponseType(r) === responseType)) {
    throw new UnauthorizedClient(`the client is not registered for response_type ${raw}`);
  }
  draft.responseType = responseType;
};

export const checkResponseMode: AuthorizationCheck = (_client, params, draft) => {
  const mode = params.response_mode;
  const responseType = draft.responseType!;
  if (mode !== undefined && !(RESPONSE_MODES as readonly string[]).includes(mode)) throw new InvalidRequest(`response_mode ${mode} is not supported`);
  if (mode === 'query' && returnsTokens(responseType)) throw new InvalidRequest('response_mode query must not carry tokens; use fragment or form_post');
  draft.responseMode = (mode as ResponseMode | undefined) ?? defaultResponseMode(responseType);
};
