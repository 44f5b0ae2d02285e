/**
 * `npm start` as a newcomer runs it (a child process in a temporary data directory): it comes up,
 * answers discovery and both health checks, stops cleanly on SIGTERM with its data on disk, and a
 * second start keeps the same keys and users.
 */
import { after, describe, it } from '../helpers/node-test.ts';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startNod, type System } from './helpers.ts';

const getJson = async (url: string) => {
  const res = await fetch(url);
  assert.equal(res.status, 200, `${url} answers 200`);
  return (await res.json()) as Record<string, unknown>;
};

const kidsOf = async (issuer: string) => ((await getJson(`${issuer}/jwks`)).keys as Array<{ kid: string }>).map((k) => k.kid).sort();

describe('nod start', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'nod-start-test-'));
  let system: System | undefined;
  after(async () => {
    await system?.stop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  let kids: string[] = [];

  it('comes up in demo mode in a new data directory with one banner', async () => {
    system = await startNod(dataDir);
    const out = system.process.stdout;
    assert.equal(out.match(/Stop: Ctrl-C/g)?.length, 1, 'one banner');
    assert.ok(out.includes(`Provider (issuer)   ${system.issuer}`));
    assert.ok(out.includes(`Device app, entity  ${system.serverUrl}`));
    assert.match(out, /DEMO MODE/);
    assert.match(out, /alice \/ wonderland/);
    assert.ok(out.includes(`open ${system.serverUrl} on your phone or in a browser and sign in as alice`));
  });

  it('answers discovery, and /healthz and /readyz on both parts', async () => {
    const discovery = await getJson(`${system!.issuer}/.well-known/openid-configuration`);
    assert.equal(discovery.issuer, system!.issuer);
    assert.ok(String(discovery.backchannel_authentication_endpoint).startsWith(system!.issuer));
    for (const base of [system!.issuer, system!.serverUrl]) {
      assert.equal((await getJson(`${base}/healthz`)).status, 'ok');
      assert.equal((await getJson(`${base}/readyz`)).status, 'ready');
    }
    const config = await getJson(`${system!.serverUrl}/api/config`);
    assert.equal(config.issuer, system!.issuer, 'the app signs in at our provider');
    // The entity serves the device app when it is built (npm test builds it first; the tests never build it themselves).
    if (existsSync(new URL('../../device-app/dist/index.html', import.meta.url))) {
      const app = await fetch(`${system!.serverUrl}/`, { headers: { accept: 'text/html' } });
      assert.equal(app.status, 200);
      assert.match(app.headers.get('content-type') ?? '', /text\/html/);
    }
    kids = await kidsOf(system!.issuer);
    assert.ok(kids.length > 0);
  });

  it('stops cleanly on SIGTERM, with its data on disk', async () => {
    const exit = await system!.stop();
    system = undefined;
    assert.equal(exit.code, 0, `exit code 0 (stderr: ${exit.stderr})`);
    assert.match(exit.stderr, /SIGTERM: stopping/);
    // Each part leaves one snapshot; keys and secrets are records of its store, not files of their own.
    for (const file of ['provider.json', 'server.json']) assert.ok(existsSync(join(dataDir, file)), `${file} written`);
    for (const file of ['keys.json', 'secret.key', 'server-vapid.json']) assert.ok(!existsSync(join(dataDir, file)), `${file} is not a file any more`);
    for (const lock of ['provider.lock', 'server.lock']) assert.ok(!existsSync(join(dataDir, lock)), `${lock} released`);
    const provider = readFileSync(join(dataDir, 'provider.json'), 'utf8');
    assert.ok(provider.includes('"alice"') && provider.includes('"bob"'), 'the demo users are stored');
    assert.ok(provider.includes('"signing-keys"') && provider.includes('"server-secret"'), 'the keys and the server secret are stored');
    assert.ok(readFileSync(join(dataDir, 'server.json'), 'utf8').includes('"vapid"'), 'the VAPID keys are stored');
  });

  it('starts again with the same keys and users', async () => {
    system = await startNod(dataDir);
    assert.deepEqual(await kidsOf(system.issuer), kids, 'same signing keys');
    // alice still exists: a CIBA request for her is accepted (an unknown user gets unknown_user_id).
    const res = await fetch(`${system.issuer}/bc-authorize`, {
      method: 'POST',
      headers: { authorization: `Basic ${Buffer.from('demo-bank:demo-bank-secret').toString('base64')}`, 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ scope: 'openid', login_hint: 'alice', binding_message: 'RESTART' }),
    });
    assert.equal(res.status, 200, await res.clone().text());
    assert.match(system.process.stdout, /DEMO MODE/, 'still announced as demo');
    const exit = await system.stop();
    system = undefined;
    assert.equal(exit.code, 0);
  });
});
