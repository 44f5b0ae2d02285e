/** Under the list: a one-tap way to turn notifications on, while they are off. */
import { useState } from 'preact/hooks';
import { Notice } from './Notice.tsx';
import { describeError } from '../lib/api.ts';
import { enablePush, permission, pushSupported } from '../lib/push.ts';
import { useEnrolled } from '../lib/use-app.ts';

export function PushNudge() {
  const { session, config } = useEnrolled();
  const [perm, setPerm] = useState(permission());
  const [error, setError] = useState<string>();
  if (!pushSupported() || perm !== 'default') return null;

  async function turnOn() {
    try {
      setPerm(await enablePush(session, config));
    } catch (e) {
      setError(describeError(e));
    }
  }

  return (
    <aside class="card nudge" aria-labelledby="nudge-title">
      <h2 id="nudge-title">Get notified</h2>
      <p>Turn on notifications so this device tells you about a sign-in even when Nod is closed.</p>
      {error && <Notice tone="danger">{error}</Notice>}
      <button type="button" class="btn btn-primary" onClick={turnOn}>
        Turn on notifications
      </button>
    </aside>
  );
}
