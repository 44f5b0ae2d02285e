/**
 * The CIBA work that outlives the request that started it, shared by every node of the provider:
 * each request's expiry (a request still pending then ends, and ping/push clients are told), the
 * ping/push notification of its outcome, and the notice to the entity that the client withdrew it. Both are items of the store's scheduler, worked by
 * whichever node claims them (shared/store/queue_worker.ts): durable, done by one node at a time,
 * taken over when a node dies. Built once with the provider's context; stopped by its close().
 */
import type { Logger } from '../../shared/log.ts';
import { QueueWorker } from '../../shared/store/queue_worker.ts';
import type { Scheduler } from '../../shared/store/store.ts';
import { defaults } from '../defaults.ts';
import type { Delivered } from './deliver.ts';

/** The scheduler queues of CIBA work. */
export const CIBA_QUEUES = { expiry: 'ciba-expiry', delivery: 'ciba-delivery', withdrawal: 'ciba-withdrawal' } as const;

/** Expiry items are due this long after the request's end (ms), so a decision made in its last instant is seen first. */
const EXPIRY_SLACK_MS = 50;

/** The work itself (ciba/decide.ts, ciba/deliver.ts, ciba/withdraw.ts). */
export interface CibaWork {
  /** Ends a request that is still pending at its expiry. */
  expire(authReqId: string): Promise<void>;
  /** Sends the ping/push notification of a decided or expired request (see {@link Delivered}). */
  deliver(authReqId: string, signal: AbortSignal): Promise<Delivered>;
  /** Tells the entity that the client withdrew the request; `interrupted` when the node stopped midway. */
  tellWithdrawal(authReqId: string, signal: AbortSignal): Promise<'done' | 'interrupted'>;
}

export class CibaLifecycle {
  private readonly expiries: QueueWorker;
  private readonly deliveries: QueueWorker;
  private readonly withdrawals: QueueWorker;

  constructor(scheduler: Scheduler, log: Logger, work: CibaWork) {
    const common = { scheduler, log, leaseMs: defaults.workLeaseMs, pollMs: defaults.workPollMs };
    this.expiries = new QueueWorker({
      ...common,
      queue: CIBA_QUEUES.expiry,
      concurrency: defaults.expiryConcurrency,
      handle: async (item) => void (await work.expire(item.id)),
    });
    this.deliveries = new QueueWorker({
      ...common,
      queue: CIBA_QUEUES.delivery,
      concurrency: defaults.notificationConcurrency,
      // A ping leaves while the decision's commit (which carries this item) is still on its way
      // (lowdb): the client can act on it only through the token endpoint, whose answer waits for
      // a later commit. Pushed tokens wait for it (deliver.ts).
      startBeforeDurable: true,
      handle: async (item, signal) => {
        const delivered = await work.deliver(item.id, signal);
        if (delivered === 'interrupted') return { retryAt: Date.now() };
        // A ping repeated after a crash is harmless (the token endpoint consumes auth_req_id once); a second pushed token set is not.
        return delivered === 'tokens_pushed' ? { completeDurably: true } : undefined;
      },
    });
    this.withdrawals = new QueueWorker({
      ...common,
      queue: CIBA_QUEUES.withdrawal,
      concurrency: defaults.notificationConcurrency,
      handle: async (item, signal) => ((await work.tellWithdrawal(item.id, signal)) === 'interrupted' ? { retryAt: Date.now() } : undefined),
    });
  }

  /** Starts working the queues (what is due, e.g. after a restart, at once). */
  start(): void {
    for (const worker of [this.expiries, this.deliveries, this.withdrawals]) worker.start();
  }

  /** Watches a new request's expiry (`expiresAt`, epoch seconds); durable once resolved. */
  watchExpiry(authReqId: string, expiresAt: number): Promise<void> {
    return this.expiries.schedule(authReqId, expiresAt * 1000 + EXPIRY_SLACK_MS);
  }

  /** Queues the notification owed to a ping/push client; durable once resolved, sent at once by one node. */
  queueDelivery(authReqId: string): Promise<void> {
    return this.deliveries.schedule(authReqId, Date.now());
  }

  /** Queues the notice of a withdrawal to the entity; durable once resolved, sent at once by one node. */
  queueWithdrawalNotice(authReqId: string): Promise<void> {
    return this.withdrawals.schedule(authReqId, Date.now());
  }

  /** Stops the workers: a notification in flight is handed back to be sent again. */
  async stop(): Promise<void> {
    await Promise.all([this.expiries.stop(), this.deliveries.stop(), this.withdrawals.stop()]);
  }
}
