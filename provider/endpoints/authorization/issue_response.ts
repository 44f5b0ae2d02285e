/**
 * Builds a successful authorization response for a signed-in, consenting user: the code
 * (stored with its PKCE challenge and nonce), a short-lived front-channel access token, and an
 * ID token with c_hash, at_hash and s_hash as the response type requires.
 * @see https://openid.net/specs/openid-connect-core-1_0.html#HybridAuthResponse
 * @see https://openid.net/specs/openid-connect-core-1_0.html#ImplicitAuthResponse
 */
import type { ProviderContext } from '../../context.ts';
import { ttlOf } from '../../config.ts';
import type { Client } from '../../models/client.ts';
import type { Grant } from '../../models/index.ts';
import type { AuthorizationRequest } from '../../models/interaction.ts';
import type { CurrentSession } from '../../interaction/session.ts';
import { publicSid } from '../../interaction/sid.ts';
import { issueAccessToken, issueIdToken, saveGrant } from '../../tokens/issue.ts';
import { randomId } from '../../../shared/random.ts';
import { defined } from '../../../shared/defined.ts';

/** Issues what `request.responseType` asks for; returns the response parameters (without state and iss). */
export async function issueAuthorizationResponse(
  ctx: ProviderContext,
  client: Client,
  request: AuthorizationRequest,
  current: CurrentSession,
): Promise<Record<string, string>> {
  const types = request.responseType.split(' ');
  const { session } = current;
  let grant: Grant = {
    grantId: randomId(16),
    sub: session.sub,
    clientId: client.client_id,
    scope: request.scope,
    authTime: session.authTime,
    acr: session.acr,
    amr: session.amr,
    sid: publicSid(ctx, current.sid),
    ...(request.authorizationDetails ? { authorizationDetails: request.authorizationDetails } : {}),
  };
  const out: Record<string, string> = {};
  if (types.includes('code')) {
    const code = randomId(32);
    await ctx.models.codes.put(
      code,
      {
        clientId: client.client_id,
        redirectUri: request.redirectUri,
        grant,
        grantId: grant.grantId,
        ...(grant.sid ? { sid: grant.sid } : {}),
        ...defined({ nonce: request.nonce }),
        ...(request.codeChallenge ? { codeChallenge: request.codeChallenge, codeChallengeMethod: request.codeChallengeMethod } : {}),
      },
      { expiresIn: ttlOf(ctx.config, 'authorizationCodeTtl') },
    );
    out.code = code;
  }
  if (types.includes('token')) {
    // The access token is checked against its grant, so the grant must exist now, not at the code exchange.
    grant = await saveGrant(ctx, grant);
    const at = await issueAccessToken(ctx, { client, grant, scope: request.scope, ttl: ttlOf(ctx.config, 'frontChannelAccessTokenTtl') });
    Object.assign(out, { access_token: at.token, token_type: 'Bearer', expires_in: String(at.expiresIn) });
  }
  if (types.includes('id_token')) {
    out.id_token = await issueIdToken(ctx, { client, grant, nonce: request.nonce, accessToken: out.access_token, code: out.code, state: request.state });
  }
  ctx.events.emit('authorization.success', { clientId: client.client_id, responseType: request.responseType, grantId: grant.grantId });
  return out;
}
