/** First screen: what Nod does, a name for this device, and "Sign in" to enroll it. */
import './style.css';
import { useState } from 'preact/hooks';
import { DEVICE_NAME_MAX_LENGTH } from '../../../../shared/entity-api.ts';
import { IosInstallHint } from '../../components/IosInstallHint.tsx';
import { Icon } from '../../components/Icon.tsx';
import { Notice } from '../../components/Notice.tsx';
import { describeError } from '../../lib/api.ts';
import { host } from '../../lib/format.ts';
import { guessDeviceName } from '../../lib/platform.ts';
import { useApp } from '../../lib/use-app.ts';
import { useTitle } from '../../lib/use-title.ts';

export function Welcome() {
  useTitle('Set up');
  const { config, configError, notice } = useApp();
  const [name, setName] = useState(guessDeviceName);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string>();

  async function submit(e: Event) {
    e.preventDefault();
    if (!config) return;
    setBusy(true);
    setError(undefined);
    try {
      // oauth4webapi is only needed around sign-in: load it on demand.
      const { startSignIn } = await import('../../lib/auth.ts');
      await startSignIn(config, name.trim() || guessDeviceName());
    } catch (err) {
      // fetch() fails with a TypeError when the provider is unreachable (or refuses CORS).
      setError(
        err instanceof TypeError
          ? `Nod couldn’t reach the sign-in service at ${host(config.issuer)}. Check your connection and try again.`
          : describeError(err),
      );
      setBusy(false);
    }
  }

  return (
    <div class="welcome">
      <section class="hero" aria-labelledby="welcome-title">
        <h1 id="welcome-title">Approve sign-ins with a nod</h1>
        <p class="lead">
          When you sign in on a website, a TV or a call with your bank, this device shows you who is asking and a short code. Check the code, then approve or
          deny in one tap.
        </p>
      </section>

      {notice && <Notice tone="warning">{notice}</Notice>}
      {configError && !config && (
        <Notice tone="danger" title="Nod can’t reach its server">
          {configError}
        </Notice>
      )}

      <form class="card" onSubmit={submit} aria-labelledby="setup-title">
        <h2 id="setup-title">Set up this device</h2>
        <label for="device-name">Device name</label>
        <p class="hint" id="device-name-hint">
          Helps you tell your devices apart later.
        </p>
        <input
          id="device-name"
          name="device-name"
          type="text"
          value={name}
          maxLength={DEVICE_NAME_MAX_LENGTH}
          required
          autoComplete="off"
          aria-describedby="device-name-hint"
          onInput={(e) => setName((e.currentTarget as HTMLInputElement).value)}
        />
        {error && <Notice tone="danger">{error}</Notice>}
        <button type="submit" class="btn btn-primary btn-block" disabled={!config || busy}>
          {busy ? 'Opening sign-in…' : 'Sign in'}
        </button>
        {config && (
          <p class="fine">
            You will sign in at <strong>{host(config.issuer)}</strong>.
          </p>
        )}
      </form>

      <IosInstallHint />

      <section class="steps" aria-labelledby="how-title">
        <h2 id="how-title">How it works</h2>
        <ol>
          <li>
            <Icon name="phone" />
            <span>
              <strong>Sign in once</strong> to link this device to your account.
            </span>
          </li>
          <li>
            <Icon name="shield" />
            <span>
              <strong>A key is made on this device.</strong> It can’t be copied, so only this device can approve.
            </span>
          </li>
          <li>
            <Icon name="bell" />
            <span>
              <strong>Get asked</strong> whenever someone signs in as you, and decide.
            </span>
          </li>
        </ol>
      </section>
    </div>
  );
}
