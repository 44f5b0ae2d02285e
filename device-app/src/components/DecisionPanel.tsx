/**
 * The user's answer to a pending request: Approve (or, with number matching, a tap on the
 * number the requester shows; with acr phr, then the passkey), or Deny with a reason. Signs and
 * sends the decision, with what an approval proves (lib/approval.ts: the hash of what the screen
 * showed, the passkey assertion). The one answer component of the request screen and the
 * request sheet; each says how it wants a late answer handled.
 */
import { useEffect, useRef, useState } from 'preact/hooks';
import { ENTITY_API_ERRORS, type DenyReason, type DeviceRequest } from '../../../shared/entity-api.ts';
import { requiresPhr } from '../../../shared/phr.ts';
import { ApiError, describeError } from '../lib/api.ts';
import { sendDecision, type Decision } from '../lib/decide.ts';
import { useEnrolled } from '../lib/use-app.ts';
import { Icon } from './Icon.tsx';
import { Notice } from './Notice.tsx';
import { NumberPicker } from './NumberPicker.tsx';

/** What this device answered, to word the outcome. */
export type Mine = Decision;

export function DecisionPanel({
  r,
  onDecided,
  onSettledElsewhere,
  askWhy = false,
  ready = true,
}: {
  r: DeviceRequest;
  onDecided: (mine: Mine) => void;
  /** The entity answered already_settled: another device was first; how it ended is not known here yet. */
  onSettledElsewhere: () => void;
  /** Open with the deny reasons showing, in view (the notification's Deny). */
  askWhy?: boolean;
  /** False while what the request asks to approve is not on screen yet: approving waits. */
  ready?: boolean;
}) {
  const { feed, session } = useEnrolled();
  const [denying, setDenying] = useState(askWhy);
  const [busy, setBusy] = useState<'approve' | DenyReason>();
  const [picked, setPicked] = useState<string>();
  const [error, setError] = useState<string>();
  const reasons = useRef<HTMLFieldSetElement>(null);
  useEffect(() => {
    if (askWhy) setDenying(true);
  }, [askWhy]);
  useEffect(() => {
    if (!askWhy || !denying) return;
    // After the frame: the layout scrolls a newly navigated page to the top first.
    const frame = requestAnimationFrame(() => reasons.current?.scrollIntoView({ block: 'center' }));
    return () => cancelAnimationFrame(frame);
  }, [askWhy, denying]);

  async function decide(d: Decision) {
    setBusy(d.decision === 'approve' ? 'approve' : d.reason);
    setPicked(d.decision === 'approve' ? d.number : undefined);
    setError(undefined);
    let approval: typeof import('../lib/approval.ts') | undefined;
    try {
      if (d.decision === 'approve') approval = await import('../lib/approval.ts');
      const res = await sendDecision(session, r.id, d, approval && (await approval.approvalProof(session, r)));
      onDecided(d);
      feed.settle(r.id, res.status, { decided_by: session.device_id, decided_on: session.name, ...(res.reason ? { reason: res.reason } : {}) });
    } catch (e) {
      if (e instanceof ApiError && e.code === ENTITY_API_ERRORS.expired) feed.settle(r.id, 'expired');
      else if (e instanceof ApiError && e.code === ENTITY_API_ERRORS.alreadySettled) onSettledElsewhere();
      else setError(approval?.passkeyErrorText(e, 'approve') ?? describeError(e));
    } finally {
      setBusy(undefined);
    }
  }

  const idle = busy === undefined;
  const phr = requiresPhr(r.acr_values);
  return (
    <>
      {error && (
        <Notice tone="danger" title="Your answer wasn’t sent">
          {error} Try again.
        </Notice>
      )}
      {denying ? (
        <fieldset class="deny-reasons" ref={reasons}>
          <legend>Why are you denying?</legend>
          <button type="button" class="btn btn-danger btn-block" disabled={!idle} onClick={() => decide({ decision: 'deny', reason: 'not_me' })}>
            {busy === 'not_me' ? 'Denying…' : 'This wasn’t me'}
          </button>
          <p class="hint">Tell {r.client} you did not try to sign in.</p>
          <button type="button" class="btn btn-block" disabled={!idle} onClick={() => decide({ decision: 'deny', reason: 'changed_mind' })}>
            {busy === 'changed_mind' ? 'Denying…' : 'I changed my mind'}
          </button>
          <button type="button" class="btn btn-quiet btn-block" disabled={!idle} onClick={() => setDenying(false)}>
            Back
          </button>
        </fieldset>
      ) : (
        <div class="decide">
          {phr && <p class="hint">To approve, confirm it’s you with your fingerprint, face or screen lock.</p>}
          {r.number_choices?.length ? (
            <NumberPicker
              client={r.client}
              choices={r.number_choices}
              busy={!idle || !ready}
              picked={picked}
              onPick={(number) => decide({ decision: 'approve', number })}
            />
          ) : (
            <button type="button" class="btn btn-approve btn-block" disabled={!idle || !ready} onClick={() => decide({ decision: 'approve' })}>
              <Icon name="check" /> {busy === 'approve' ? 'Approving…' : phr ? 'Approve with passkey' : 'Approve'}
            </button>
          )}
          <button type="button" class="btn btn-deny btn-block" disabled={!idle} onClick={() => setDenying(true)}>
            <Icon name="x" /> Deny
          </button>
        </div>
      )}
    </>
  );
}
