/**
 * The back-channel logout outbox: one item per client to tell of a logout, on the store's
 * scheduler (shared/store/queue_worker.ts), so a notice survives a restart, is sent by one node,
 * and is retried with backoff from the queue itself (a retry is an item due later, not a timer).
 * Built once with the provider's context; stopped by its close().
 */
import type { Logger } from '../../shared/log.ts';
import { QueueWorker, type WorkOutcome } from '../../shared/store/queue_worker.ts';
import type { Scheduler } from '../../shared/store/store.ts';
import { defaults } from '../defaults.ts';
import type { LoggedOut } from './logout_token.ts';

export const BACKCHANNEL_LOGOUT_QUEUE = 'backchannel-logout';

/** A logout to tell one client of. */
export interface LogoutNotice extends LoggedOut {
  readonly clientId: string;
}

/** Sends one notice; `attempt` counts from 1. Returns when to try again, or nothing when done (sent or given up). */
export type SendNotice = (notice: LogoutNotice, attempt: number, signal: AbortSignal) => Promise<WorkOutcome>;

export class BackchannelLogoutQueue {
  private readonly worker: QueueWorker;

  constructor(scheduler: Scheduler, log: Logger, send: SendNotice) {
    this.worker = new QueueWorker({
      scheduler,
      log,
      queue: BACKCHANNEL_LOGOUT_QUEUE,
      concurrency: defaults.backchannelLogoutConcurrency,
      leaseMs: defaults.workLeaseMs,
      pollMs: defaults.workPollMs,
      handle: (item, signal) => send(item.payload as LogoutNotice, item.attempts, signal),
    });
  }

  start(): void {
    this.worker.start();
  }

  /** Queues a notice, durably; sent at once by one node. One item per session and client: a second logout of it replaces the first. */
  queue(notice: LogoutNotice): Promise<void> {
    return this.worker.schedule(`${notice.sid}:${notice.clientId}`, Date.now(), notice);
  }

  /** Stops the worker: a notice in flight is handed back to be sent again. */
  stop(): Promise<void> {
    return this.worker.stop();
  }
}
