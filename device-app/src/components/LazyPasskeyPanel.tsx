/** PasskeyPanel, loaded when a screen shows it (it brings the WebAuthn code along). */
import { useLazy } from '../lib/use-lazy.ts';
import type { Session } from '../lib/session.ts';

export function LazyPasskeyPanel({ session }: { session: Session }) {
  const mod = useLazy(() => import('./PasskeyPanel.tsx'));
  return mod ? (
    <mod.PasskeyPanel session={session} />
  ) : (
    <p class="spinner" role="status">
      Loading…
    </p>
  );
}
