/**
 * This device's passkey: some requests (payments) ask to be approved with the user's
 * fingerprint, face or screen lock (acr phr), which needs a passkey the app made on this device.
 * Offered right after enrollment and in Settings; says plainly when the device cannot hold one.
 * Loaded on demand, with lib/passkey.ts.
 */
import { useEffect, useState } from 'preact/hooks';
import type { PasskeyStatus } from '../../../shared/passkey-api.ts';
import { describeError } from '../lib/api.ts';
import { passkeyCapable, passkeyErrorText, passkeyStatus, registerPasskey, removePasskey } from '../lib/passkey.ts';
import type { Session } from '../lib/session.ts';
import { Icon } from './Icon.tsx';
import { Notice } from './Notice.tsx';

type State = { readonly kind: 'checking' } | { readonly kind: 'unsupported' } | { readonly kind: 'known'; readonly status: PasskeyStatus };

export function PasskeyPanel({ session }: { session: Session }) {
  const [state, setState] = useState<State>({ kind: 'checking' });
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string>();

  useEffect(() => {
    void (async () => {
      try {
        const status = await passkeyStatus(session);
        // A registered passkey is shown even if the browser now says it cannot make one.
        setState(status.registered || (await passkeyCapable()) ? { kind: 'known', status } : { kind: 'unsupported' });
      } catch (e) {
        setError(describeError(e));
      }
    })();
  }, [session]);

  async function run(what: 'register' | 'remove') {
    setBusy(true);
    setError(undefined);
    try {
      if (what === 'remove') await removePasskey(session);
      const status: PasskeyStatus = what === 'register' ? await registerPasskey(session) : { registered: false };
      setState({ kind: 'known', status });
    } catch (e) {
      setError(passkeyErrorText(e, 'register') ?? describeError(e));
    } finally {
      setBusy(false);
    }
  }

  return (
    <div class="passkey" data-testid="passkey-panel">
      <p>Some requests, such as payments, ask you to confirm with your fingerprint, face or screen lock. For those, Nod keeps a passkey on this device.</p>
      {state.kind === 'checking' && !error && (
        <p class="spinner" role="status">
          Checking this device…
        </p>
      )}
      {state.kind === 'unsupported' && (
        <Notice tone="info" title="This device can’t hold a passkey">
          <p>Its browser offers no fingerprint, face or screen-lock sign-in. Requests that ask for one can only be approved on another of your devices.</p>
        </Notice>
      )}
      {state.kind === 'known' && state.status.registered && (
        <>
          <p class="passkey-on" data-testid="passkey-status">
            <Icon name="check" size={16} /> Passkey set up on this device
          </p>
          <button type="button" class="btn btn-small btn-quiet" disabled={busy} onClick={() => run('remove')}>
            {busy ? 'Removing…' : 'Remove passkey'}
          </button>
        </>
      )}
      {state.kind === 'known' && !state.status.registered && (
        <button type="button" class="btn btn-primary btn-block" disabled={busy} onClick={() => run('register')}>
          {busy ? 'Waiting for your phone…' : 'Set up a passkey'}
        </button>
      )}
      {error && <Notice tone="danger">{error}</Notice>}
    </div>
  );
}
