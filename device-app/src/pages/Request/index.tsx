/**
 * One request: what it asks to approve first (a payment's amount large, creditor, reference),
 * who asks, the binding message large (what the user compares with the other screen), the
 * scopes in words, the issuer and the time left; Approve (with number matching: tap the number
 * the requester shows; with acr phr: the passkey), or Deny with a reason (components/DecisionPanel.tsx).
 * Once it is expired or settled (here or on another device) the screen says so and the buttons go.
 */
import { useEffect, useState } from 'preact/hooks';
import { ENTITY_API, ENTITY_API_ERRORS, type DeviceRequest, type RequestStatus } from '../../../../shared/entity-api.ts';
import { BindingMessage } from '../../components/BindingMessage.tsx';
import { Countdown } from '../../components/Countdown.tsx';
import { DecisionPanel, type Mine } from '../../components/DecisionPanel.tsx';
import { Link } from '../../components/Link.tsx';
import { Notice } from '../../components/Notice.tsx';
import { Outcome } from '../../components/Outcome.tsx';
import { requestKind, useRequestDetails } from '../../components/RequestDetails.tsx';
import { ScopeList } from '../../components/ScopeList.tsx';
import { api, ApiError, describeError } from '../../lib/api.ts';
import { REQUEST_ASK_WHY } from '../../lib/decide.ts';
import { useSearch } from '../../lib/router.ts';
import { host, when } from '../../lib/format.ts';
import { useEnrolled } from '../../lib/use-app.ts';
import { useFeed } from '../../lib/use-feed.ts';
import { useNow } from '../../lib/use-now.ts';
import { useTitle } from '../../lib/use-title.ts';
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
  const { session } = useEnrolled();
  const [mine, setMine] = useState<Mine>();
  // Opened by the notification's Deny: the reasons show at once (a denial needs one).
  const askWhy = new URLSearchParams(useSearch()).has(REQUEST_ASK_WHY);
  /** Answered on another device (409) but not yet re-read: how it ended is not known here. */
  const [settledElsewhere, setSettledElsewhere] = useState(false);
  const now = useNow(1000, r.status === 'pending');
  const expiredNow = r.status === 'pending' && now >= r.expires_at;
  const status: RequestStatus = expiredNow ? 'expired' : r.status;
  const unknownOutcome = settledElsewhere && status === 'pending';
  const open = status === 'pending' && !settledElsewhere;
  const reread = useReread(r, unknownOutcome);
  const kind = requestKind(r);
  const details = useRequestDetails(r);

  // Move focus to the outcome when the request is settled while on screen.
  useEffect(() => {
    if (!open) document.getElementById(`outcome-${r.id}`)?.focus();
  }, [open]);

  return (
    <article class="request" aria-labelledby="req-title">
      <p class="eyebrow">{kind.eyebrow}</p>
      <h1 id="req-title">
        <span data-testid="client">{r.client}</span> {kind.asks}
      </h1>

      {details.node}

      <BindingMessage r={r} open={open} />

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
            <ScopeList r={r} />
          </dd>
        </div>
        <div>
          <dt>Account at</dt>
          <dd data-testid="issuer">{host(r.issuer)}</dd>
        </div>
        {r.acr_values && (
          <div>
            <dt>Assurance</dt>
            <dd>{requiresPhr(r.acr_values) ? 'Your passkey: fingerprint, face or screen lock' : r.acr_values}</dd>
          </div>
        )}
        <div>
          <dt>Asked at</dt>
          <dd>{when(r.created_at)}</dd>
        </div>
      </dl>

      {open ? (
        <DecisionPanel r={r} onDecided={setMine} onSettledElsewhere={() => setSettledElsewhere(true)} askWhy={askWhy} ready={details.ready} />
      ) : unknownOutcome ? (
        <UnknownOutcome id={r.id} gone={reread.gone} onRetry={reread.retryNow} />
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
function UnknownOutcome({ id, gone, onRetry }: { id: string; gone: boolean; onRetry: () => void }) {
  return (
    <div id={`outcome-${id}`} class="outcome" tabIndex={-1} data-testid="outcome" data-status="unknown">
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
