/**
 * The CIBA grant at the token endpoint (poll and ping clients): the shared poll path answers
 * pending / slow_down / expired_token / access_denied / invalid_grant and consumes an approved
 * request once; then the tokens are issued from its grant. Push clients get their tokens
 * pushed and may not redeem here (unauthorized_client).
 * @see https://openid.net/specs/openid-client-initiated-backchannel-authentication-core-1_0.html#rfc.section.10.1
 * @see https://openid.net/specs/openid-client-initiated-backchannel-authentication-core-1_0.html#rfc.section.11
 */
import { InvalidGrant, UnauthorizedClient } from '../../shared/errors.ts';
import { CIBA_GRANT_TYPE } from '../../shared/constants.ts';
import { required } from '../middleware/params.ts';
import { isLocked } from '../models/user.ts';
import { issueTokenSet } from '../tokens/issue.ts';
import { pollRequest } from './pollable.ts';
import { defineGrant } from './grant.ts';
import { requestedDetails } from '../authorization_details/narrow.ts';

export const ciba = defineGrant({
  grantType: CIBA_GRANT_TYPE,
  parameters: ['auth_req_id', 'authorization_details'],
  async handle(ctx, client, params) {
    if (client.backchannel_token_delivery_mode === 'push')
      throw new UnauthorizedClient('the client is registered for push mode: tokens are delivered to its notification endpoint');
    const authReqId = required(params, 'auth_req_id');
    // A client without a registered mode may have made this request under a push policy default.
    const started = await ctx.models.cibaRequests.find(authReqId);
    if (started?.clientId === client.client_id && started.mode === 'push')
      throw new UnauthorizedClient('the request is in push mode: tokens are delivered to the client notification endpoint');
    // Checked before the poll can redeem the request.
    const authorizationDetails =
      started?.clientId === client.client_id ? requestedDetails(started.authorizationDetails, params.authorization_details) : undefined;
    const request = await pollRequest(ctx.store.counters, ctx.models.cibaRequests, authReqId, client);
    const grant = request.grantId ? await ctx.models.grants.find(request.grantId) : undefined;
    const user = grant && (await ctx.models.users.find(grant.sub));
    if (!grant || !user || isLocked(user)) throw new InvalidGrant('the grant has been revoked');
    const tokens = await issueTokenSet(ctx, { client, grant, scope: request.scope, authorizationDetails, flush: true });
    ctx.events.emit('grant.success', { grantType: CIBA_GRANT_TYPE, clientId: client.client_id, grantId: grant.grantId });
    return tokens;
  },
});
