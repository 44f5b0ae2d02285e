/**
 * Ping and push delivery to the client's `backchannel_client_notification_endpoint`:
 * POST JSON with `Authorization: Bearer <client_notification_token>`. Redirects are never
 * followed; a 3xx or 4xx answer is final; network errors, timeouts and 5xx are retried with
 * exponential backoff up to `policy.notificationMaxAttempts` attempts.
 * @see https://openid.net/specs/openid-client-initiated-backchannel-authentication-core-1_0.html#rfc.section.10.2
 * @see https://openid.net/specs/openid-client-initiated-backchannel-authentication-core-1_0.html#rfc.section.10.3
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { PostTimeoutError, type JsonPoster } from '../../shared/http/post_json.ts';
import type { ProviderContext } from '../context.ts';
import type { CibaPolicy } from './policy.ts';

export interface Notification {
  /** ping and push go to the client; withdrawal tells the entity that the client withdrew the request (ciba/withdraw.ts). */
  readonly kind: 'ping' | 'push' | 'withdrawal';
  readonly url: string;
  readonly token: string;
  readonly body: Record<string, unknown>;
  /** Correlation id for logs (the request's delegation jti). */
  readonly jti: string;
  readonly clientId: string;
}

type Attempt = { readonly ok: true; readonly status: number } | { readonly ok: false; readonly final: boolean; readonly why: string };

async function attempt(http: JsonPoster, n: Notification, timeoutMs: number, stop: AbortSignal): Promise<Attempt> {
  try {
    const { status } = await http.post(n.url, n.body, { headers: { authorization: `Bearer ${n.token}` }, timeoutMs, signal: stop, maxBodyBytes: 0 });
    if (status >= 200 && status < 300) return { ok: true, status };
    return { ok: false, final: status < 500, why: `status ${status}` };
  } catch (e) {
    return { ok: false, final: false, why: e instanceof PostTimeoutError ? 'timeout' : ((e as NodeJS.ErrnoException).code ?? (e as Error).message) };
  }
}

/** How a notification ended: the client answered 2xx, it gave up, or `stop` aborted it (it is sent again later). */
export type Sent = 'sent' | 'failed' | 'interrupted';

/** Delivers one notification, retrying as the policy says, until it is sent, refused, out of attempts or stopped. */
export async function notifyClient(ctx: ProviderContext, policy: CibaPolicy, n: Notification, stop: AbortSignal): Promise<Sent> {
  const fields = { kind: n.kind, clientId: n.clientId, jti: n.jti };
  for (let i = 1; i <= policy.notificationMaxAttempts; i++) {
    const result = await attempt(ctx.http, n, policy.notificationTimeoutMs, stop);
    if (stop.aborted) return 'interrupted';
    if (result.ok) {
      ctx.log.info('backchannel_authentication.notified', { ...fields, status: result.status, attempt: i });
      return 'sent';
    }
    const last = result.final || i === policy.notificationMaxAttempts;
    ctx.log.warn('backchannel_authentication.notify_failed', { ...fields, why: result.why, attempt: i, final: last });
    if (last) return 'failed';
    try {
      await sleep(policy.notificationRetryBaseMs * 2 ** (i - 1), undefined, { signal: stop });
    } catch {
      return 'interrupted';
    }
  }
  return 'failed';
}
