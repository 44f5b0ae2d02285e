/**
 * Operator logs for provider events that the code emits but does not log itself: a CIBA
 * request's steps (the `jti` follows it into the entity's logs), tokens issued (the "delivered"
 * end of every flow), the device flow's steps, sign-ins and consents. Each event lists the
 * payload fields it may log: an allowlist, so a user code, auth_req_id or token that an emitter
 * adds later never reaches the log.
 */
import type { ProviderContext } from './context.ts';

const LOGGED: Readonly<Record<string, readonly string[]>> = {
  'backchannel_authentication.saved': ['jti', 'clientId', 'sub', 'mode', 'expiresIn'],
  'backchannel_authentication.delegated': ['jti', 'clientId', 'sub', 'mode', 'expiresIn'],
  'backchannel_authentication.refused': ['jti', 'clientId', 'sub', 'reason'],
  'backchannel_authentication.decided': ['jti', 'clientId', 'sub', 'status'],
  'backchannel_authentication.expired': ['jti', 'clientId', 'sub'],
  'backchannel_authentication.delivered': ['jti', 'clientId', 'mode', 'ok', 'status'],
  'backchannel_authentication.withdrawn': ['jti', 'clientId', 'sub'],
  'grant.success': ['grantType', 'clientId', 'grantId'],
  'grant.revoked': ['grantId'],
  'device_authorization.saved': ['clientId'],
  'device_authorization.approved': ['clientId', 'sub'],
  'device_authorization.denied': ['clientId', 'sub'],
  'authorization.success': ['clientId', 'responseType', 'grantId'],
  'consent.denied': ['clientId', 'sub'],
  'session.started': ['sub'],
  'session.ended': ['sub'],
  'end_session.success': ['sub', 'clientId'],
  'logout.grants_ended': ['sub', 'revoked', 'kept', 'notices'],
};

/** Logs the events above at info level, with their allowed fields only. */
export function logEvents(ctx: Pick<ProviderContext, 'events' | 'log'>): void {
  for (const [event, fields] of Object.entries(LOGGED)) {
    ctx.events.on(event, (payload: Record<string, unknown> = {}) => {
      if (!ctx.log.enabled('info')) return;
      ctx.log.info(event, Object.fromEntries(fields.filter((f) => payload[f] !== undefined).map((f) => [f, payload[f]])));
    });
  }
}
