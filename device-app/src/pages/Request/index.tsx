/**
 * One request: what it asks to approve first (a payment's amount large, creditor, reference),
 * who asks, the binding message large (what the user compares with the other
 * screen), the scopes in words, the issuer and the time left; Approve, or Deny with a reason.
 * Once it is expired or settled (here or on another device) the screen says so and the buttons go.
 */
import { useEffect, useRef, useState } from 'preact/hooks';
import { ENTITY_API, ENTITY_API_ERRORS, type DenyReason, type DeviceRequest, type RequestStatus } from '../../../../shared/entity-api.ts';
import { Countdown } from '../../components/Countdown.tsx';
import { Icon } from '../../components/Icon.tsx';
import { Link } from '../../components/Link.tsx';
import { Notice, type Tone } from '../../components/Notice.tsx';
import { api, ApiError, describeError } from '../../lib/api.ts';
import { REQUEST_ASK_WHY, sendDecision, type Decision } from '../../lib/decide.ts';
import { useSearch } from '../../lib/router.ts';
import { describeScope } from '../../../../shared/scopes.ts';
import { host, STATUS_TEXT, when } from '../../lib/format.ts';
import { useEnrolled } from '../../lib/use-app.ts';
import { useFeed } from '../../lib/use-feed.ts';
import { useNow } from '../../lib/use-now.ts';
import { useTitle } from '../../lib/use-title.ts';
import { useLazy } from '../../lib/use-lazy.ts';
import { requiresPhr } from '../../../../shared/phr.ts';

export function Request({ id }: { id: string }) {
  useTitle('Request');
  const { feed, session } = useEnrolled();
  useFeed(feed);
  const r = feed.get(id);
  const [loadError, setLoadError] = useState<ApiError | Error>();

  // Not in the live list (opened from a notification, or settled): fetch it.
  useEffect(() => {
    if (feed.get(id)) return;
    api<DeviceRequest>(ENTITY_API.request(id), { token: session.device_token }).then(
      (req) => feed.upsert(req),
      (e: unknown) => setLoadError(e instanceof Error ? e : new Error(String(e))),
    );
  }, [id, feed, session]);

  if (!r) {
    if (!loadError)
      return (
        <p class="spinner" role="status">
          Loading the request…
        </p>
      );
    const gone = loadError instanceof ApiError && loadError.status === 404;
    return (
      <div>
        <h1>{gone ? 'Request not found' : 'Couldn’t load the request'}</h1>
        <Notice tone={gone ? 'info' : 'danger'}>
          {gone ? 'It may have expired or been handled already. Nothing is waiting for you here.' : describeError(loadError)}
        </Notice>
        <Link href="/requests" class="btn">
          Back to requests
        </Link>
      </div>
    );
  }
  return <RequestView r={r} />;
}

/** What this device did, to word the outcome. */
type Mine = { readonly decision: 'approve' } | { readonly decision: 'deny'; readonly reason: DenyReason };

/** First wait before re-reading a request whose outcome is unknown; doubles up to the maximum. */
const REREAD_FIRST_MS = 2000;
const REREAD_MAX_MS = 30_000;

/**
 * After a 409 (settled on another device) the outcome is known only once the request is re-read:
 * re-reads it, with backoff, while `unknown` and the request still looks pending here. Returns
 * `gone` when the entity no longer has it (the outcome will never be known), and a retry-now function.
 */
function useReread(r: DeviceRequest, unknown: boolean): { gone: boolean; retryNow: () => void } {
  const { feed, session } = useEnrolled();
  const [gone, setGone] = useState(false);
  const [attempt, setAttempt] = useState(0);
  useEffect(() => {
    if (!unknown || r.status !== 'pending' || gone) return;
    let stopped = false;
    let delay = REREAD_FIRST_MS;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const reread = async () => {
      try {
        const fresh = await api<DeviceRequest>(ENTITY_API.request(r.id), { token: session.device_token });
        if (stopped) return;
        feed.upsert(fresh);
        if (fresh.status !== 'pending') return;
      } catch (e) {
        if (stopped) return;
        if (e instanceof ApiError && e.code === ENTITY_API_ERRORS.notFound) return setGone(true);
      }
      timer = setTimeout(reread, delay);
      delay = Math.min(delay * 2, REREAD_MAX_MS);
    };
    void reread();
    return () => {
      stopped = true;
      clearTimeout(timer);
    };
  }, [unknown, r.id, r.status, gone, attempt, feed, session]);
  return { gone, retryNow: () => setAttempt((n) => n + 1) };
}

function RequestView({ r }: { r: DeviceRequest }) {
  const { feed, session } = useEnrolled();
  const [mine, setMine] = useState<Mine>();
  // Opened by the notification's Deny: the reasons show at once (a denial needs one).
  const askWhy = new URLSearchParams(useSearch()).has(REQUEST_ASK_WHY);
  const [denying, setDenying] = useState(askWhy);
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
  const [busy, setBusy] = useState<'approve' | DenyReason>();
  const [error, setError] = useState<string>();
  /** Answered on another device (409) but not yet re-read: how it ended is not known here. */
  const [settledElsewhere, setSettledElsewhere] = useState(false);
  const now = useNow(1000, r.status === 'pending');
  const expiredNow = r.status === 'pending' && now >= r.expires_at;
  const status: RequestStatus = expiredNow ? 'expired' : r.status;
  const unknownOutcome = settledElsewhere && status === 'pending';
  const open = status === 'pending' && !settledElsewhere;
  const reread = useReread(r, unknownOutcome);

  // Move focus to the outcome when the request is settled while on screen.
  useEffect(() => {
    if (!open) document.getElementById('outcome')?.focus();
  }, [open]);

  async function decide(d: Decision) {
    setBusy(d.decision === 'approve' ? 'approve' : d.reason);
    setError(undefined);
    let approval: typeof import('../../lib/approval.ts') | undefined;
    try {
      if (d.decision === 'approve') approval = await import('../../lib/approval.ts');
      const res = await sendDecision(session, r.id, d, approval && (await approval.approvalProof(session, r)));
      setMine(d);
      feed.settle(r.id, res.status, session.device_id);
    } catch (e) {
      if (e instanceof ApiError && e.code === ENTITY_API_ERRORS.expired) {
        feed.settle(r.id, 'expired');
      } else if (e instanceof ApiError && e.code === ENTITY_API_ERRORS.alreadySettled) {
        // Settled on another device meanwhile: how it ended is known once the request is re-read.
        setSettledElsewhere(true);
      } else {
        setError(approval?.passkeyErrorText(e, 'approve') ?? describeError(e));
      }
    } finally {
      setBusy(undefined);
    }
  }

  const scopes = r.scopes.length
    ? r.scopes
    : r.scope
        .split(' ')
        .filter(Boolean)
        .map((s) => ({ scope: s, description: describeScope(s) }));

  const details = r.authorization_details;
  const payment = details?.some((d) => d.type === 'payment_initiation');
  const Details = useLazy(() => import('../../components/AuthorizationDetails.tsx'), !!details);
  const phr = requiresPhr(r.acr_values);

  return (
    <article class="request" aria-labelledby="req-title">
      <p class="eyebrow">{payment ? 'Payment request' : details ? 'Approval request' : 'Sign-in request'}</p>
      <h1 id="req-title">
        <span data-testid="client">{r.client}</span> {details ? `asks you to approve ${payment ? 'a payment' : 'this'}` : 'wants to sign you in'}
      </h1>

      {details &&
        (Details ? (
          <Details.AuthorizationDetails details={details} />
        ) : (
          <p class="spinner" role="status">
            Loading what you are asked to approve…
          </p>
        ))}

      <section class={`binding${open ? '' : ' binding-settled'}`} aria-labelledby="binding-label">
        <h2 id="binding-label" class="binding-label">
          {open ? 'Check this matches the other screen' : 'Code shown with this request'}
        </h2>
        {r.binding_message ? (
          <p class="binding-message" data-testid="binding-message">
            {r.binding_message}
          </p>
        ) : (
          <p class="binding-none">No code was sent. Approve only if you are signing in to {r.client} right now.</p>
        )}
      </section>

      {open && <Countdown now={now} createdAt={r.created_at} expiresAt={r.expires_at} />}

      <dl class="facts">
        <div>
          <dt>Requested by</dt>
          <dd>
            {r.client}
            {r.client_id && r.client_id !== r.client ? <span class="muted"> ({r.client_id})</span> : null}
          </dd>
        </div>
        <div>
          <dt>It will get</dt>
          <dd>
            <ul class="scopes" data-testid="scopes">
              {scopes.map((s) => (
                <li key={s.scope}>
                  <Icon name="check" size={16} /> {s.description}
                </li>
              ))}
            </ul>
          </dd>
        </div>
        <div>
          <dt>Account at</dt>
          <dd data-testid="issuer">{host(r.issuer)}</dd>
        </div>
        {r.acr_values && (
          <div>
            <dt>Assurance</dt>
            <dd>{phr ? 'Your passkey: fingerprint, face or screen lock' : r.acr_values}</dd>
          </div>
        )}
        <div>
          <dt>Asked at</dt>
          <dd>{when(r.created_at)}</dd>
        </div>
      </dl>

      {error && (
        <Notice tone="danger" title="Your answer wasn’t sent">
          {error} Try again.
        </Notice>
      )}

      {open ? (
        denying ? (
          <fieldset class="deny-reasons" ref={reasons}>
            <legend>Why are you denying?</legend>
            <button type="button" class="btn btn-danger btn-block" disabled={busy !== undefined} onClick={() => decide({ decision: 'deny', reason: 'not_me' })}>
              {busy === 'not_me' ? 'Denying…' : 'This wasn’t me'}
            </button>
            <p class="hint">Tell {r.client} you did not try to sign in.</p>
            <button type="button" class="btn btn-block" disabled={busy !== undefined} onClick={() => decide({ decision: 'deny', reason: 'changed_mind' })}>
              {busy === 'changed_mind' ? 'Denying…' : 'I changed my mind'}
            </button>
            <button type="button" class="btn btn-quiet btn-block" disabled={busy !== undefined} onClick={() => setDenying(false)}>
              Back
            </button>
          </fieldset>
        ) : (
          <div class="decide">
            {phr && <p class="hint">To approve, confirm it’s you with your fingerprint, face or screen lock.</p>}
            <button
              type="button"
              class="btn btn-approve btn-block"
              disabled={busy !== undefined || (!!details && !Details)}
              onClick={() => decide({ decision: 'approve' })}
            >
              <Icon name="check" /> {busy === 'approve' ? 'Approving…' : phr ? 'Approve with passkey' : 'Approve'}
            </button>
            <button type="button" class="btn btn-deny btn-block" disabled={busy !== undefined} onClick={() => setDenying(true)}>
              <Icon name="x" /> Deny
            </button>
          </div>
        )
      ) : unknownOutcome ? (
        <UnknownOutcome gone={reread.gone} onRetry={reread.retryNow} />
      ) : (
        <Outcome r={r} status={status} mine={mine} myDevice={session.device_id} />
      )}

      <p class="back">
        <Link href="/requests">Back to requests</Link>
      </p>
    </article>
  );
}

/** Answered on another device, and the answer could not be read (yet). */
function UnknownOutcome({ gone, onRetry }: { gone: boolean; onRetry: () => void }) {
  return (
    <div id="outcome" class="outcome" tabIndex={-1} data-testid="outcome" data-status="unknown">
      <Notice tone="info" title="Answered on another device">
        <p>
          {gone
            ? 'This request was answered on another of your devices. How it ended is no longer available here.'
            : 'This request was answered on another of your devices, but this one couldn’t load the answer yet. Trying again…'}
        </p>
        {!gone && (
          <button type="button" class="btn btn-small" onClick={onRetry}>
            Try again now
          </button>
        )}
      </Notice>
    </div>
  );
}

function Outcome({ r, status, mine, myDevice }: { r: DeviceRequest; status: RequestStatus; mine: Mine | undefined; myDevice: string }) {
  let tone: Tone = 'info';
  let title: string = STATUS_TEXT[status];
  let text: string;
  const elsewhere = !mine && r.decided_by !== myDevice && (status === 'approved' || status === 'denied' || status === 'cancelled');
  if (status === 'expired') {
    tone = 'warning';
    title = 'This request has expired';
    text = `Nothing was signed in. If you still want to sign in to ${r.client}, start again there.`;
  } else if (status === 'withdrawn') {
    title = 'This request was withdrawn';
    text = `${r.client} no longer needs an answer.`;
  } else if (elsewhere) {
    title = `${STATUS_TEXT[status]} on another device`;
    text = 'This request was settled on another of your devices. Nothing more to do here.';
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
    <div id="outcome" class="outcome" tabIndex={-1} data-testid="outcome" data-status={status}>
      <Notice tone={tone} title={title}>
        <p>{text}</p>
      </Notice>
    </div>
  );
}
