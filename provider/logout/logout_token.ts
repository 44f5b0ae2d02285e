/**
 * Logout tokens (OpenID Connect Back-Channel Logout 1.0 §2.4): a JWT signed like the client's ID
 * tokens (its id_token_signed_response_alg, the provider's keys in jwks_uri), typed `logout+jwt`,
 * with iss, aud (the client), iat, a short exp, jti, the back-channel logout event, sub, and sid
 * when the client registered backchannel_logout_session_required. Never a nonce (§2.4 forbids it,
 * so that a logout token cannot pass for an ID token).
 * @see https://openid.net/specs/openid-connect-backchannel-1_0.html#LogoutToken
 */
import type { ProviderContext } from '../context.ts';
import type { Client } from '../models/client.ts';
import { defaults } from '../defaults.ts';
import { nowSeconds } from '../../shared/time.ts';

export const BACKCHANNEL_LOGOUT_EVENT = 'http://schemas.openid.net/event/backchannel-logout';
/** The explicit type of logout tokens (§2.4, RFC 8725 §3.11). */
export const LOGOUT_TOKEN_TYPE = 'logout+jwt';

/** Who was logged out: the subject and the session (its public sid). */
export interface LoggedOut {
  readonly sub: string;
  readonly sid: string;
  /** The token's id, kept across retries so a receiver can tell a repeat. */
  readonly jti: string;
}

export function signLogoutToken(ctx: ProviderContext, client: Client, out: LoggedOut): Promise<string> {
  const iat = nowSeconds();
  return ctx.keys.sign(
    {
      iss: ctx.config.issuer,
      aud: client.client_id,
      iat,
      exp: iat + defaults.logoutTokenTtl,
      jti: out.jti,
      events: { [BACKCHANNEL_LOGOUT_EVENT]: {} },
      sub: out.sub,
      ...(client.backchannel_logout_session_required ? { sid: out.sid } : {}),
    },
    client.id_token_signed_response_alg,
    LOGOUT_TOKEN_TYPE,
  );
}
