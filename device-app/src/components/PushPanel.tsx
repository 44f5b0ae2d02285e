/**
 * Push health for this device: permission, this browser's subscription, the entity's view of it,
 * when the last push arrived, and a test notification.
 */
import { useCallback, useEffect, useState } from 'preact/hooks';
import type { EntityConfig, PushStatus } from '../../../shared/entity-api.ts';
import { describeError } from '../lib/api.ts';
import { when } from '../lib/format.ts';
import { idbGet, KEYS } from '../lib/idb.ts';
import { enablePush, permission, pushSupported, syncPush } from '../lib/push.ts';
import { hasLocalSubscription, pushStatus, sendTestPush } from '../lib/push-settings.ts';
import type { Session } from '../lib/session.ts';
import { IosInstallHint } from './IosInstallHint.tsx';
import { Notice } from './Notice.tsx';

interface Health {
  readonly permission: NotificationPermission | 'unsupported';
  readonly local: boolean;
  readonly server?: PushStatus;
  readonly serverError?: string;
  /** Epoch ms of the last push this device received. */
  readonly lastReceived?: number;
}

const PERMISSION_TEXT: Record<Health['permission'], string> = {
  granted: 'Allowed',
  denied: 'Blocked in browser settings',
  default: 'Not asked yet',
  unsupported: 'Not available in this browser',
};

export function PushPanel({ session, config }: { session: Session; config: EntityConfig }) {
  const [health, setHealth] = useState<Health>();
  const [busy, setBusy] = useState<'enable' | 'test' | undefined>();
  const [message, setMessage] = useState<{ tone: 'success' | 'danger' | 'info'; text: string }>();

  const check = useCallback(async () => {
    const [local, lastReceived, server] = await Promise.all([
      pushSupported() ? hasLocalSubscription() : Promise.resolve(false),
      idbGet<number>(KEYS.lastPush),
      pushStatus(session).then(
        (s) => ({ s }),
        (e: unknown) => ({ e: describeError(e) }),
      ),
    ]);
    setHealth({
      permission: permission(),
      local,
      ...('s' in server ? { server: server.s } : { serverError: server.e }),
      ...(lastReceived ? { lastReceived } : {}),
    });
  }, [session]);

  useEffect(() => {
    void check();
  }, [check]);

  async function enable() {
    setBusy('enable');
    setMessage(undefined);
    try {
      const result = await enablePush(session, config);
      setMessage(
        result === 'granted'
          ? { tone: 'success', text: 'Notifications are on for this device.' }
          : { tone: 'info', text: 'Notifications stay off. You can still open Nod to see requests.' },
      );
    } catch (e) {
      setMessage({ tone: 'danger', text: describeError(e) });
    } finally {
      setBusy(undefined);
      void check();
    }
  }

  async function test() {
    setBusy('test');
    setMessage(undefined);
    try {
      await syncPush(session, config);
      await sendTestPush(session);
      setMessage({ tone: 'success', text: 'Test notification sent. It should appear within a few seconds.' });
    } catch (e) {
      setMessage({ tone: 'danger', text: describeError(e) });
    } finally {
      setBusy(undefined);
      setTimeout(() => void check(), 3000);
    }
  }

  const h = health;
  return (
    <div class="push-panel">
      <dl class="facts">
        <div>
          <dt>Permission</dt>
          <dd data-testid="push-permission">{h ? PERMISSION_TEXT[h.permission] : 'Checking…'}</dd>
        </div>
        <div>
          <dt>Subscription</dt>
          <dd>{h ? (h.local ? 'This browser is subscribed' : 'Not subscribed') : 'Checking…'}</dd>
        </div>
        <div>
          <dt>Server</dt>
          <dd data-testid="push-server">
            {!h
              ? 'Checking…'
              : h.serverError
                ? `Unknown (${h.serverError})`
                : h.server?.subscribed
                  ? 'Has this device’s subscription'
                  : 'No subscription for this device'}
          </dd>
        </div>
        <div>
          <dt>Last push sent</dt>
          <dd>{!h ? 'Checking…' : h.server?.last_push_at ? when(h.server.last_push_at) : 'None yet'}</dd>
        </div>
        <div>
          <dt>Last push received</dt>
          <dd data-testid="push-received">{!h ? 'Checking…' : h.lastReceived ? when(h.lastReceived / 1000) : 'None yet'}</dd>
        </div>
        {h?.server?.last_error && (
          <div>
            <dt>Last problem</dt>
            <dd>{h.server.last_error}</dd>
          </div>
        )}
      </dl>
      {message && <Notice tone={message.tone}>{message.text}</Notice>}
      {h?.permission === 'denied' && (
        <Notice tone="warning" live={false}>
          Notifications are blocked for Nod. Allow them in your browser’s site settings, then come back.
        </Notice>
      )}
      {h?.permission === 'unsupported' && <IosInstallHint />}
      <div class="actions">
        {h && h.permission !== 'denied' && h.permission !== 'unsupported' && !(h.permission === 'granted' && h.local && h.server?.subscribed) && (
          <button type="button" class="btn btn-primary" onClick={enable} disabled={busy !== undefined}>
            {busy === 'enable' ? 'Turning on…' : 'Turn on notifications'}
          </button>
        )}
        <button type="button" class="btn" onClick={test} disabled={busy !== undefined || !h?.server?.subscribed}>
          {busy === 'test' ? 'Sending…' : 'Send a test notification'}
        </button>
        <button type="button" class="btn btn-quiet" onClick={() => void check()}>
          Check again
        </button>
      </div>
    </div>
  );
}
