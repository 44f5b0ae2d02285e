/**
 * The automated-approval hook for end-to-end tests of relying parties (in the spirit of the
 * OpenID conformance suite's automated CIBA approval): every request is approved by
 * `auto-approve` shortly after it arrives. Off by default; refused outside demo mode; loud.
 */
import type { ServerContext } from '../context.ts';
import { defaults } from '../defaults.ts';
import type { RequestLifecycle } from './lifecycle.ts';

export const AUTO_APPROVER = 'auto-approve';

/** Installs the hook; throws unless demo mode. Returns a function that removes it. */
export function installAutoApprove(ctx: ServerContext, lifecycle: RequestLifecycle): () => void {
  if (!ctx.config.demo) throw new Error('NOD_AUTO_APPROVE is refused outside demo mode (set NOD_DEMO=1 on a test deployment only)');
  const banner = '*'.repeat(78);
  process.stderr.write(
    `\n${banner}\n*  WARNING: NOD_AUTO_APPROVE is ON. Every CIBA request is approved without any user.\n` +
      `*  This exists for automated tests of relying parties. Never run it with real users.\n${banner}\n\n`,
  );
  ctx.log.warn('auto_approve.enabled', {});
  const timers = new Set<NodeJS.Timeout>();
  const onReceived = (id: string) => {
    const t = setTimeout(async () => {
      timers.delete(t);
      const r = await ctx.models.requests.find(id);
      if (!r || r.status !== 'pending') return;
      await lifecycle.decide(r, { decision: 'approve', by: AUTO_APPROVER }).catch(() => undefined);
    }, defaults.autoApproveDelayMs);
    timers.add(t);
  };
  ctx.events.on('request.received', onReceived);
  return () => {
    ctx.events.off('request.received', onReceived);
    for (const t of timers) clearTimeout(t);
  };
}
