/**
 * `acr_values` of a backchannel authentication request: the request's own, else the client's
 * registered `default_acr_values`. A value that names `phr` makes the approval count only with a
 * passkey assertion with user verification (ciba/approval_acr.ts checks the entity's answer).
 * @see https://openid.net/specs/openid-client-initiated-backchannel-authentication-core-1_0.html#rfc.section.7.1
 */
import { spaceList, type Params } from '../middleware/params.ts';
import type { Client } from '../models/client.ts';

export function checkAcrValues(client: Client, params: Params): string | undefined {
  const values = params.acr_values !== undefined ? spaceList(params.acr_values) : (client.default_acr_values ?? []);
  return values.length ? [...new Set(values)].join(' ') : undefined;
}
