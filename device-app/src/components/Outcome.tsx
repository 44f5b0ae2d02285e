/**
 * How a request ended, in words a person acts on: approved, denied (and, after a wrong
 * number-matching pick, what that may mean), expired, withdrawn by the requester, or settled on
 * another of the user's devices (named).
 */
import type { DeviceRequest, RequestStatus } from '../../../shared/entity-api.ts';
import { settledLine } from '../lib/format.ts';
import type { Mine } from './DecisionPanel.tsx';
import { Notice, type Tone } from './Notice.tsx';

export function Outcome({ r, status, mine, myDevice }: { r: DeviceRequest; status: RequestStatus; mine: Mine | undefined; myDevice: string }) {
  let tone: Tone = 'info';
  let title: string;
  let text: string;
  const elsewhere = !mine && r.decided_by !== myDevice && (status === 'approved' || status === 'denied' || status === 'cancelled');
  if (status === 'expired') {
    tone = 'warning';
    title = 'This request has expired';
    text = `Nothing was signed in. If you still want to sign in to ${r.client}, start again there.`;
  } else if (status === 'withdrawn') {
    title = settledLine(r, myDevice);
    text = `${r.client} no longer needs an answer. Nothing was signed in.`;
  } else if (r.reason === 'wrong_number' && !elsewhere) {
    tone = 'danger';
    title = 'Wrong number: the sign-in was refused';
    text = `${mine?.decision === 'approve' && mine.number ? `You tapped ${mine.number}, which is not the number ${r.client} showed. ` : ''}Nothing was signed in. If you were not signing in to ${r.client} just now, someone else may be trying to: don’t approve requests you did not start, and consider changing your password.`;
  } else if (elsewhere) {
    title = settledLine(r, myDevice);
    text = 'This request was answered on another of your devices. Nothing more to do here.';
  } else if (status === 'approved') {
    tone = 'success';
    title = 'Approved';
    text = `You can go back to ${r.client}.`;
  } else if (mine?.decision === 'deny' && mine.reason === 'not_me') {
    tone = 'warning';
    title = 'Denied: this wasn’t you';
    text = `${r.client} was told you did not try to sign in. If you didn’t, consider changing your password.`;
  } else {
    title = 'Denied';
    text = 'Nothing was signed in.';
  }
  return (
    <div id={`outcome-${r.id}`} class="outcome" tabIndex={-1} data-testid="outcome" data-status={status}>
      <Notice tone={tone} title={title}>
        <p>{text}</p>
      </Notice>
    </div>
  );
}
