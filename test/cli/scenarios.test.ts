/**
 * The three scenario clients against a started system (`nod start` as a child process), with a
 * simulated device enrolled at the entity making the user's decision, and the TV's user part on
 * the provider's verification page in a cookie-jar browser. Output and exit codes are checked.
 */
import { after, before, describe, it } from '../helpers/node-test.ts';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runAdmin } from '../../bin/admin.ts';
import { providerBrowser } from '../helpers/sign-in.ts';
import type { Browser, Page } from '../helpers/browser-fetch.ts';
import type { SimDevice, WsClient } from '../entity/helpers.ts';
import type { DeviceRequest, ServerMessage } from '../../shared/entity-api.ts';
import { demoClients } from '../../provider/demo.ts';
import { shownHash } from '../../shared/shown.ts';
import { enrollDevice, freePort, NodProcess, runNod, startNod, type System } from './helpers.ts';

describe('scenario clients', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'nod-cli-test-'));
  let system: System;
  let device: SimDevice;
  let ws: WsClient;
  let notifyPort: number;
  let seen = 0;

  before(async () => {
    // The demo call-center client, registered with a free notification port instead of 8090.
    notifyPort = await freePort();
    const callcenter = demoClients().find((c) => c.client_id === 'demo-callcenter')!;
    const file = join(dataDir, 'callcenter.json');
    writeFileSync(file, JSON.stringify({ ...callcenter, backchannel_client_notification_endpoint: `http://127.0.0.1:${notifyPort}/ciba/notify` }));
    await runAdmin(['clients', 'add', file], { NOD_DATA_DIR: dataDir });
    // These scenarios ask alice more often than the default anti-fatigue limit allows in a minute.
    await runAdmin(['ciba-policy', 'set', '--fatigue-limit', '50'], { NOD_DATA_DIR: dataDir });
    // The same two clients with number matching (backchannel_number_matching).
    const bank = demoClients().find((c) => c.client_id === 'demo-bank')!;
    for (const [metadata, id] of [
      [bank, 'nm-bank'],
      [{ ...callcenter, backchannel_client_notification_endpoint: `http://127.0.0.1:${notifyPort}/ciba/notify` }, 'nm-callcenter'],
    ] as const) {
      const nm = join(dataDir, `${id}.json`);
      writeFileSync(nm, JSON.stringify({ ...metadata, client_id: id, client_secret: `${id}-secret`, backchannel_number_matching: true }));
      await runAdmin(['clients', 'add', nm], { NOD_DATA_DIR: dataDir });
    }
    system = await startNod(dataDir, { NOD_DEMO: '1', NOD_CIBA_INTERVAL: '1', NOD_DEVICE_CODE_INTERVAL: '1', NOD_LOG_LEVEL: 'info' });
    device = await enrollDevice(system.issuer, system.serverUrl);
    ws = await device.connect();
  });
  after(async () => {
    ws?.close();
    await system?.stop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  const common = () => ['--issuer', system.issuer];

  /** The next request the device is told about over its WebSocket. */
  async function nextRequest(): Promise<DeviceRequest> {
    const messages = await ws.until((m) => m.filter((x) => x.type === 'request').length > seen, 15_000);
    const requests = messages.filter((x): x is Extract<ServerMessage, { type: 'request' }> => x.type === 'request');
    return requests[seen++]!.request;
  }

  describe('ciba (phone approval)', () => {
    it('prints the binding message, and the ID token claims once the phone approves (exit 0)', async () => {
      const cli = new NodProcess(['ciba', ...common(), '--binding-message', 'K7QZ'], {});
      const request = await nextRequest();
      assert.equal(request.binding_message, 'K7QZ');
      assert.equal(request.client, 'Acme Bank');
      assert.equal((await device.decide(request.id, 'approve')).status, 200);
      const exit = await cli.exited;
      assert.equal(exit.code, 0, exit.stderr);
      assert.match(exit.stdout, /█/, 'the binding message is drawn big');
      assert.match(exit.stdout, /Approved: alice signed in/);
      assert.match(exit.stdout, /ID token claims:/);
      assert.match(exit.stdout, new RegExp(`iss\\s+${system.issuer}`));
      assert.match(exit.stdout, /aud\s+demo-bank/);
      assert.doesNotMatch(exit.stdout, /eyJ/, 'no token is printed');
    });

    it('--payment "1250.00 EUR ACME GmbH" asks the phone to approve that payment; the granted payment is printed (exit 0)', async () => {
      // Bob's phone: alice's requests are counted by the anti-fatigue limit that the other tests approach.
      const bobPhone = await enrollDevice(system.issuer, system.serverUrl, 'bob', 'builder');
      const bobWs = await bobPhone.connect();
      try {
        const cli = new NodProcess(['ciba', ...common(), '--login-hint', 'bob', '--payment', '1250.00 EUR ACME GmbH', '--binding-message', 'PAY1'], {});
        const messages = await bobWs.until((m) => m.some((x) => x.type === 'request'), 15_000);
        const request = messages.find((x): x is Extract<ServerMessage, { type: 'request' }> => x.type === 'request')!.request;
        assert.deepEqual(request.authorization_details, [
          { type: 'payment_initiation', instructedAmount: { currency: 'EUR', amount: '1250.00' }, creditorName: 'ACME GmbH' },
        ]);
        assert.equal((await bobPhone.decide(request.id, 'approve', undefined, { shown_hash: await shownHash(request) })).status, 200);
        const exit = await cli.exited;
        assert.equal(exit.code, 0, exit.stderr);
        assert.match(exit.stdout, /approve a payment of 1,250\.00 EUR to ACME GmbH/);
        assert.match(exit.stdout, /Approved: bob approved the payment/);
        assert.match(exit.stdout, /Authorization details granted:\n {2}\{"type":"payment_initiation",.*"creditorName":"ACME GmbH"\}/);
      } finally {
        bobWs.close();
      }
    });

    it('exits 1 with access_denied when the phone denies', async () => {
      const cli = new NodProcess(['ciba', ...common()], {});
      const request = await nextRequest();
      assert.match(request.binding_message ?? '', /^[A-Z0-9]{4}$/, 'a random short code by default');
      assert.ok(cli.stdout.includes('Their phone shows this code') || (await cli.waitFor(/Their phone shows/)));
      await device.decide(request.id, 'deny', 'not_me');
      const exit = await cli.exited;
      assert.equal(exit.code, 1);
      assert.match(exit.stderr, /^error: access_denied/m);
      assert.equal(
        exit.stderr
          .trim()
          .split('\n')
          .filter((l) => l.startsWith('error:')).length,
        1,
        'one line of reason',
      );
    });

    it('exits 1 with expired_token when nobody answers in time', async () => {
      const cli = new NodProcess(['ciba', ...common(), '--requested-expiry', '2'], {});
      await nextRequest();
      const exit = await cli.exited;
      assert.equal(exit.code, 1);
      assert.match(exit.stderr, /error: expired_token/);
    });
  });

  describe('tv (device authorization)', () => {
    /** The user's part: open the QR link, confirm the code, sign in, press Approve or Deny. */
    async function userOnPhone(link: string, button: 'Approve' | 'Deny'): Promise<Page> {
      const browser: Browser = providerBrowser(system.issuer);
      let page = await browser.get(link);
      page = await browser.submitForm(page, {}, { button: 'Continue' });
      if (page.forms.some((f) => 'password' in f.fields)) {
        page = await browser.submitForm(page, { username: 'alice', password: 'wonderland' }, { form: (f) => 'password' in f.fields });
      }
      return browser.submitForm(page, {}, { form: (f) => f.buttons.some((b) => b.text === button), button });
    }

    it('prints the code and a QR code, and the claims once the user approves (exit 0)', async () => {
      const cli = new NodProcess(['tv', ...common()], {});
      const [, link] = await cli.waitFor(/Link: (\S+)/);
      assert.match(cli.stdout, /▄|▀|█/, 'a QR code (and the code) drawn in the terminal');
      const code = new URL(link!).searchParams.get('user_code');
      assert.ok(code, 'verification_uri_complete carries the code');
      const done = await userOnPhone(link!, 'Approve');
      assert.equal(done.status, 200);
      const exit = await cli.exited;
      assert.equal(exit.code, 0, exit.stderr);
      assert.match(exit.stdout, /Approved: this TV is signed in/);
      assert.match(exit.stdout, /aud\s+demo-tv/);
      assert.match(exit.stdout, /refresh token/);
    });

    it('exits 1 with access_denied when the user denies', async () => {
      const cli = new NodProcess(['tv', ...common(), '--no-qr'], {});
      const [, link] = await cli.waitFor(/Link: (\S+)/);
      assert.doesNotMatch(cli.stdout, /Or scan this/);
      await userOnPhone(link!, 'Deny');
      const exit = await cli.exited;
      assert.equal(exit.code, 1);
      assert.match(exit.stderr, /error: access_denied/);
    });
  });

  describe('call-center (CIBA ping)', () => {
    it('reports the notification and the tokens once the caller approves (exit 0)', async () => {
      const cli = new NodProcess(['call-center', ...common(), '--notify-port', String(notifyPort), '--binding-message', 'CALL 42'], {});
      const request = await nextRequest();
      assert.equal(request.binding_message, 'CALL 42');
      assert.equal(request.client, 'Acme Call Center');
      await cli.waitFor(/Read this code to the caller/);
      await device.decide(request.id, 'approve');
      const exit = await cli.exited;
      assert.equal(exit.code, 0, exit.stderr);
      assert.match(exit.stdout, /Notification received after [\d.]+ s: fetching the tokens/);
      assert.match(exit.stdout, /Approved: the caller is alice/);
      assert.match(exit.stdout, /aud\s+demo-callcenter/);
    });

    it('exits 1 with access_denied when the caller denies (the ping still arrives)', async () => {
      const cli = new NodProcess(['call-center', ...common(), '--notify-port', String(notifyPort)], {});
      const request = await nextRequest();
      await device.decide(request.id, 'deny', 'changed_mind');
      const exit = await cli.exited;
      assert.equal(exit.code, 1);
      assert.match(exit.stdout, /Notification received/);
      assert.match(exit.stderr, /error: access_denied/);
    });

    it('exits 1 with a one-line reason when the notification port is taken', async () => {
      const { createServer } = await import('node:net');
      const holder = createServer().listen(notifyPort);
      await new Promise((r) => holder.once('listening', r));
      try {
        const exit = await runNod(['call-center', ...common(), '--notify-port', String(notifyPort)]);
        assert.equal(exit.code, 1);
        assert.match(exit.stderr, /^error: port \d+ is in use/);
      } finally {
        holder.close();
      }
    });
  });

  describe('number matching and withdrawal', () => {
    it('ciba prints the number large beside the code; the phone approves with it (exit 0)', async () => {
      const cli = new NodProcess(['ciba', ...common(), '--client-id', 'nm-bank', '--client-secret', 'nm-bank-secret', '--binding-message', 'NM7Q'], {});
      const request = await nextRequest();
      const [, number] = await cli.waitFor(/check the code NM7Q, then tap (\d\d)\./);
      assert.ok(request.number_choices?.includes(number!), `${number} among ${request.number_choices}`);
      assert.match(cli.stdout, /Code\s+Number/, 'labelled, side by side');
      assert.equal((await device.decide(request.id, 'approve', undefined, { number: number! })).status, 200);
      const exit = await cli.exited;
      assert.equal(exit.code, 0, exit.stderr);
      assert.match(exit.stdout, /Approved: alice signed in/);
    });

    it('call-center prints the code and the number to read aloud, and Ctrl-C withdraws the request from the phone (exit 1)', async () => {
      const cli = new NodProcess(
        ['call-center', ...common(), '--client-id', 'nm-callcenter', '--client-secret', 'nm-callcenter-secret', '--notify-port', String(notifyPort)],
        {},
      );
      const request = await nextRequest();
      const [, number] = await cli.waitFor(/Tap the number (\d\d)\."/);
      assert.ok(request.number_choices?.includes(number!));
      await cli.waitFor(/Ctrl-C \(the caller hung up\) withdraws the request/);
      cli.kill('SIGINT');
      // Three processes in a row (the CLI's revocation, the provider's notice, the entity's message): the file's 15 s bound for such chains.
      const told = await ws.until((m) => m.some((x) => x.type === 'settled' && x.id === request.id), 15_000);
      assert.equal((told.find((x) => x.type === 'settled' && x.id === request.id) as { status: string }).status, 'withdrawn');
      const exit = await cli.exited;
      assert.equal(exit.code, 1);
      assert.match(exit.stderr, /^error: interrupted: the request was withdrawn, and the phone no longer asks$/m);
      assert.equal((await device.decide(request.id, 'approve', undefined, { number: number! })).status, 409, 'too late to approve');
    });
  });

  describe('every command', () => {
    for (const command of ['ciba', 'tv', 'call-center']) {
      it(`${command} --help prints the usage with the common options (exit 0)`, async () => {
        const exit = await runNod([command, '--help']);
        assert.equal(exit.code, 0);
        assert.match(exit.stdout, new RegExp(`Usage: nod ${command}`));
        for (const option of ['--issuer', '--client-id', '--client-secret']) assert.ok(exit.stdout.includes(option));
      });

      it(`${command} exits 1 with one line when the provider is unreachable`, async () => {
        const exit = await runNod(
          [command, '--issuer', `http://127.0.0.1:${await freePort()}`, '--notify-port', String(await freePort())].slice(0, command === 'call-center' ? 5 : 3),
        );
        assert.equal(exit.code, 1);
        assert.match(exit.stderr, /^error: cannot use the provider at http:\/\/127\.0\.0\.1:\d+: .+\n$/);
      });
    }

    it('rejects an unknown option with exit code 2', async () => {
      const exit = await runNod(['ciba', '--colour', 'blue']);
      assert.equal(exit.code, 2);
      assert.match(exit.stderr, /^error: .*--colour.*\(see --help\)\n$/);
    });

    it('rejects a --payment it cannot read with exit code 2 and an example', async () => {
      for (const bad of ['1250.00 EUR', 'EUR 1250.00 ACME', '1,250.00 EUR ACME']) {
        const exit = await runNod(['ciba', ...common(), '--payment', bad]);
        assert.equal(exit.code, 2, bad);
        assert.match(exit.stderr, /^error: --payment must be "<amount> <currency> <creditor>", for example "1250\.00 EUR ACME GmbH"/);
      }
    });

    it('refuses a wrong client secret with invalid_client (exit 1)', async () => {
      const exit = await runNod(['ciba', ...common(), '--client-secret', 'wrong']);
      assert.equal(exit.code, 1);
      assert.match(exit.stderr, /error: invalid_client/);
    });
  });

  describe('operator logs', () => {
    it('has one JSON line per event for each step of the scenarios above, without secrets or tokens', () => {
      const lines = system.process.stdout.split('\n').filter((l) => l.startsWith('{'));
      const events = lines.map((l) => JSON.parse(l) as { component: string; event: string; level: string; time: string });
      for (const e of events) assert.ok(e.time && e.level && e.component && e.event, 'every line has time, level, component, event');
      const seenEvents = new Set(events.map((e) => `${e.component} ${e.event}`));
      for (const expected of [
        'provider backchannel_authentication.saved', // request received
        'provider backchannel_authentication.delegated',
        'server request.received',
        'server request.notified',
        'server request.decided',
        'server request.delivered', // the decision reached the provider
        'provider backchannel_authentication.decided',
        'provider backchannel_authentication.notified', // the call center's ping
        'provider backchannel_authentication.delivered',
        'provider backchannel_authentication.expired',
        'server request.expired',
        'provider grant.success', // tokens delivered to the client
        'provider device_authorization.saved',
        'provider device_authorization.approved',
        'provider device_authorization.denied',
        'server device.enrolled',
      ])
        assert.ok(seenEvents.has(expected), `logged: ${expected}`);
      const jtis = (component: string, event: string) =>
        new Set(events.filter((e) => e.component === component && e.event === event).map((e) => (e as unknown as { jti: string }).jti));
      assert.deepEqual(
        jtis('server', 'request.received'),
        jtis('provider', 'backchannel_authentication.delegated'),
        'one jti follows a request across both parts',
      );
      const all = lines.join('\n');
      assert.doesNotMatch(all, /eyJ[\w-]+\./, 'no JWT');
      assert.doesNotMatch(all, /-secret|wonderland|Bearer /, 'no client secret, password or bearer header');
      assert.ok(!all.includes(device.enrollment!.device_token), 'no device token');
    });
  });
});
