/**
 * Each part alone (`nod provider`, `nod server`), as on two hosts: separate processes and data
 * directories, wired only by NOD_ variables, complete a CIBA approval from the command-line client.
 */
import { after, before, describe, it } from '../helpers/node-test.ts';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { WsClient } from '../entity/helpers.ts';
import type { ServerMessage } from '../../shared/entity-api.ts';
import { enrollDevice, freePort, NodProcess } from './helpers.ts';

describe('nod provider and nod server, each alone', () => {
  const dirs = [mkdtempSync(join(tmpdir(), 'nod-provider-alone-')), mkdtempSync(join(tmpdir(), 'nod-server-alone-'))];
  let provider: NodProcess;
  let server: NodProcess;
  let issuer: string;
  let serverUrl: string;
  let ws: WsClient | undefined;

  before(async () => {
    const [providerPort, serverPort] = [await freePort(), await freePort()];
    issuer = `http://127.0.0.1:${providerPort}`;
    serverUrl = `http://127.0.0.1:${serverPort}`;
    provider = new NodProcess(['provider'], {
      NOD_DATA_DIR: dirs[0],
      NOD_PROVIDER_PORT: String(providerPort),
      NOD_PROVIDER_HOST: '127.0.0.1',
      NOD_ISSUER: issuer,
      NOD_AUTH_CHANNEL_URL: `${serverUrl}/ciba/delegation`,
      NOD_DEVICE_APP_URL: serverUrl,
      NOD_CIBA_INTERVAL: '1',
    });
    server = new NodProcess(['server'], {
      NOD_DATA_DIR: dirs[1],
      NOD_SERVER_PORT: String(serverPort),
      NOD_SERVER_HOST: '127.0.0.1',
      NOD_SERVER_URL: serverUrl,
      NOD_TRUSTED_ISSUERS: issuer,
    });
    await Promise.all([provider.waitFor(/Stop: Ctrl-C/), server.waitFor(/Stop: Ctrl-C/)]);
  });
  after(async () => {
    ws?.close();
    provider?.kill();
    server?.kill();
    await Promise.all([provider?.exited, server?.exited]);
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  });

  it('each prints its own banner and answers its health checks', async () => {
    assert.match(provider.stdout, new RegExp(`Provider \\(issuer\\)\\s+${issuer}`));
    assert.match(provider.stdout, /DEMO MODE/, 'a new provider data directory is a demo');
    assert.match(server.stdout, new RegExp(`Device app, entity\\s+${serverUrl}`));
    assert.ok(server.stdout.includes(`Trusted issuers: ${issuer}`));
    for (const base of [issuer, serverUrl]) {
      for (const path of ['/healthz', '/readyz']) assert.equal((await fetch(base + path)).status, 200, base + path);
    }
  });

  it('complete a CIBA approval across the two processes', async () => {
    const device = await enrollDevice(issuer, serverUrl);
    ws = await device.connect();
    const cli = new NodProcess(['ciba', '--issuer', issuer, '--binding-message', 'TWO HOSTS'], {});
    const messages = await ws.until((m) => m.some((x) => x.type === 'request'));
    const { request } = messages.find((x): x is Extract<ServerMessage, { type: 'request' }> => x.type === 'request')!;
    assert.equal(request.binding_message, 'TWO HOSTS');
    await device.decide(request.id, 'approve');
    const exit = await cli.exited;
    assert.equal(exit.code, 0, exit.stderr);
    assert.match(exit.stdout, /Approved: alice signed in/);
  });

  it('both stop cleanly on SIGTERM', async () => {
    ws?.close();
    ws = undefined;
    provider.kill();
    server.kill();
    const [p, s] = await Promise.all([provider.exited, server.exited]);
    assert.equal(p.code, 0, p.stderr);
    assert.equal(s.code, 0, s.stderr);
  });
});
