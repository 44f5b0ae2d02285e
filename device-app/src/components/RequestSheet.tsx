/**
 * Requests come to the user: one that arrives while the app is open shows itself at once over
 * whatever screen is open, in a sheet with the client, what it asks to approve (a payment...),
 * the binding message, the countdown, the scopes and the answer (Approve or the number picker,
 * Deny: the request screen's own DecisionPanel). Several queue, newest on top.
 * The request list shows them already, so the sheet stays away there; over a request's own
 * screen it brings only requests newer than the one open. "Later" puts it back in the list. A request answered on another device, expired or withdrawn
 * leaves every screen with a one-line reason ("Approved on Pixel 8", "Withdrawn by Acme Bank").
 */
import './RequestSheet.css';
import { useEffect, useRef, useState } from 'preact/hooks';
import type { DeviceRequest, RequestStatus } from '../../../shared/entity-api.ts';
import { settledLine } from '../lib/format.ts';
import { match } from '../lib/router.ts';
import { useEnrolled } from '../lib/use-app.ts';
import { useFeed } from '../lib/use-feed.ts';
import { useNow } from '../lib/use-now.ts';
import { BindingMessage } from './BindingMessage.tsx';
import { Countdown } from './Countdown.tsx';
import { DecisionPanel, type Mine } from './DecisionPanel.tsx';
import { Icon } from './Icon.tsx';
import { Link } from './Link.tsx';
import { Outcome } from './Outcome.tsx';
import { requestKind, useRequestDetails } from './RequestDetails.tsx';
import { ScopeList } from './ScopeList.tsx';

/** How long a one-line reason stays on screen, ms. */
const LINE_MS = 8000;

export function RequestSheet({ path }: { path: string }) {
  const { feed, session } = useEnrolled();
  const state = useFeed(feed);
  const now = useNow();
  const [later, setLater] = useState<ReadonlySet<string>>(() => new Set());
  const [answered, setAnswered] = useState<{ readonly id: string; readonly mine: Mine }>();
  const onList = path === '/' || path === '/requests';
  const onPage = match('/requests/:id', path)?.id;
  // Newest first: over a request's screen, only those that came after it.
  const opened = onPage ? state.requests.findIndex((r) => r.id === onPage) : -1;
  const newer = opened >= 0 ? state.requests.slice(0, opened) : onPage ? [] : state.requests;
  const queue = newer.filter((r) => r.status === 'pending' && r.expires_at > now && !later.has(r.id));
  const shown = onList ? undefined : answered ? feed.get(answered.id) : queue[0];
  const lines = useSettledLines(state.requests, session.device_id, (id) => id === onPage || id === answered?.id);

  const putOff = (id: string) => setLater((s) => new Set([...s, id]));
  // A new request on top: screen readers hear it, keyboards land in it.
  useEffect(() => {
    if (shown) document.getElementById('sheet-title')?.focus({ preventScroll: true });
  }, [shown?.id]);

  return (
    <>
      <div class="toasts" role="status" aria-live="polite" data-testid="settled-lines">
        {lines.map((l) => (
          <p key={l.id} class="toast" data-testid="settled-line">
            <Icon name="info" size={18} /> {l.text}
          </p>
        ))}
      </div>
      {shown && (
        <Sheet
          r={shown}
          now={now}
          more={queue.filter((r) => r.id !== shown.id).length}
          mine={answered?.id === shown.id ? answered.mine : undefined}
          onDecided={(mine) => setAnswered({ id: shown.id, mine })}
          onLater={() => putOff(shown.id)}
          onClose={() => setAnswered(undefined)}
        />
      )}
    </>
  );
}

function Sheet({
  r,
  now,
  more,
  mine,
  onDecided,
  onLater,
  onClose,
}: {
  r: DeviceRequest;
  now: number;
  more: number;
  mine: Mine | undefined;
  onDecided: (mine: Mine) => void;
  onLater: () => void;
  onClose: () => void;
}) {
  const { session } = useEnrolled();
  const status: RequestStatus = r.status === 'pending' && now >= r.expires_at ? 'expired' : r.status;
  const open = status === 'pending';
  const dismiss = open ? onLater : onClose;
  const kind = requestKind(r);
  const details = useRequestDetails(r);
  return (
    <>
      <div class="sheet-backdrop" aria-hidden="true" onClick={dismiss} />
      <section
        class={`sheet${more ? ' sheet-stacked' : ''}`}
        role="dialog"
        aria-modal="true"
        aria-labelledby="sheet-title"
        data-testid="request-sheet"
        onKeyDown={(e) => e.key === 'Escape' && dismiss()}
      >
        <div class="sheet-grip" aria-hidden="true" />
        <p class="eyebrow">
          {kind.eyebrow}
          {more > 0 && <span data-testid="sheet-more"> · {more} more waiting</span>}
        </p>
        <h2 id="sheet-title" class="sheet-title" tabIndex={-1}>
          {r.client} {kind.asks}
        </h2>
        {details.node}
        <BindingMessage r={r} open={open} />
        {open && <Countdown now={now} createdAt={r.created_at} expiresAt={r.expires_at} />}
        <h3 class="sheet-subhead">It will get</h3>
        <ScopeList r={r} />
        <div class="sheet-answer">
          {open ? (
            // Answered on another device first: the sheet moves on; the one-line reason follows with the entity's message.
            <DecisionPanel r={r} onDecided={onDecided} onSettledElsewhere={onLater} ready={details.ready} />
          ) : (
            <Outcome r={r} status={status} mine={mine} myDevice={session.device_id} />
          )}
        </div>
        <div class="sheet-foot">
          {open ? (
            <>
              <button type="button" class="btn btn-quiet" onClick={onLater}>
                Later
              </button>
              <Link href={`/requests/${encodeURIComponent(r.id)}`} class="btn btn-quiet">
                Details
              </Link>
            </>
          ) : (
            <button type="button" class="btn btn-primary btn-block" onClick={onClose}>
              {more > 0 ? `Close and show the next (${more})` : 'Close'}
            </button>
          )}
        </div>
      </section>
    </>
  );
}

interface Line {
  readonly id: string;
  readonly text: string;
}

/**
 * One-line reasons for requests that stop being pending while the app watches, except those
 * this device answered and those `skip` says are explained elsewhere on screen.
 */
function useSettledLines(requests: readonly DeviceRequest[], me: string, skip: (id: string) => boolean): readonly Line[] {
  const seen = useRef(new Map<string, RequestStatus>());
  const timers = useRef(new Set<ReturnType<typeof setTimeout>>());
  const [lines, setLines] = useState<readonly Line[]>([]);
  useEffect(() => {
    const added: Line[] = [];
    for (const r of requests) {
      const before = seen.current.get(r.id);
      seen.current.set(r.id, r.status);
      if (before === 'pending' && r.status !== 'pending' && r.decided_by !== me && !skip(r.id)) added.push({ id: r.id, text: settledLine(r, me) });
    }
    if (!added.length) return;
    setLines((l) => [...added, ...l.filter((x) => !added.some((a) => a.id === x.id))].slice(0, 3));
    const t = setTimeout(() => {
      timers.current.delete(t);
      setLines((l) => l.filter((x) => !added.some((a) => a.id === x.id)));
    }, LINE_MS);
    timers.current.add(t);
  }, [requests]);
  useEffect(
    () => () => {
      for (const t of timers.current) clearTimeout(t);
    },
    [],
  );
  return lines;
}
