/**
 * The automated-approval hook for end-to-end tests of relying parties (in the spirit of the
 * OpenID conformance suite's automated CIBA approval): every request is approved by
 * `auto-approve` shortly after it arrives. Off by default; refused outside demo mode; loud.
 */
import type { ServerContext } from '../context.ts';
import { defaults } from '../defaults.ts';
import { QueueWorker } from '../../shared/store/queue_worker.ts';
import type { RequestLifecycle } from './lifecycle.ts';

export const AUTO_APPROVER = 'auto-approve';

/** The scheduler queue of automated approvals: one per request, done by one node. */
export const AUTO_APPROVE_QUEUE = 'auto-approve';

/** Installs the hook (throws unless demo mode): each request received is approved autoApproveDelayMs later, by one node. */
export function installAutoApprove(ctx: ServerContext, lifecycle: RequestLifecycle): { stop(): Promise<void> } {
  if (!ctx.config.demo) throw new Error('NOD_AUTO_APPROVE is refused outside demo mode (set NOD_DEMO=1 on a test deployment only)');
  const banner = '*'.repeat(78);
  process.stderr.write(
    `\n${banner}\n*  WARNING: NOD_AUTO_APPROVE is ON. Every CIBA request is approved without any user.\n` +
      `*  This exists for automated tests of relying parties. Never run it with real users.\n${banner}\n\n`,
  );
  ctx.log.warn('auto_approve.enabled', {});
  const worker = new QueueWorker({
    scheduler: ctx.store.scheduler,
    queue: AUTO_APPROVE_QUEUE,
    concurrency: defaults.expiryConcurrency,
    leaseMs: defaults.workLeaseMs,
    pollMs: defaults.workPollMs,
    log: ctx.log,
    async handle(item) {
      const r = await ctx.models.requests.find(item.id);
      if (r?.status !== 'pending') return undefined;
      await lifecycle.decide(r, { decision: 'approve', by: AUTO_APPROVER }).catch(() => undefined);
      return undefined;
    },
  });
  const onReceived = (id: string) => {
    worker
      .schedule(id, Date.now() + defaults.autoApproveDelayMs)
      .catch((e) => ctx.log.warn('auto_approve.not_queued', { request_id: id, message: (e as Error).message }));
  };
  ctx.events.on('request.received', onReceived);
  worker.start();
  return {
    async stop() {
      ctx.events.off('request.received', onReceived);
      await worker.stop();
    },
  };
}
