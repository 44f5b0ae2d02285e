/**
 * The callback to the provider: `POST {iss}/protocol/openid-connect/ext/ciba/auth/callback`
 * with the delegation's own bearer token and `{status}` (plus `acr`/`amr` after a passkey approval). Only a 200 counts as done. Network
 * errors and other answers are retried with backoff until the request expires, except 400, 401
 * and 403: the provider has refused this token or decision, and a retry cannot change that.
 */
import { CIBA_CALLBACK_PATH, type CallbackRequest } from '../../shared/auth-channel.ts';
import { nowSeconds } from '../../shared/time.ts';
import type { ServerContext } from '../context.ts';
import { defaults } from '../defaults.ts';
import type { CallbackState, StoredDecision } from '../models.ts';

/** `{status}`, plus on a passkey approval `acr` and space-separated `amr` (strings: Keycloak reads extra members as strings). */
export function callbackBody(d: StoredDecision): CallbackRequest {
  return { status: d.status, ...(d.acr ? { acr: d.acr } : {}), ...(d.acr && d.amr?.length ? { amr: d.amr.join(' ') } : {}) };
}

type Outcome = { done: true } | { done: false; final: boolean; error: string };

async function attempt(url: string, token: string, body: CallbackRequest, stop: AbortSignal): Promise<Outcome> {
  try {
    const res = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
      body: JSON.stringify(body),
      redirect: 'manual',
      signal: AbortSignal.any([AbortSignal.timeout(defaults.callbackTimeoutMs), stop]),
    });
    await res.arrayBuffer().catch(() => undefined);
    if (res.status === 200) return { done: true };
    return { done: false, final: [400, 401, 403].includes(res.status), error: `HTTP ${res.status}` };
  } catch (e) {
    return { done: false, final: false, error: (e as Error).message };
  }
}

/** Delivers the stored decision of request `id`, retrying until done, refused, expired or stopped. */
export class CallbackSender {
  private readonly running = new Map<string, Promise<void>>();
  private readonly abort = new AbortController();
  private readonly sleeping = new Map<string, { timer: NodeJS.Timeout; wake: () => void }>();
  /** Attempts in flight, and the loops waiting for one of the callbackMaxConcurrent slots. */
  private attempting = 0;
  private readonly waitingForSlot: Array<() => void> = [];
  private stopped = false;

  constructor(private readonly ctx: ServerContext) {}

  /** Starts delivery in the background (once per request at a time). */
  start(id: string): void {
    if (this.stopped || this.running.has(id)) return;
    const run = this.run(id)
      .catch((e) => this.ctx.log.error('callback.crashed', { request_id: id, message: (e as Error).message }))
      .finally(() => this.running.delete(id));
    this.running.set(id, run);
  }

  private async run(id: string): Promise<void> {
    const { ctx } = this;
    let delay: number = defaults.callbackRetryInitialMs;
    for (let attempts = 1; !this.stopped; attempts++) {
      const release = await this.slot();
      let r: Awaited<ReturnType<typeof ctx.models.requests.find>>;
      let outcome: Outcome;
      try {
        if (this.stopped) return;
        r = await ctx.models.requests.find(id);
        if (!r?.decision || r.callback?.state !== 'pending') return;
        outcome = await attempt(`${r.issuer}${CIBA_CALLBACK_PATH}`, r.token, callbackBody(r.decision), this.abort.signal);
      } finally {
        release();
      }
      if (this.stopped) return; // the next start resumes from the stored decision
      const expired = nowSeconds() >= r.expires_at;
      const error = outcome.done ? '' : outcome.error;
      let callback: CallbackState;
      if (outcome.done) {
        callback = { state: 'delivered', attempts, delivered_at: nowSeconds() };
      } else if (outcome.final || expired) {
        callback = { state: 'failed', attempts, last_error: error };
      } else {
        callback = { state: 'pending', attempts, last_error: error };
      }
      const saved = await ctx.models.requests.update(id, (current) => (current ? { ...current, callback } : undefined), {
        durable: callback.state !== 'pending',
      });
      if (saved.outcome === 'missing') return;
      if (callback.state === 'delivered') {
        ctx.log.info('request.delivered', { request_id: id, issuer: r.issuer, status: r.decision.status, attempts });
        ctx.events.emit('request.delivered', { id, status: r.decision.status, attempts });
        return;
      }
      if (callback.state === 'failed') {
        ctx.log.warn('request.callback_failed', { request_id: id, issuer: r.issuer, attempts, error, expired });
        ctx.events.emit('request.callback_failed', { id, error, attempts });
        return;
      }
      ctx.log.info('request.callback_retry', { request_id: id, attempts, error, retry_in_ms: delay });
      const untilExpiry = r.expires_at * 1000 - Date.now();
      await this.sleep(id, Math.max(0, Math.min(delay, untilExpiry)));
      delay = Math.min(delay * 2, defaults.callbackRetryMaxMs);
    }
  }

  /** Waits for one of the callbackMaxConcurrent attempt slots; call the result to give it back. */
  private async slot(): Promise<() => void> {
    if (this.attempting >= defaults.callbackMaxConcurrent && !this.stopped) await new Promise<void>((resolve) => this.waitingForSlot.push(resolve));
    this.attempting++;
    return () => {
      this.attempting--;
      this.waitingForSlot.shift()?.();
    };
  }

  private sleep(id: string, ms: number): Promise<void> {
    return new Promise((resolve) => {
      const wake = () => {
        this.sleeping.delete(id);
        resolve();
      };
      const timer = setTimeout(wake, ms);
      this.sleeping.set(id, { timer, wake });
    });
  }

  /** Stops every retry loop and waits for them (the decisions stay stored; the next start resumes them). */
  async stop(): Promise<void> {
    this.stopped = true;
    this.abort.abort();
    for (const wake of this.waitingForSlot.splice(0)) wake();
    for (const { timer, wake } of this.sleeping.values()) {
      clearTimeout(timer);
      wake();
    }
    await Promise.all(this.running.values());
  }
}
