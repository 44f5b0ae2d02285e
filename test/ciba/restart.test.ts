/** CIBA across a provider restart: what ping/push clients are owed is not lost. */
import { test } from '../helpers/node-test.ts';
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { startProvider, type RunningProvider } from '../../provider/app.ts';
import { backchannel, cibaClient, decide, poll, Receiver, startCiba, type CibaSetup } from './helpers.ts';
import { testStore } from '../helpers/store.ts';

const NOTIFY_TOKEN = 'restart-notify-token';

interface Scenario {
  readonly s: CibaSetup;
  readonly receiver: Receiver;
  readonly ping: { client_id: string; secret: string };
  /** Starts a ping request for alice; returns its auth_req_id. */
  start(requestedExpiry: string): Promise<string>;
  /** Stops the provider, runs `meanwhile`, and starts it again on the same data, issuer and port. */
  restart(meanwhile: () => Promise<void> | void): Promise<void>;
}

/** A provider with a ping client and its notification receiver; everything is stopped afterwards. */
async function withPingClient(id: string, fn: (sc: Scenario) => Promise<void>): Promise<void> {
  const s = await startCiba();
  const receiver = await Receiver.start('/ciba/notify');
  let again: RunningProvider | undefined;
  try {
    const ping = await cibaClient(s, id, { backchannel_token_delivery_mode: 'ping', backchannel_client_notification_endpoint: receiver.url });
    await fn({
      s,
      receiver,
      ping,
      async start(requestedExpiry) {
        const r = await backchannel(s, ping, {
          scope: 'openid',
          login_hint: 'alice',
          client_notification_token: NOTIFY_TOKEN,
          requested_expiry: requestedExpiry,
        });
        assert.equal(r.status, 200, JSON.stringify(r.body));
        return r.body.auth_req_id as string;
      },
      async restart(meanwhile) {
        const { issuer, port, dataDir } = s.provider;
        await s.provider.close();
        await meanwhile();
        again = await startProvider({ dataDir, ...testStore(dataDir), issuer, port, host: '127.0.0.1', authChannelUrl: s.entity.url });
      },
    });
  } finally {
    await again?.close();
    await receiver.close();
    await s.entity.close();
    rmSync(s.provider.dataDir, { recursive: true, force: true });
  }
}

test('a ping request that expires while the provider is down is notified after the restart', () =>
  withPingClient('ping-restart', async ({ s, receiver, ping, start, restart }) => {
    const authReqId = await start('1');
    await restart(() => new Promise((r) => setTimeout(r, 1300)));
    const note = await receiver.next();
    assert.equal(note.bearer, NOTIFY_TOKEN);
    assert.deepEqual(note.body, { auth_req_id: authReqId });
    assert.equal((await poll(s, ping, authReqId)).body.error, 'expired_token');
  }));

test('a ping still owed when the provider stops is delivered after the restart', () =>
  withPingClient('ping-owed', async ({ s, receiver, ping, start, restart }) => {
    const authReqId = await start('60');
    const delegation = await s.entity.next();
    receiver.answer = () => 'hang';
    assert.equal((await decide(s, delegation.bearer, 'SUCCEED')).status, 200);
    await receiver.next(); // the first attempt is in flight and never answered
    await restart(() => {
      receiver.answer = () => 204;
    });
    const note = await receiver.next();
    assert.deepEqual(note.body, { auth_req_id: authReqId });
    const tokens = await poll(s, ping, authReqId);
    assert.equal(tokens.status, 200, JSON.stringify(tokens.body));
    assert.ok(tokens.body.id_token);
  }));
