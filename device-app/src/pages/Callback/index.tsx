/**
 * Back from the provider: redeem the code, make this device's key, enroll it with the entity,
 * then offer notifications (asked from the button, a user gesture).
 */
import { useEffect, useRef, useState } from 'preact/hooks';
import { ENTITY_API, type EnrollRequest, type EnrollResponse } from '../../../../shared/entity-api.ts';
import { IosInstallHint } from '../../components/IosInstallHint.tsx';
import { LazyPasskeyPanel } from '../../components/LazyPasskeyPanel.tsx';
import { Notice } from '../../components/Notice.tsx';
import { api, describeError } from '../../lib/api.ts';
import { generateDeviceKey, publicJwk } from '../../lib/device-key.ts';
import { enablePush, permission, pushSupported, syncPush } from '../../lib/push.ts';
import { navigate } from '../../lib/router.ts';
import type { Session } from '../../lib/session.ts';
import { useApp } from '../../lib/use-app.ts';
import { useTitle } from '../../lib/use-title.ts';

type Step =
  | { readonly kind: 'working'; readonly what: string }
  | { readonly kind: 'ready'; readonly session: Session }
  | { readonly kind: 'failed'; readonly message: string };

export function Callback() {
  useTitle('Signing in');
  const app = useApp();
  const [step, setStep] = useState<Step>({ kind: 'working', what: 'Checking your sign-in…' });
  const started = useRef(false);

  useEffect(() => {
    if (started.current) return;
    const url = new URL(location.href);
    if (!url.searchParams.has('code') && !url.searchParams.has('error')) {
      navigate(app.session ? '/requests' : '/', true);
      return;
    }
    started.current = true;
    void (async () => {
      try {
        const { completeSignIn } = await import('../../lib/auth.ts');
        const { access_token, device_name } = await completeSignIn(url);
        history.replaceState(null, '', '/callback');
        setStep({ kind: 'working', what: 'Securing this device…' });
        const keys = await generateDeviceKey();
        const body: EnrollRequest = { name: device_name, public_key: await publicJwk(keys) };
        const res = await api<EnrollResponse>(ENTITY_API.devices, { method: 'POST', token: access_token, body });
        const session: Session = {
          device_id: res.device_id,
          device_token: res.device_token,
          expires_at: res.expires_at,
          user: res.user,
          name: device_name,
          keys,
          enrolled_at: Date.now(),
        };
        await app.enrolled(session);
        if (app.config) void syncPush(session, app.config).catch(() => undefined);
        setStep({ kind: 'ready', session });
      } catch (e) {
        history.replaceState(null, '', '/callback');
        setStep({ kind: 'failed', message: (e as Error).name === 'SignInError' ? (e as Error).message : describeError(e) });
      }
    })();
  }, []);

  if (step.kind === 'working') {
    return (
      <div class="center" aria-busy="true">
        <h1>Setting up Nod</h1>
        <p class="spinner" role="status">
          {step.what}
        </p>
      </div>
    );
  }
  if (step.kind === 'failed') {
    return (
      <div>
        <h1>Sign-in didn’t finish</h1>
        <Notice tone="danger">{step.message}</Notice>
        <button type="button" class="btn btn-primary" onClick={() => navigate('/', true)}>
          Start again
        </button>
      </div>
    );
  }
  return <Ready session={step.session} />;
}

function Ready({ session }: { session: Session }) {
  const { config } = useApp();
  const [perm, setPerm] = useState(permission());
  const [error, setError] = useState<string>();
  const [busy, setBusy] = useState(false);

  async function turnOn() {
    if (!config) return;
    setBusy(true);
    setError(undefined);
    try {
      setPerm(await enablePush(session, config));
    } catch (e) {
      setError(describeError(e));
      setPerm(permission());
    } finally {
      setBusy(false);
    }
  }

  return (
    <div class="ready">
      <h1>This device is ready</h1>
      <Notice tone="success" title={`Enrolled for ${session.user.name ?? session.user.username}`}>
        <p>“{session.name}” will be asked to approve sign-ins to your account.</p>
      </Notice>
      {pushSupported() && perm === 'default' && (
        <section class="card" aria-labelledby="notify-title">
          <h2 id="notify-title">Turn on notifications</h2>
          <p>So this device can tell you about a sign-in even when Nod is closed.</p>
          <button type="button" class="btn btn-primary btn-block" onClick={turnOn} disabled={busy}>
            {busy ? 'Turning on…' : 'Turn on notifications'}
          </button>
        </section>
      )}
      {perm === 'granted' && <Notice tone="success">Notifications are on.</Notice>}
      {perm === 'denied' && <Notice tone="info">Notifications are off. Open Nod to see requests, or allow notifications in your browser’s settings.</Notice>}
      {error && <Notice tone="danger">{error}</Notice>}
      <section class="card" aria-labelledby="passkey-title">
        <h2 id="passkey-title">Approve with a passkey</h2>
        <LazyPasskeyPanel session={session} />
      </section>
      <IosInstallHint />
      <button type="button" class="btn btn-block" onClick={() => navigate('/requests', true)}>
        Go to requests
      </button>
    </div>
  );
}
