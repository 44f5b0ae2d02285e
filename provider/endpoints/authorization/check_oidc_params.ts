/**
 * The OpenID Connect request parameters: nonce (required when an ID token comes from this
 * endpoint), prompt, max_age and login_hint. ui_locales, display and claims_locales are accepted
 * and ignored (the pages are in English).
 * @see https://openid.net/specs/openid-connect-core-1_0.html#AuthRequest
 * @see https://openid.net/specs/openid-connect-core-1_0.html#ImplicitAuthRequest
 */
import { InvalidRequest } from '../../../shared/errors.ts';
import { spaceList } from '../../middleware/params.ts';
import type { AuthorizationCheck } from './check.ts';

const PROMPTS = ['none', 'login', 'consent'];

export const checkNonce: AuthorizationCheck = (_client, params, draft) => {
  if (params.nonce === undefined && draft.responseType!.split(' ').includes('id_token')) {
    throw new InvalidRequest('nonce is required when an ID token is returned from the authorization endpoint');
  }
  if (params.nonce !== undefined) draft.nonce = params.nonce;
};

export const checkPrompt: AuthorizationCheck = (_client, params, draft) => {
  const prompt = [...new Set(spaceList(params.prompt))];
  const unknown = prompt.filter((p) => !PROMPTS.includes(p));
  if (unknown.length) throw new InvalidRequest(`prompt ${unknown.join(' ')} is not supported (supported: ${PROMPTS.join(', ')})`);
  if (prompt.includes('none') && prompt.length > 1) throw new InvalidRequest('prompt none must not be combined with other values');
  draft.prompt = prompt;
};

export const checkMaxAge: AuthorizationCheck = (_client, params, draft) => {
  if (params.max_age === undefined) return;
  if (!/^\d{1,10}$/.test(params.max_age)) throw new InvalidRequest('max_age must be a non-negative integer (seconds)');
  draft.maxAge = Number(params.max_age);
};

export const checkLoginHint: AuthorizationCheck = (_client, params, draft) => {
  if (params.login_hint !== undefined) draft.loginHint = params.login_hint.slice(0, 256);
};
