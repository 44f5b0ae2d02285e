/**
 * Client metadata for logout: OpenID Connect Back-Channel Logout 1.0's `backchannel_logout_uri`
 * (where logout tokens are POSTed: https, or http on a loopback host; no fragment) and
 * `backchannel_logout_session_required` (the token then carries `sid`), and Nod's
 * `logout_ends_grants`, which grants of a session its logout ends for this client:
 *
 * - `"online"` (the default): grants without `offline_access` (their access tokens are deny-listed);
 *   grants with it, and their refresh tokens, survive, since offline access is for when the user
 *   is not present (Core §11; Back-Channel Logout §2.7 says the same of refresh tokens);
 * - `"all"`: every grant made in the session, refresh tokens included;
 * - `"none"`: none; the logout only ends the browser session (and notifies the client).
 * @see https://openid.net/specs/openid-connect-backchannel-1_0.html#BCRegistration
 * @see https://openid.net/specs/openid-connect-backchannel-1_0.html#BCActions
 */
import { InvalidClientMetadata } from '../../shared/errors.ts';

export const LOGOUT_ENDS_GRANTS = ['online', 'all', 'none'] as const;
export type LogoutEndsGrants = (typeof LOGOUT_ENDS_GRANTS)[number];

export interface BackchannelLogoutMetadata {
  backchannel_logout_uri?: string;
  backchannel_logout_session_required?: boolean;
  logout_ends_grants?: LogoutEndsGrants;
}

const fail = (field: string, why: string): never => {
  throw new InvalidClientMetadata(`${field}: ${why}`);
};

/** Hosts for which plain http is accepted (the receiver runs on the same machine). */
const isLoopback = (hostname: string) => hostname === 'localhost' || hostname === '[::1]' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(hostname);

function logoutUri(value: unknown): string {
  const field = 'backchannel_logout_uri';
  if (typeof value !== 'string') return fail(field, 'must be an absolute https URL');
  let u: URL;
  try {
    u = new URL(value);
  } catch {
    return fail(field, `${JSON.stringify(value)} is not an absolute URL`);
  }
  if (u.hash || value.includes('#')) fail(field, `${value} must not have a fragment`);
  if (u.username || u.password) fail(field, `${value} must not carry credentials`);
  if (u.protocol !== 'https:' && !(u.protocol === 'http:' && isLoopback(u.hostname))) fail(field, `${value} must use https (http only on a loopback host)`);
  return value;
}

export function backchannelLogoutMetadata(input: Record<string, unknown>): BackchannelLogoutMetadata {
  const out: BackchannelLogoutMetadata = {};
  if (input.backchannel_logout_uri !== undefined) out.backchannel_logout_uri = logoutUri(input.backchannel_logout_uri);
  const sessionRequired = input.backchannel_logout_session_required;
  if (sessionRequired !== undefined) {
    if (typeof sessionRequired !== 'boolean') fail('backchannel_logout_session_required', 'must be true or false');
    out.backchannel_logout_session_required = sessionRequired as boolean;
  }
  const ends = input.logout_ends_grants;
  if (ends !== undefined) {
    if (typeof ends !== 'string' || !(LOGOUT_ENDS_GRANTS as readonly string[]).includes(ends))
      fail('logout_ends_grants', `must be one of ${LOGOUT_ENDS_GRANTS.join(', ')}`);
    out.logout_ends_grants = ends as LogoutEndsGrants;
  }
  return out;
}
