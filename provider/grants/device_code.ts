/**
 * The device code grant: the device polls with its device_code until the user has approved
 * or denied on the verification page; the shared poll path answers pending, slow_down,
 * expired_token, access_denied and redeems an approval exactly once.
 * @see https://www.rfc-editor.org/rfc/rfc8628#section-3.4
 * @see https://www.rfc-editor.org/rfc/rfc8628#section-3.5
 */
import { DEVICE_CODE_GRANT_TYPE } from '../../shared/constants.ts';
import { InvalidGrant } from '../../shared/errors.ts';
import { required } from '../middleware/params.ts';
import { isLocked } from '../models/user.ts';
import { issueTokenSet, saveGrant } from '../tokens/issue.ts';
import { defineGrant } from './grant.ts';
import { requestedDetails } from '../authorization_details/narrow.ts';
import { pollRequest } from './pollable.ts';

export const deviceCode = defineGrant({
  grantType: DEVICE_CODE_GRANT_TYPE,
  parameters: ['device_code', 'authorization_details'],
  async handle(ctx, client, params) {
    const deviceCode = required(params, 'device_code');
    // Checked before the poll can redeem the request.
    const started = params.authorization_details !== undefined ? await ctx.models.deviceCodes.find(deviceCode) : undefined;
    const authorizationDetails =
      started?.clientId === client.client_id ? requestedDetails(started.authorizationDetails, params.authorization_details) : undefined;
    const record = await pollRequest(ctx.store.counters, ctx.models.deviceCodes, deviceCode, client);
    if (!record.grant) throw new InvalidGrant('the request was approved without a grant');
    const user = await ctx.models.users.find(record.grant.sub);
    if (!user || isLocked(user)) throw new InvalidGrant('the user who approved the request can no longer sign in');
    const grant = await saveGrant(ctx, record.grant, { durable: false });
    const tokens = await issueTokenSet(ctx, { client, grant, scope: record.scope, authorizationDetails, flush: true });
    ctx.events.emit('grant.success', { grantType: DEVICE_CODE_GRANT_TYPE, clientId: client.client_id, grantId: grant.grantId });
    return tokens;
  },
});
