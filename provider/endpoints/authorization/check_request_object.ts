/**
 * Refuses request objects: this provider does not accept `request` or `request_uri` at the
 * authorization endpoint (discovery says so).
 * @see https://openid.net/specs/openid-connect-core-1_0.html#JWTRequests
 */
import { RequestNotSupported, RequestUriNotSupported } from '../../../shared/errors.ts';
import type { AuthorizationCheck } from './check.ts';

export const checkRequestObject: AuthorizationCheck = (_client, params) => {
  if (params.request !== undefined) throw new RequestNotSupported('the request parameter (request objects) is not supported');
  if (params.request_uri !== undefined) throw new RequestUriNotSupported('the request_uri parameter is not supported');
};
