/**
 * Phishing-resistant approval in Chromium (phone viewport) with a virtual platform authenticator
 * (CDP WebAuthn.addVirtualAuthenticator, internal transport, user verification): the app offers
 * a passkey at enrollment and creates it; a payment asking acr_values=phr is approved with the
 * passkey and openid-client gets an ID token with acr "phr" and amr hwk + user; with user
 * verification failing, the approval is refused on the phone and nothing is approved; a device
 * that cannot hold a passkey says so plainly, and its user's phr requests are refused at once.
 */
import { test, before, after } from '../helpers/node-test.ts';
import assert from 'node:assert/strict';
import type { BrowserContext, CDPSession, Page } from 'playwright-core';
import * as client from 'openid-client';
import { PAYMENT, jwtPayload } from '../rar/helpers.ts';
import { enroll, phone, pollOutcome, screenshot, startCiba, startStack, type Stack } from './harness.ts';

let stack: Stack;
let context: BrowserContext;
let page: Page;
let cdp: CDPSession;
let authenticatorId: string;

before(async () => {
  stack = await startStack({ appHost: 'localhost' });
  ({ context, page } = await phone(stack));
  cdp = await context.newCDPSession(page);
  await cdp.send('WebAuthn.enable', { enableUI: false });
  ({ authenticatorId } = await cdp.send('WebAuthn.addVirtualAuthenticator', {
    options: {
      protocol: 'ctap2',
      transport: 'internal',
      hasResidentKey: true,
      hasUserVerification: true,
      isUserVerified: true,
      automaticPresenceSimulation: true,
    },
  }));
});

after(async () => {
  await context?.close();
  await stack?.stop();
});

test('enrollment offers a passkey; the app creates it on the platform authenticator with user verification', async () => {
  await enroll(stack, page, {
    deviceName: 'Alice’s phone',
    onReady: async (p) => {
      const panel = p.getByTestId('passkey-panel');
      await panel.getByRole('button', { name: 'Set up a passkey' }).click();
      await panel.getByTestId('passkey-status').filter({ hasText: 'Passkey set up on this device' }).waitFor();
      await screenshot(p, '30-enrolled-with-passkey');
    },
  });
  const { credentials } = await cdp.send('WebAuthn.getCredentials', { authenticatorId });
  assert.equal(credentials.length, 1, 'one credential on the virtual authenticator');
  const devices = (await stack.server.ctx.models.devices.list()).map((d) => d.value);
  assert.ok(await stack.server.ctx.models.passkeys.find(devices[0]!.device_id), 'the entity keeps it against the device');
});

test('a payment asking acr phr is approved with the passkey: ID token acr "phr", amr hwk + user', async () => {
  const auth = await startCiba(stack, 'alice', 'PHR 1', { acr_values: 'phr', authorization_details: JSON.stringify([PAYMENT]) });
  await page.goto(`${stack.app}/requests`);
  await page.getByTestId('request-card').filter({ hasText: 'PHR 1' }).click();
  await page.getByTestId('amount').waitFor();
  const approve = page.getByRole('button', { name: 'Approve with passkey' });
  await approve.scrollIntoViewIfNeeded();
  await screenshot(page, '31-phr-payment');
  const before = (await cdp.send('WebAuthn.getCredentials', { authenticatorId })).credentials[0]!.signCount;
  await approve.click();
  await page.getByTestId('outcome').filter({ hasText: 'Approved' }).waitFor();
  assert.ok((await cdp.send('WebAuthn.getCredentials', { authenticatorId })).credentials[0]!.signCount > before, 'the passkey signed');
  const outcome = await pollOutcome(stack, auth);
  assert.ok(outcome.tokens, `tokens, not ${outcome.error}`);
  const claims = jwtPayload(outcome.tokens.id_token!);
  assert.equal(claims.acr, 'phr');
  assert.deepEqual(claims.amr, ['hwk', 'user']);
  assert.deepEqual(outcome.tokens.authorization_details, [PAYMENT]);
});

test('with user verification failing, the phone refuses the approval and nothing is approved', async () => {
  await cdp.send('WebAuthn.setUserVerified', { authenticatorId, isUserVerified: false });
  try {
    const auth = await startCiba(stack, 'alice', 'PHR 2', { acr_values: 'phr', authorization_details: JSON.stringify([PAYMENT]) });
    await page.goto(`${stack.app}/requests`);
    await page.getByTestId('request-card').filter({ hasText: 'PHR 2' }).click();
    await page.getByRole('button', { name: 'Approve with passkey' }).click();
    const refusal = page.getByRole('alert').filter({ hasText: 'Your answer wasn’t sent' });
    await refusal.waitFor();
    assert.match(await refusal.innerText(), /didn’t confirm it’s you .*nothing was approved/);
    await screenshot(page, '32-phr-refused');
    assert.equal(await page.getByTestId('outcome').count(), 0, 'still open');
    const r = (await stack.server.ctx.models.requests.list()).map((x) => x.value).find((x) => x.binding_message === 'PHR 2');
    assert.equal(r?.status, 'pending', 'the entity settled nothing');
    await page.getByRole('button', { name: 'Deny' }).click();
    await page.getByRole('button', { name: 'I changed my mind' }).click();
    await page.getByTestId('outcome').waitFor();
    assert.equal((await pollOutcome(stack, auth)).error, 'access_denied');
  } finally {
    await cdp.send('WebAuthn.setUserVerified', { authenticatorId, isUserVerified: true });
  }
});

test('a device that cannot hold a passkey says so; its user’s phr requests get access_denied at once', async () => {
  const other = await phone(stack);
  try {
    // A platform authenticator without user verification: not good enough for phr.
    const session = await other.context.newCDPSession(other.page);
    await session.send('WebAuthn.enable', { enableUI: false });
    await session.send('WebAuthn.addVirtualAuthenticator', {
      options: { protocol: 'ctap2', transport: 'internal', hasResidentKey: true, hasUserVerification: false, automaticPresenceSimulation: true },
    });
    await enroll(stack, other.page, {
      username: 'bob',
      password: 'builder',
      deviceName: 'Bob’s old phone',
      onReady: async (p) => {
        await p.getByText('This device can’t hold a passkey').waitFor();
        await screenshot(p, '33-no-passkey-possible');
      },
    });
    await assert.rejects(
      client.initiateBackchannelAuthentication(stack.bank, { scope: 'openid', login_hint: 'bob', acr_values: 'phr' }),
      (e) => (e as { error?: string }).error === 'access_denied' && /passkey/.test((e as { error_description?: string }).error_description ?? ''),
    );
  } finally {
    await other.context.close();
  }
});
