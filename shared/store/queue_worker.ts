/**
 * One node's share of the due work of one queue (expiry watches, notification outboxes, callback
 * retries), on the store's {@link Scheduler}: the work survives the node, and each item is worked
 * by one node at a time.
 *
 * - Items are claimed with a lease, renewed every third of it while the handler runs: only the
 *   work of a node that died (or froze for a whole lease) is taken over by another.
 * - The worker sleeps until the queue's next due item (one timer per queue, whatever its length)
 *   or at most `pollMs`, so work that another node scheduled, or left behind, is noticed; work
 *   this node schedules wakes it at once.
 * - An item whose work is done is removed lazily (`complete` with `durable: false`): every node
 *   sees it gone at once, and the removal rides on the next durable write (lowdb) instead of a
 *   commit of its own, which would sit in front of the next request's commit. A crash before
 *   then makes the item due again, as a node dying mid-work does: the work is safe to repeat.
 * - `stop()` aborts the handlers (they hand unfinished work back, due at once, so another node
 *   or the next start resumes it), waits for them, and leaves no timer.
 */
import type { Logger } from '../log.ts';
import type { ClaimedItem, Scheduler } from './store.ts';

/**
 * What a handler did with its item: nothing to say (done: the item is removed, lazily), when to
 * try again, or done with a removal that must be durable before the worker moves on: for work
 * whose repeat after a crash would do more than repeat itself (mint a second token set).
 */
export type WorkOutcome = undefined | { readonly retryAt: number } | { readonly completeDurably: true };

export interface QueueWorkerOptions {
  readonly scheduler: Scheduler;
  readonly queue: string;
  /** Handlers running at once on this node. */
  readonly concurrency: number;
  /** How long a claim lasts without renewal: how soon the work of a node that died is taken over, ms. */
  readonly leaseMs: number;
  /** Longest sleep between two looks at the queue, ms. */
  readonly pollMs: number;
  /** After a handler threw (a store outage, a bug), its item is tried again this much later (doubling per attempt), ms. Default 1000. */
  readonly retryAfterErrorMs?: number;
  readonly log: Logger;
  /**
   * Starts an item this node schedules as soon as it can be claimed, while schedule() still
   * waits for it to be durable (lowdb: before the commit; Redis: no sooner than without it, the
   * insert is the durable point). Only for work whose effects may precede that commit: what it
   * writes is committed after it (one journal, commits in order), and what it sends out nobody
   * can act on but through such a write. Default false: work starts once the item is durable.
   */
  readonly startBeforeDurable?: boolean;
  /**
   * Works one item. `signal` aborts when the node stops: return `{ retryAt: Date.now() }` for
   * unfinished work. Work must be safe to repeat: a node may die after it and before the item
   * is removed, and then another node does it again.
   */
  handle(item: ClaimedItem, signal: AbortSignal): Promise<WorkOutcome>;
}

export class QueueWorker {
  private readonly abort = new AbortController();
  private readonly inFlight = new Set<Promise<void>>();
  private timer: NodeJS.Timeout | undefined;
  private timerAt = Number.POSITIVE_INFINITY;
  private passing: Promise<void> | undefined;
  private again = false;
  private running = 0;
  /** A look found every slot busy, or took a full batch: a finishing handler looks again. */
  private starved = false;
  private stopped = false;

  constructor(private readonly options: QueueWorkerOptions) {}

  get queue(): string {
    return this.options.queue;
  }

  /** Starts working: due items are claimed at once. */
  start(): void {
    this.wake();
  }

  /** Schedules item `id` due at `at` (epoch ms), durably, and sees that this node looks at it then. */
  async schedule(id: string, at: number, payload?: unknown): Promise<void> {
    const { scheduler, queue, startBeforeDurable } = this.options;
    if (!startBeforeDurable) {
      await scheduler.schedule(queue, id, at, payload);
      return this.wakeAt(at);
    }
    await scheduler.schedule(queue, id, at, payload, { onClaimable: () => this.wakeAt(at) });
  }

  /** Removes an item that is no longer needed. */
  cancel(id: string): Promise<boolean> {
    return this.options.scheduler.cancel(this.options.queue, id);
  }

  /** Makes sure the queue is looked at by `at` (epoch ms). */
  wakeAt(at: number): void {
    if (at <= Date.now()) this.wake();
    else this.arm(at);
  }

  /** Looks at the queue now (or right after the look in progress). */
  wake(): void {
    if (this.stopped) return;
    if (this.passing) {
      this.again = true;
      return;
    }
    this.passing = this.pass().finally(() => {
      this.passing = undefined;
      if (this.again) this.wake();
    });
  }

  private async pass(): Promise<void> {
    const { scheduler, queue, concurrency, leaseMs, pollMs, log } = this.options;
    this.again = false;
    const free = concurrency - this.running;
    this.starved = free <= 0;
    if (free > 0) {
      let items: ClaimedItem[];
      try {
        items = await scheduler.claim(queue, { limit: free, leaseMs });
      } catch (e) {
        log.warn('work.claim_failed', { queue, message: (e as Error).message });
        return this.arm(Date.now() + pollMs);
      }
      for (const item of items) this.run(item);
      // A full batch: there may be more due, taken as slots free up.
      if (items.length === free) {
        this.starved = true;
        return this.arm(Date.now() + pollMs);
      }
    }
    if (this.stopped) return;
    let next: number | undefined;
    try {
      next = await scheduler.next(queue);
    } catch {
      next = undefined;
    }
    const ceiling = Date.now() + pollMs;
    // Due items while every slot is busy are taken when a slot frees up, not by spinning.
    this.arm(next === undefined || (next <= Date.now() && this.running >= concurrency) ? ceiling : Math.min(next, ceiling));
  }

  /** Arms the one timer for `at`, unless it is already armed earlier. */
  private arm(at: number): void {
    if (this.stopped) return;
    if (this.timer && this.timerAt <= at) return;
    clearTimeout(this.timer);
    this.timerAt = at;
    this.timer = setTimeout(
      () => {
        this.timer = undefined;
        this.timerAt = Number.POSITIVE_INFINITY;
        this.wake();
      },
      Math.max(0, at - Date.now()),
    );
    this.timer.unref();
  }

  private run(item: ClaimedItem): void {
    const { scheduler, queue, leaseMs, log, retryAfterErrorMs = 1000 } = this.options;
    this.running++;
    const done = (async () => {
      const heartbeat = setInterval(() => {
        scheduler.extend(item, leaseMs).then(
          (held) => held || log.warn('work.lease_lost', { queue, id: item.id }),
          () => undefined,
        );
      }, leaseMs / 3);
      heartbeat.unref();
      let outcome: WorkOutcome;
      try {
        outcome = await this.options.handle(item, this.abort.signal);
      } catch (e) {
        // Backing off (a store outage, a bug) up to 32 times the first delay; the work's own records expire, and with them the item's reason.
        const delay = retryAfterErrorMs * 2 ** Math.min(item.attempts - 1, 5);
        log.error('work.failed', { queue, id: item.id, attempts: item.attempts, retry_in_ms: delay, message: (e as Error).message });
        outcome = { retryAt: Date.now() + delay };
      } finally {
        clearInterval(heartbeat);
      }
      try {
        if (outcome && 'retryAt' in outcome) {
          await scheduler.retry(item, outcome.retryAt);
          this.wakeAt(outcome.retryAt);
        } else {
          await scheduler.complete(item, { durable: outcome?.completeDurably === true });
        }
      } catch (e) {
        // The claim runs out by itself and the item is claimed again: nothing is lost.
        log.warn('work.release_failed', { queue, id: item.id, message: (e as Error).message });
      }
    })().finally(() => {
      this.running--;
      this.inFlight.delete(done);
      if (this.starved) this.wake();
    });
    this.inFlight.add(done);
  }

  /** Aborts the handlers, waits for them to hand their items back, and clears the timer. */
  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    this.timer = undefined;
    this.abort.abort();
    await this.passing;
    while (this.inFlight.size) await Promise.all([...this.inFlight]);
  }
}
