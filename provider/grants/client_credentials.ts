/**
 * The client credentials grant: a client acting on its own behalf gets an access token
 * (no ID token, no refresh token).
 * @see https://www.rfc-editor.org/rfc/rfc6749#section-4.4
 */
import { InvalidAuthorizationDetails, InvalidScope } from '../../shared/errors.ts';
import { spaceList } from '../middleware/params.ts';
import { issueAccessToken } from '../tokens/issue.ts';
import { defineGrant } from './grant.ts';

/** Scopes that only make sense with a user behind them. */
const USER_SCOPES: ReadonlySet<string> = new Set(['openid', 'offline_access', 'profile', 'email', 'phone', 'address']);

export const clientCredentials = defineGrant({
  grantType: 'client_credentials',
  parameters: ['scope', 'authorization_details'],
  async handle(ctx, client, params) {
    if (params.authorization_details !== undefined) throw new InvalidAuthorizationDetails('authorization_details are not supported with client_credentials');
    const registered = spaceList(client.scope).filter((s) => !USER_SCOPES.has(s));
    const requested = params.scope === undefined ? registered : spaceList(params.scope);
    const bad = requested.filter((s) => !registered.includes(s));
    if (bad.length) throw new InvalidScope(`scope not allowed for this client: ${bad.join(' ')}`);
    const scope = requested.join(' ');
    const at = await issueAccessToken(ctx, { client, scope });
    ctx.events.emit('grant.success', { grantType: 'client_credentials', clientId: client.client_id });
    return { access_token: at.token, token_type: 'Bearer', expires_in: at.expiresIn, ...(scope ? { scope } : {}) };
  },
});
