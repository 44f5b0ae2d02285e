/**
 * The authorization code grant: the code is single use, bound to its client and exact
 * redirect_uri, checked against its PKCE challenge (S256), and short-lived. A second use fails
 * and revokes everything the first use issued (the code was stolen or replayed).
 * @see https://www.rfc-editor.org/rfc/rfc6749#section-4.1.3
 * @see https://www.rfc-editor.org/rfc/rfc7636#section-4.6
 * @see https://openid.net/specs/openid-connect-core-1_0.html#TokenRequestValidation
 */
import { InvalidGrant } from '../../shared/errors.ts';
import { required } from '../middleware/params.ts';
import { isLocked } from '../models/user.ts';
import { issueTokenSet, revokeGrant, saveGrant } from '../tokens/issue.ts';
import { pkceMatches } from '../endpoints/authorization/check_pkce.ts';
import { defineGrant } from './grant.ts';
import type { ProviderContext } from '../context.ts';

/** A second use of a code: everything issued for it is revoked (the code was stolen or replayed). */
async function replayed(ctx: ProviderContext, clientId: string, grantId: string): Promise<never> {
  await revokeGrant(ctx, grantId);
  ctx.log.warn('authorization_code.reuse', { clientId, grantId });
  throw new InvalidGrant('authorization code was already used; the tokens issued for it have been revoked');
}
import { requestedDetails } from '../authorization_details/narrow.ts';

const LATER = { durable: false } as const;

export const authorizationCode = defineGrant({
  grantType: 'authorization_code',
  parameters: ['code', 'redirect_uri', 'code_verifier', 'authorization_details'],
  async handle(ctx, client, params) {
    const code = required(params, 'code');
    const found = await ctx.models.codes.get(code);
    if (!found || found.value.clientId !== client.client_id) throw new InvalidGrant('authorization code is invalid or expired');
    const record = found.value;
    if (found.meta.consumedAt !== undefined) return replayed(ctx, client.client_id, record.grantId);
    if (params.redirect_uri !== record.redirectUri) throw new InvalidGrant('redirect_uri does not match the one of the authorization request');
    const verifier = params.code_verifier;
    if (record.codeChallenge !== undefined) {
      if (verifier === undefined) throw new InvalidGrant('code_verifier is required (PKCE was used in the authorization request)');
      if (!pkceMatches(verifier, record.codeChallenge)) throw new InvalidGrant('PKCE verification failed: code_verifier does not match code_challenge');
    } else if (verifier !== undefined) {
      throw new InvalidGrant('code_verifier was sent but the authorization request had no code_challenge');
    }
    // Checked before the code is spent: a bad authorization_details must not cost the client its code.
    const authorizationDetails = requestedDetails(record.grant.authorizationDetails, params.authorization_details);
    // The one atomic step that makes the code single use, whatever node the requests reach.
    // Made durable with the grant and the refresh token, by one commit that overlaps the signing (issueTokenSet's flush).
    const taken = await ctx.models.codes.consume(code, LATER);
    if (taken.outcome === 'missing') throw new InvalidGrant('authorization code is invalid or expired');
    if (taken.outcome === 'already_consumed') return replayed(ctx, client.client_id, record.grantId);
    const user = await ctx.models.users.find(record.grant.sub);
    if (!user || isLocked(user)) throw new InvalidGrant('the user can no longer sign in');
    const grant = await saveGrant(ctx, record.grant, LATER);
    const tokens = await issueTokenSet(ctx, { client, grant, nonce: record.nonce, authorizationDetails, flush: true });
    ctx.events.emit('grant.success', { grantType: 'authorization_code', clientId: client.client_id, grantId: grant.grantId });
    return tokens;
  },
});
