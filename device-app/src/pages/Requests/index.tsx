/** The pending requests, live over the WebSocket, with pull and button refresh as fallbacks. */
import { useCallback } from 'preact/hooks';
import type { DeviceRequest } from '../../../../shared/entity-api.ts';
import { Icon } from '../../components/Icon.tsx';
import { Link } from '../../components/Link.tsx';
import { Notice } from '../../components/Notice.tsx';
import { PushNudge } from '../../components/PushNudge.tsx';
import type { Connection } from '../../lib/feed.ts';
import { at, clock, settledLine, STATUS_TEXT } from '../../lib/format.ts';
import { useEnrolled } from '../../lib/use-app.ts';
import { useFeed } from '../../lib/use-feed.ts';
import { useNow } from '../../lib/use-now.ts';
import { usePullRefresh } from '../../lib/use-pull-refresh.ts';
import { useTitle } from '../../lib/use-title.ts';
import { paymentSummary } from '../../../../shared/payment_summary.ts';

const CONNECTION_TEXT: Record<Connection, string> = {
  connecting: 'Connecting…',
  live: 'Live',
  reconnecting: 'Reconnecting…',
  offline: 'Offline',
};

export function Requests() {
  useTitle('Requests');
  const { feed, session } = useEnrolled();
  const state = useFeed(feed);
  const now = useNow();
  const refresh = useCallback(() => void feed.refresh(), [feed]);
  const pull = usePullRefresh(refresh);

  const pending = state.requests.filter((r) => r.status === 'pending' && r.expires_at > now);
  const earlier = state.requests.filter((r) => !pending.includes(r)).slice(0, 10);

  return (
    <div>
      {pull.pulled > 0 && (
        <p class="pull" style={{ height: `${pull.pulled}px` }} aria-hidden="true">
          {pull.armed ? 'Release to refresh' : 'Pull to refresh'}
        </p>
      )}
      <div class="page-head">
        <h1>Requests</h1>
        <div class="page-head-tools">
          <p class={`conn conn-${state.connection}`} role="status" data-testid="connection">
            <span class="conn-dot" aria-hidden="true" />
            {CONNECTION_TEXT[state.connection]}
          </p>
          <button type="button" class="btn btn-small" onClick={refresh} disabled={state.loading} aria-label="Refresh requests">
            <Icon name="refresh" size={18} /> <span>{state.loading ? 'Refreshing…' : 'Refresh'}</span>
          </button>
        </div>
      </div>

      {state.error && (
        <Notice tone="warning" title="Couldn’t update the list">
          {state.error}
        </Notice>
      )}

      <section aria-labelledby="waiting-title">
        <h2 id="waiting-title" class="visually-hidden">
          Waiting for you
        </h2>
        {pending.length === 0 ? (
          <div class="empty">
            <Icon name={state.syncedAt ? 'check' : state.error ? 'alert' : 'clock'} size={32} />
            {state.syncedAt ? (
              <>
                <p class="empty-title">Nothing to approve</p>
                <p class="muted">When someone signs in as you, the request appears here right away.</p>
              </>
            ) : state.error ? (
              <>
                <p class="empty-title">Can’t check for requests right now</p>
                <p class="muted">Nod updates this list as soon as the connection is back.</p>
              </>
            ) : (
              <p class="empty-title">Loading requests…</p>
            )}
          </div>
        ) : (
          <ul class="req-list" aria-label="Waiting for you">
            {pending.map((r) => (
              <li key={r.id}>
                <RequestCard r={r} now={now} />
              </li>
            ))}
          </ul>
        )}
      </section>

      <PushNudge />

      {earlier.length > 0 && (
        <section aria-labelledby="earlier-title" class="earlier">
          <h2 id="earlier-title">Earlier</h2>
          <ul class="req-list req-list-quiet">
            {earlier.map((r) => (
              <li key={r.id}>
                <Link href={`/requests/${encodeURIComponent(r.id)}`} class="req-card req-card-quiet">
                  <span class="req-client">{r.client}</span>
                  {r.binding_message && <span class="req-quiet-msg">{r.binding_message}</span>}
                  <span class={`status status-${r.status === 'pending' ? 'expired' : r.status}`}>
                    {r.status === 'pending' || r.status === 'expired' ? STATUS_TEXT.expired : settledLine(r, session.device_id)} · {at(r.created_at)}
                  </span>
                </Link>
              </li>
            ))}
          </ul>
        </section>
      )}
    </div>
  );
}

function RequestCard({ r, now }: { r: DeviceRequest; now: number }) {
  return (
    <Link href={`/requests/${encodeURIComponent(r.id)}`} class="req-card" data-testid="request-card">
      <span class="req-top">
        <span class="req-client">{r.client}</span>
        <span class="req-time">
          <Icon name="clock" size={16} /> <span class="visually-hidden">expires in </span>
          {clock(r.expires_at - now)}
        </span>
      </span>
      {paymentSummary(r.authorization_details) && <span class="req-detail">{paymentSummary(r.authorization_details)}</span>}
      <span class="req-msg">{r.binding_message ?? 'No code sent'}</span>
      <span class="req-cta">
        Review <Icon name="chevron" size={18} />
      </span>
    </Link>
  );
}
