/** CIBA across a provider restart: what ping/push clients are owed is not lost. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { startProvider } from '../../provider/app.ts';
import { backchannel, cibaClient, decide, poll, Receiver, sleep, startCiba } from './helpers.ts';

const NOTIFY_TOKEN = 'restart-notify-token';

test('a ping request that expires while the provider is down is notified after the restart', async () => {
  const s = await startCiba();
  const receiver = await Receiver.start('/ciba/notify');
  try {
    const ping = await cibaClient(s, 'ping-restart', { backchannel_token_delivery_mode: 'ping', backchannel_client_notification_endpoint: receiver.url });
    const r = await backchannel(s, ping, { scope: 'openid', login_hint: 'alice', client_notification_token: NOTIFY_TOKEN, requested_expiry: '1' });
    assert.equal(r.status, 200, JSON.stringify(r.body));
    const authReqId = r.body.auth_req_id as string;
    const { issuer, port, dataDir } = s.provider;
    await s.provider.close();
    await sleep(1300);
    const again = await startProvider({ dataDir, issuer, port, host: '127.0.0.1', authChannelUrl: s.entity.url });
    try {
      const note = await receiver.next();
      assert.equal(note.bearer, NOTIFY_TOKEN);
      assert.deepEqual(note.body, { auth_req_id: authReqId });
      assert.equal((await poll(s, ping, authReqId)).body.error, 'expired_token');
    } finally {
      await again.close();
    }
  } finally {
    await receiver.close();
    await s.entity.close();
    rmSync(s.provider.dataDir, { recursive: true, force: true });
  }
});

test('a ping still owed when the provider stops is delivered after the restart', async () => {
  const s = await startCiba();
  const receiver = await Receiver.start('/ciba/notify');
  try {
    const ping = await cibaClient(s, 'ping-owed', { backchannel_token_delivery_mode: 'ping', backchannel_client_notification_endpoint: receiver.url });
    const r = await backchannel(s, ping, { scope: 'openid', login_hint: 'alice', client_notification_token: NOTIFY_TOKEN, requested_expiry: '60' });
    assert.equal(r.status, 200, JSON.stringify(r.body));
    const authReqId = r.body.auth_req_id as string;
    const delegation = await s.entity.next();
    receiver.answer = () => 'hang';
    assert.equal((await decide(s, delegation.bearer, 'SUCCEED')).status, 200);
    await receiver.next(); // the first attempt is in flight and never answered
    const { issuer, port, dataDir } = s.provider;
    await s.provider.close();
    receiver.answer = () => 204;
    const again = await startProvider({ dataDir, issuer, port, host: '127.0.0.1', authChannelUrl: s.entity.url });
    try {
      const note = await receiver.next();
      assert.deepEqual(note.body, { auth_req_id: authReqId });
      const tokens = await poll(s, ping, authReqId);
      assert.equal(tokens.status, 200, JSON.stringify(tokens.body));
      assert.ok(tokens.body.id_token);
    } finally {
      await again.close();
    }
  } finally {
    await receiver.close();
    await s.entity.close();
    rmSync(s.provider.dataDir, { recursive: true, force: true });
  }
});
