/**
 * The refresh token grant with rotation: every use returns a new refresh token of the same
 * family; presenting a rotated (already used) one revokes the whole grant, because it means the
 * token was stolen or replayed.
 * @see https://www.rfc-editor.org/rfc/rfc6749#section-6
 * @see https://datatracker.ietf.org/doc/html/draft-ietf-oauth-security-topics#section-4.14.2
 */
import { InvalidGrant, InvalidScope } from '../../shared/errors.ts';
import { required, spaceList } from '../middleware/params.ts';
import { issueTokenSet, revokeGrant } from '../tokens/issue.ts';
import { isLocked } from '../models/user.ts';
import { defineGrant } from './grant.ts';
import { requestedDetails } from '../authorization_details/narrow.ts';

export const refreshToken = defineGrant({
  grantType: 'refresh_token',
  parameters: ['refresh_token', 'scope', 'authorization_details'],
  async handle(ctx, client, params) {
    const token = required(params, 'refresh_token');
    // Checked before the token is rotated: a bad authorization_details must not cost the client its refresh token.
    let authorizationDetails: ReturnType<typeof requestedDetails>;
    if (params.authorization_details !== undefined) {
      const live = await ctx.models.refreshTokens.get(token);
      const held =
        live && live.value.clientId === client.client_id && live.meta.consumedAt === undefined ? await ctx.models.grants.find(live.value.grantId) : undefined;
      if (held) authorizationDetails = requestedDetails(held.authorizationDetails, params.authorization_details);
    }
    // Rotation: the token is consumed in one atomic step; a second presentation revokes the family's grant.
    // Made durable with its successor, by one commit that overlaps the signing (issueTokenSet's flush).
    const taken = await ctx.models.refreshTokens.consume(token, { durable: false });
    if (taken.outcome === 'missing' || taken.record.value.clientId !== client.client_id) throw new InvalidGrant('refresh token is invalid or expired');
    const record = taken.record.value;
    if (taken.outcome === 'already_consumed') {
      await revokeGrant(ctx, record.grantId);
      ctx.log.warn('refresh_token.reuse', { clientId: client.client_id, grantId: record.grantId });
      throw new InvalidGrant('refresh token was already used; the grant has been revoked');
    }
    const grant = await ctx.models.grants.find(record.grantId);
    const user = grant && (await ctx.models.users.find(grant.sub));
    if (!grant || !user || isLocked(user)) throw new InvalidGrant('the grant has been revoked');
    const granted = spaceList(record.scope);
    const requested = params.scope === undefined ? granted : spaceList(params.scope);
    const extra = requested.filter((s) => !granted.includes(s));
    if (extra.length) throw new InvalidScope(`scope exceeds the original grant: ${extra.join(' ')}`);
    const scope = requested.join(' ');
    const tokens = await issueTokenSet(ctx, {
      client,
      grant,
      scope,
      authorizationDetails,
      refresh: client.grant_types.includes('refresh_token') ? { familyId: record.familyId, familyExpiresAt: record.familyExpiresAt } : false,
      flush: true,
    });
    ctx.events.emit('grant.success', { grantType: 'refresh_token', clientId: client.client_id, grantId: grant.grantId });
    return tokens;
  },
});
