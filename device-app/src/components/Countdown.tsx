/** Time left on a request: a clock, a bar, and words for screen readers at calm intervals. */
import { clock, duration } from '../lib/format.ts';
import { Icon } from './Icon.tsx';

export function Countdown({ now, createdAt, expiresAt }: { now: number; createdAt: number; expiresAt: number }) {
  const left = Math.max(0, expiresAt - now);
  const total = Math.max(1, expiresAt - createdAt);
  const low = left <= 20;
  return (
    <div class={`countdown${low ? ' countdown-low' : ''}`}>
      <p class="countdown-text">
        <Icon name="clock" />
        <span role="timer" aria-live="off" aria-label={`Expires in ${duration(left)}`}>
          Expires in <strong>{clock(left)}</strong>
        </span>
        {low && <span class="countdown-soon"> (soon)</span>}
      </p>
      <div class="countdown-bar" aria-hidden="true">
        <div class="countdown-fill" style={{ width: `${Math.min(100, (left / total) * 100)}%` }} />
      </div>
    </div>
  );
}
