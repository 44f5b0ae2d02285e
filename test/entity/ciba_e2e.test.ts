/**
 * CIBA end to end on loopback: our provider + the entity + simulated devices, with a real
 * relying party (openid-client v6, poll mode, demo-bank). The device signs its decisions with a
 * non-extractable WebCrypto key like the app.
 */
import { test, before, after } from '../helpers/node-test.ts';
import { Teardown } from '../helpers/teardown.ts';
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import * as client from 'openid-client';
import { decodeJwt } from 'jose';
import { startTestProvider, type TestProvider } from '../helpers/provider.ts';
import { signInDeviceApp } from '../helpers/device-app-sign-in.ts';
import { startProvider } from '../../provider/app.ts';
import type { ServerMessage } from '../../shared/entity-api.ts';
import { freePort, nextEvent, SimDevice, startTestServer, type TestServer, type WsClient } from './helpers.ts';
import { testStore } from '../helpers/store.ts';

let provider: TestProvider;
let server: TestServer;
let rp: client.Configuration;
const devices: Record<string, SimDevice> = {};
const sockets: Record<string, WsClient> = {};
const subs: Record<string, string> = {};

/** The device app's provider access token, from the real code + PKCE sign-in. */
async function deviceAppAccessToken(username: string): Promise<string> {
  const password = username === 'alice' ? 'wonderland' : 'builder';
  return (await signInDeviceApp(provider.issuer, username, password)).accessToken;
}

const teardown = new Teardown();

before(async () => {
  const port = await freePort();
  provider = teardown.add(
    await startTestProvider({ authChannelUrl: `http://127.0.0.1:${port}/ciba/delegation`, ciba: { expiresIn: 30, maxExpiresIn: 600, interval: 1 } }),
    // The provider of the moment: a test restarts it.
    () => provider.stop(),
  );
  server = teardown.add(await startTestServer({ port, url: `http://127.0.0.1:${port}`, trustedIssuers: [provider.issuer] }), (x) => x.stop());
  rp = await client.discovery(new URL(provider.issuer), 'demo-bank', undefined, client.ClientSecretBasic('demo-bank-secret'), {
    execute: [client.allowInsecureRequests],
  });
  for (const [name, username] of [
    ['alicePhone', 'alice'],
    ['bobPhone', 'bob'],
    ['bobTablet', 'bob'],
  ] as const) {
    devices[name] = await SimDevice.create(server.url);
    const res = await devices[name].enroll(await deviceAppAccessToken(username), name);
    assert.equal(res.status, 201, await res.clone().text());
    subs[username] = devices[name].enrollment!.user.sub;
    assert.equal(devices[name].enrollment!.user.username, username);
    sockets[name] = await devices[name].connect();
  }
});

after(async () => {
  for (const s of Object.values(sockets)) s.close();
  await teardown.run();
});

/** Starts CIBA at the provider and waits until the device's socket shows the request. */
async function start(login_hint: string, deviceName: string, params: Record<string, string> = {}) {
  const binding_message = `T${Math.random().toString(36).slice(2, 7).toUpperCase()}`;
  const auth = await client.initiateBackchannelAuthentication(rp, { scope: 'openid profile', login_hint, binding_message, ...params });
  const msgs = await sockets[deviceName]!.until((m) => m.some((x) => x.type === 'request' && x.request.binding_message === binding_message));
  const msg = msgs.find((x) => x.type === 'request' && x.request.binding_message === binding_message) as Extract<ServerMessage, { type: 'request' }>;
  assert.equal(msg.request.client, 'Acme Bank');
  assert.equal(msg.request.client_id, 'demo-bank');
  assert.equal(msg.request.issuer, provider.issuer);
  return { auth, id: msg.request.id };
}

async function pollError(auth: client.BackchannelAuthenticationResponse): Promise<string> {
  try {
    await client.pollBackchannelAuthenticationGrant(rp, auth);
  } catch (e) {
    return (e as { error?: string }).error ?? String(e);
  }
  return 'no error';
}

test('approve on the device completes the client flow with tokens for the user', async () => {
  const { auth, id } = await start('alice', 'alicePhone');
  const res = await devices.alicePhone!.decide(id, 'approve');
  assert.equal(res.status, 200);
  const tokens = await client.pollBackchannelAuthenticationGrant(rp, auth);
  assert.ok(tokens.access_token);
  assert.equal(decodeJwt(tokens.id_token!).sub, subs.alice);
});

for (const reason of ['not_me', 'changed_mind'] as const) {
  test(`deny (${reason}) ends as access_denied at the client`, async () => {
    const { auth, id } = await start('alice', 'alicePhone');
    const delivered = nextEvent<{ id: string; status: string }>(server, 'request.delivered', (e) => e.id === id);
    assert.equal((await devices.alicePhone!.decide(id, 'deny', reason)).status, 200);
    assert.equal((await delivered).status, reason === 'not_me' ? 'UNAUTHORIZED' : 'CANCELLED');
    assert.equal(await pollError(auth), 'access_denied');
  });
}

test('an unanswered request expires on the device and at the client', async () => {
  const { auth, id } = await start('bob', 'bobPhone', { requested_expiry: '2' });
  await sockets.bobTablet!.until((m) => m.some((x) => x.type === 'settled' && x.id === id && x.status === 'expired'), 6000);
  assert.equal((await devices.bobPhone!.decide(id, 'approve')).status, 410);
  assert.equal(await pollError(auth), 'expired_token');
});

test('two devices: the first answer wins and the other device is told', async () => {
  const { auth, id } = await start('bob', 'bobPhone');
  await sockets.bobTablet!.until((m) => m.some((x) => x.type === 'request' && x.request.id === id));
  const first = await devices.bobTablet!.decide(id, 'approve');
  const second = await devices.bobPhone!.decide(id, 'deny', 'not_me');
  assert.equal(first.status, 200);
  assert.equal(second.status, 409);
  await sockets.bobPhone!.until((m) => m.some((x) => x.type === 'settled' && x.id === id && x.decided_by === devices.bobTablet!.id));
  const tokens = await client.pollBackchannelAuthenticationGrant(rp, auth);
  assert.equal(decodeJwt(tokens.id_token!).sub, subs.bob);
});

test('the callback is retried while the provider is briefly down, and the client gets its tokens', async () => {
  const { auth, id } = await start('bob', 'bobPhone');
  const port = Number(new URL(provider.issuer).port);
  await provider.close();
  assert.equal((await devices.bobPhone!.decide(id, 'approve')).status, 200);
  await new Promise((r) => setTimeout(r, 1200));
  const stored = await server.ctx.models.requests.find(id);
  assert.equal(stored?.callback?.state, 'pending');
  assert.ok((stored?.callback?.attempts ?? 0) >= 2, 'retried while the provider was down');
  const delivered = nextEvent<{ id: string }>(server, 'request.delivered', (e) => e.id === id);
  const restarted = await startProvider({
    port,
    host: '127.0.0.1',
    issuer: provider.issuer,
    dataDir: provider.dataDir,
    ...testStore(provider.dataDir),
    demo: true,
    authChannelUrl: server.delegationUrl,
    ciba: { expiresIn: 30, maxExpiresIn: 600, interval: 1 },
  });
  const dataDir = provider.dataDir;
  // Registered like the first one, so the restarted provider is stopped after the file's tests.
  provider = teardown.add(
    Object.assign(restarted, {
      dataDir,
      async stop() {
        await restarted.close();
        rmSync(dataDir, { recursive: true, force: true });
      },
    }),
    (x) => x.stop(),
  );
  await delivered;
  const tokens = await client.pollBackchannelAuthenticationGrant(rp, auth);
  assert.equal(decodeJwt(tokens.id_token!).sub, subs.bob);
});
