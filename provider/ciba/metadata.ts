/**
 * CIBA's contribution to the discovery document.
 * @see https://openid.net/specs/openid-client-initiated-backchannel-authentication-core-1_0.html#rfc.section.4
 */
import type { ProviderContext } from '../context.ts';
import { DELIVERY_MODES, REQUEST_OBJECT_ALGS } from '../models/client.ts';
import { NUMBER_MATCHING_SUPPORTED } from '../../shared/ciba-extensions.ts';

export function cibaMetadata(ctx: ProviderContext): Record<string, unknown> {
  return {
    backchannel_authentication_endpoint: ctx.urls.backchannelAuthentication,
    backchannel_token_delivery_modes_supported: [...DELIVERY_MODES],
    backchannel_user_code_parameter_supported: true,
    backchannel_authentication_request_signing_alg_values_supported: [...REQUEST_OBJECT_ALGS],
    // Nod extension: clients may register backchannel_number_matching (ciba/number_matching.ts).
    [NUMBER_MATCHING_SUPPORTED]: true,
  };
}
