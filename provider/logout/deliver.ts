/**
 * Delivers a logout token to a client's backchannel_logout_uri: a form POST of `logout_token`,
 * redirects never followed. 2xx is done; 3xx and 4xx are final (the client refused the token,
 * sending it again would not help); network errors, timeouts and 5xx are retried from the queue
 * (logout/queue.ts) with a doubling delay, up to the attempts in defaults.ts. Logs
 * `backchannel_logout.sent`, `.failed` (one attempt) and `.gave_up` (no more attempts), and emits
 * them as context events.
 * @see https://openid.net/specs/openid-connect-backchannel-1_0.html#BCRequest
 * @see https://openid.net/specs/openid-connect-backchannel-1_0.html#BCResponse
 */
import type { WorkOutcome } from '../../shared/store/queue_worker.ts';
import { PostTimeoutError } from '../../shared/http/post_json.ts';
import type { ProviderContext } from '../context.ts';
import { backchannelLogoutTuning } from '../config.ts';
import { signLogoutToken } from './logout_token.ts';
import type { LogoutNotice } from './queue.ts';

/** The retry delay after failed attempt `attempt` (1-based): base, 2 × base, 4 × base ..., at most 64 × base. */
const retryDelay = (baseMs: number, attempt: number) => baseMs * 2 ** Math.min(attempt - 1, 6);

export async function sendLogoutNotice(ctx: ProviderContext, notice: LogoutNotice, attempt: number, signal: AbortSignal): Promise<WorkOutcome> {
  const fields = { clientId: notice.clientId, jti: notice.jti, attempt };
  const client = await ctx.models.clients.find(notice.clientId);
  const uri = client?.backchannel_logout_uri;
  if (!client || !uri) {
    ctx.log.info('backchannel_logout.dropped', { ...fields, why: client ? 'no backchannel_logout_uri any more' : 'client removed' });
    return undefined;
  }
  const tuning = backchannelLogoutTuning(ctx.config);
  const token = await signLogoutToken(ctx, client, notice);
  let why: string;
  let final = false;
  try {
    const { status } = await ctx.http.postForm(uri, { logout_token: token }, { timeoutMs: tuning.timeoutMs, signal, maxBodyBytes: 0 });
    if (status >= 200 && status < 300) {
      ctx.log.info('backchannel_logout.sent', { ...fields, status });
      ctx.events.emit('backchannel_logout.sent', { ...fields, status });
      return undefined;
    }
    why = `status ${status}`;
    final = status < 500;
  } catch (e) {
    if (signal.aborted) return { retryAt: Date.now() };
    why = e instanceof PostTimeoutError ? 'timeout' : ((e as NodeJS.ErrnoException).code ?? (e as Error).message);
  }
  if (final || attempt >= tuning.maxAttempts) {
    ctx.log.warn('backchannel_logout.gave_up', { ...fields, why, final });
    ctx.events.emit('backchannel_logout.gave_up', { ...fields, why, final });
    return undefined;
  }
  const retryInMs = retryDelay(tuning.retryBaseMs, attempt);
  ctx.log.warn('backchannel_logout.failed', { ...fields, why, retry_in_ms: retryInMs });
  ctx.events.emit('backchannel_logout.failed', { ...fields, why, retry_in_ms: retryInMs });
  return { retryAt: Date.now() + retryInMs };
}
