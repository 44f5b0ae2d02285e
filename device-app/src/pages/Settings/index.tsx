/**
 * This device (name, status), push health, the user's other devices (rename, remove), and sign
 * out, which unenrolls this device.
 */
import './style.css';
import { useCallback, useEffect, useState } from 'preact/hooks';
import { DEVICE_NAME_MAX_LENGTH, ENTITY_API, type DeviceInfo } from '../../../../shared/entity-api.ts';
import { Icon } from '../../components/Icon.tsx';
import { Notice } from '../../components/Notice.tsx';
import { LazyPasskeyPanel } from '../../components/LazyPasskeyPanel.tsx';
import { PushPanel } from '../../components/PushPanel.tsx';
import { api, ApiError, describeError } from '../../lib/api.ts';
import { host, when } from '../../lib/format.ts';
import { unsubscribeLocal } from '../../lib/push-settings.ts';
import { useEnrolled } from '../../lib/use-app.ts';
import { useTitle } from '../../lib/use-title.ts';

export function Settings() {
  useTitle('Settings');
  const app = useEnrolled();
  const { session, config } = app;
  const [devices, setDevices] = useState<DeviceInfo[]>();
  const [listError, setListError] = useState<string>();
  const [signingOut, setSigningOut] = useState(false);
  const [signOutError, setSignOutError] = useState<string>();

  const load = useCallback(async () => {
    try {
      const res = await api<DeviceInfo[] | { devices: DeviceInfo[] }>(ENTITY_API.devices, { token: session.device_token });
      setDevices(Array.isArray(res) ? res : res.devices);
      setListError(undefined);
    } catch (e) {
      setListError(describeError(e));
    }
  }, [session]);

  useEffect(() => {
    void load();
  }, [load]);

  async function rename(d: DeviceInfo, name: string) {
    await api(ENTITY_API.device(d.device_id), { method: 'PATCH', token: session.device_token, body: { name } });
    if (d.device_id === session.device_id) await app.updateSession({ ...session, name });
    await load();
  }

  async function remove(d: DeviceInfo) {
    await api(ENTITY_API.device(d.device_id), { method: 'DELETE', token: session.device_token });
    await load();
  }

  async function signOut() {
    setSigningOut(true);
    setSignOutError(undefined);
    try {
      await api(ENTITY_API.device(session.device_id), { method: 'DELETE', token: session.device_token });
    } catch (e) {
      // Already gone at the entity is fine; anything else is worth telling.
      if (!(e instanceof ApiError && (e.status === 404 || e.status === 401))) {
        setSignOutError(describeError(e));
        setSigningOut(false);
        return;
      }
    }
    await unsubscribeLocal().catch(() => undefined);
    await app.forget('This device was signed out and removed. Sign in again to use it.');
  }

  const me = devices?.find((d) => d.current || d.device_id === session.device_id);
  const others = devices?.filter((d) => d !== me) ?? [];

  return (
    <div class="settings">
      <h1>Settings</h1>

      <section class="card" aria-labelledby="this-device">
        <h2 id="this-device">This device</h2>
        <DeviceName
          name={me?.name ?? session.name}
          label="Name of this device"
          onSave={(n) => rename(me ?? ({ device_id: session.device_id } as DeviceInfo), n)}
        />
        <dl class="facts">
          <div>
            <dt>Status</dt>
            <dd data-testid="device-status">
              <Icon name="check" size={16} /> Enrolled and active
            </dd>
          </div>
          <div>
            <dt>Account</dt>
            <dd>{session.user.name ? `${session.user.name} (${session.user.username})` : session.user.username}</dd>
          </div>
          <div>
            <dt>Signed in at</dt>
            <dd>{host(config.issuer)}</dd>
          </div>
          <div>
            <dt>Since</dt>
            <dd>{when(me?.created_at ?? session.enrolled_at / 1000)}</dd>
          </div>
          <div>
            <dt>Signing key</dt>
            <dd>Kept on this device; it can’t be exported</dd>
          </div>
        </dl>
      </section>

      <section class="card" aria-labelledby="passkey-title">
        <h2 id="passkey-title">Approve with a passkey</h2>
        <LazyPasskeyPanel session={session} />
      </section>

      <section class="card" aria-labelledby="push-title">
        <h2 id="push-title">Notifications</h2>
        <PushPanel session={session} config={config} />
      </section>

      <section class="card" aria-labelledby="others-title">
        <h2 id="others-title">Your other devices</h2>
        {listError && <Notice tone="warning">{listError}</Notice>}
        {!devices && !listError && (
          <p class="spinner" role="status">
            Loading devices…
          </p>
        )}
        {devices && others.length === 0 && <p class="muted">No other devices. Set up Nod on another phone to approve from there too.</p>}
        {others.length > 0 && (
          <ul class="device-list">
            {others.map((d) => (
              <li key={d.device_id}>
                <OtherDevice d={d} onRename={(n) => rename(d, n)} onRemove={() => remove(d)} />
              </li>
            ))}
          </ul>
        )}
      </section>

      <section class="card" aria-labelledby="signout-title">
        <h2 id="signout-title">Sign out</h2>
        <p>Signing out removes this device from your account. It will no longer be asked to approve sign-ins, and its key is deleted.</p>
        {signOutError && <Notice tone="danger">{signOutError}</Notice>}
        <button type="button" class="btn btn-danger" onClick={signOut} disabled={signingOut}>
          {signingOut ? 'Signing out…' : 'Sign out and remove this device'}
        </button>
      </section>
    </div>
  );
}

/** A name with an inline rename form. */
function DeviceName({ name, label, onSave }: { name: string; label: string; onSave: (name: string) => Promise<void> }) {
  const [editing, setEditing] = useState(false);
  const [value, setValue] = useState(name);
  const [error, setError] = useState<string>();
  const [busy, setBusy] = useState(false);
  const id = `rename-${label.replace(/\W+/g, '-').toLowerCase()}`;

  async function save(e: Event) {
    e.preventDefault();
    const v = value.trim();
    if (!v) return setError('Enter a name.');
    setBusy(true);
    try {
      await onSave(v);
      setEditing(false);
      setError(undefined);
    } catch (err) {
      setError(describeError(err));
    } finally {
      setBusy(false);
    }
  }

  if (!editing) {
    return (
      <div class="device-name">
        <p class="device-name-text">{name}</p>
        <button
          type="button"
          class="btn btn-small btn-quiet"
          onClick={() => {
            setValue(name);
            setEditing(true);
          }}
          aria-label={`Rename ${name}`}
        >
          Rename
        </button>
      </div>
    );
  }
  return (
    <form class="rename" onSubmit={save}>
      <label for={id}>{label}</label>
      <input
        id={id}
        type="text"
        value={value}
        maxLength={DEVICE_NAME_MAX_LENGTH}
        required
        // biome-ignore lint/a11y/noAutofocus: the field appears because the user just pressed Rename: the caret belongs in it
        autoFocus
        onInput={(e) => setValue((e.currentTarget as HTMLInputElement).value)}
      />
      {error && (
        <p class="field-error" role="alert">
          {error}
        </p>
      )}
      <div class="actions">
        <button type="submit" class="btn btn-primary btn-small" disabled={busy}>
          {busy ? 'Saving…' : 'Save'}
        </button>
        <button type="button" class="btn btn-small btn-quiet" onClick={() => setEditing(false)}>
          Cancel
        </button>
      </div>
    </form>
  );
}

function OtherDevice({ d, onRename, onRemove }: { d: DeviceInfo; onRename: (name: string) => Promise<void>; onRemove: () => Promise<void> }) {
  const [confirming, setConfirming] = useState(false);
  const [error, setError] = useState<string>();
  return (
    <div class="device">
      <DeviceName name={d.name} label={`New name for ${d.name}`} onSave={onRename} />
      <p class="muted device-meta">
        Added {when(d.created_at)}
        {d.last_seen_at ? ` · last active ${when(d.last_seen_at)}` : ''} · {d.push ? 'notifications on' : 'notifications off'}
      </p>
      {error && <Notice tone="danger">{error}</Notice>}
      {confirming ? (
        <fieldset class="confirm" aria-label={`Remove ${d.name}?`}>
          <p>Remove “{d.name}”? It will stop getting requests.</p>
          <div class="actions">
            <button type="button" class="btn btn-danger btn-small" onClick={() => onRemove().catch((e: unknown) => setError(describeError(e)))}>
              Remove
            </button>
            <button type="button" class="btn btn-small btn-quiet" onClick={() => setConfirming(false)}>
              Keep
            </button>
          </div>
        </fieldset>
      ) : (
        <button type="button" class="btn btn-small btn-quiet" onClick={() => setConfirming(true)} aria-label={`Remove ${d.name}`}>
          Remove
        </button>
      )}
    </div>
  );
}
