/**
 * The callback to the provider: `POST {iss}/protocol/openid-connect/ext/ciba/auth/callback`
 * with the delegation's own bearer token and `{status}` (plus `acr`/`amr` after a passkey approval). Only a 200 counts as done. Network
 * errors and other answers are retried with backoff until the request expires, except 400, 401
 * and 403: the provider has refused this token or decision, and a retry cannot change that.
 * Each attempt is one claim of the request's item in the `callback` queue (lifecycle.ts), so
 * attempts are made by one node at a time, and the retries of a node that died go on elsewhere.
 */
import { CIBA_CALLBACK_PATH, type CallbackRequest } from '../../shared/auth-channel.ts';
import type { JsonPoster } from '../../shared/http/post_json.ts';
import type { WorkOutcome } from '../../shared/store/queue_worker.ts';
import { nowSeconds } from '../../shared/time.ts';
import type { ServerContext } from '../context.ts';
import { defaults } from '../defaults.ts';
import type { CallbackState, StoredDecision } from '../models.ts';

/** `{status}`, plus on a passkey approval `acr` and space-separated `amr` (strings: Keycloak reads extra members as strings). */
export function callbackBody(d: StoredDecision): CallbackRequest {
  return { status: d.status, ...(d.acr ? { acr: d.acr } : {}), ...(d.acr && d.amr?.length ? { amr: d.amr.join(' ') } : {}) };
}

/** How soon a callback item that found no stored decision looks again (the decision is written together with the item), ms. */
const DECISION_PENDING_MS = 250;

type Outcome = { done: true } | { done: false; final: boolean; error: string };

async function attempt(http: JsonPoster, url: string, token: string, body: CallbackRequest, stop: AbortSignal): Promise<Outcome> {
  try {
    const { status } = await http.post(url, body, {
      headers: { authorization: `Bearer ${token}` },
      timeoutMs: defaults.callbackTimeoutMs,
      signal: stop,
      maxBodyBytes: 0,
    });
    if (status === 200) return { done: true };
    return { done: false, final: [400, 401, 403].includes(status), error: `HTTP ${status}` };
  } catch (e) {
    return { done: false, final: false, error: (e as Error).message };
  }
}

/** The delay after the `attempts`-th failed attempt: doubling from callbackRetryInitialMs up to callbackRetryMaxMs. */
export function callbackRetryDelay(attempts: number): number {
  return Math.min(defaults.callbackRetryInitialMs * 2 ** Math.max(0, attempts - 1), defaults.callbackRetryMaxMs);
}

/** Makes one attempt to deliver the stored decision of request `id`; says when to try again, if ever. */
export async function attemptCallback(ctx: ServerContext, id: string, stop: AbortSignal): Promise<WorkOutcome> {
  const r = await ctx.models.requests.find(id);
  if (!r) return undefined;
  // A decision written together with this item may not be readable yet; a request settled otherwise (expired, withdrawn) owes no callback.
  if (!r.decision) return r.status === 'pending' && nowSeconds() < r.expires_at ? { retryAt: Date.now() + DECISION_PENDING_MS } : undefined;
  if (r.callback?.state !== 'pending') return undefined;
  const attempts = r.callback.attempts + 1;
  const outcome = await attempt(ctx.http, `${r.issuer}${CIBA_CALLBACK_PATH}`, r.token, callbackBody(r.decision), stop);
  // Stopped midway: the next start (or another node) makes this attempt again.
  if (stop.aborted) return { retryAt: Date.now() };
  const expired = nowSeconds() >= r.expires_at;
  const error = outcome.done ? '' : outcome.error;
  let callback: CallbackState;
  if (outcome.done) callback = { state: 'delivered', attempts, delivered_at: nowSeconds() };
  else if (outcome.final || expired) callback = { state: 'failed', attempts, last_error: error };
  else callback = { state: 'pending', attempts, last_error: error };
  // Written lazily (with the next commit, or within a second), not in a commit of its own after
  // every delivery: a crash before then only makes this attempt again, and the provider answers
  // the repeat of a callback it accepted with 200 again, and refuses a refused one again.
  const saved = await ctx.models.requests.update(id, (current) => (current ? { ...current, callback } : undefined), { durable: false });
  if (saved.outcome === 'missing') return undefined;
  if (callback.state === 'delivered') {
    ctx.log.info('request.delivered', { request_id: id, issuer: r.issuer, status: r.decision.status, attempts });
    ctx.events.emit('request.delivered', { id, status: r.decision.status, attempts });
    return undefined;
  }
  if (callback.state === 'failed') {
    ctx.log.warn('request.callback_failed', { request_id: id, issuer: r.issuer, attempts, error, expired });
    ctx.events.emit('request.callback_failed', { id, error, attempts });
    return undefined;
  }
  const delay = Math.max(0, Math.min(callbackRetryDelay(attempts), r.expires_at * 1000 - Date.now()));
  ctx.log.info('request.callback_retry', { request_id: id, attempts, error, retry_in_ms: delay });
  return { retryAt: Date.now() + delay };
}
