/**
 * Guessing limits on the verification page (RFC 8628 section 5.1): per browser a few free
 * mistakes, then a wait between tries, then a refusal for a while; per address a larger budget.
 * Every refusal says when to try again. Addresses are set with X-Forwarded-For (the provider
 * trusts its loopback proxy), so each test has its own.
 */
import { after, before, describe, it } from '../helpers/node-test.ts';
import assert from 'node:assert/strict';
import * as oidc from 'openid-client';
import type { TestProvider } from '../helpers/provider.ts';
import { defaults } from '../../provider/defaults.ts';
import { deviceClient, enterCode, PhoneBrowser, sleep, startDeviceProvider } from './helpers.ts';

/** A syntactically valid code that is not the live one. */
const wrongCode = (live: string, i: number) => {
  const letters = 'BCDFGHJKLMNPQRSTVWXZ';
  const code = `${letters[i % 20]}${letters[(i * 7) % 20]}${letters[(i * 3) % 20]}B-MJHT`;
  return code === live ? 'ZZZZ-ZZZZ' : code;
};

describe('user code guessing limits', () => {
  let p: TestProvider;
  let tv: oidc.Configuration;
  before(async () => {
    p = await startDeviceProvider();
    tv = await deviceClient(p.issuer);
  });
  after(() => p?.stop());

  it('slows a browser down after a few wrong codes, then refuses it for a while, saying when to try again', async () => {
    const r = await oidc.initiateDeviceAuthorization(tv, { scope: 'openid' });
    const phone = new PhoneBrowser(p.issuer, { 'x-forwarded-for': '192.0.2.10' });
    for (let i = 0; i < defaults.userCodeFreeFailures; i++) {
      const page = await enterCode(phone, wrongCode(r.user_code, i));
      assert.equal(page.status, 400);
      assert.match(page.text, /That code is not right/);
      assert.doesNotMatch(page.text, /Wait/);
    }
    const slowed = await enterCode(phone, wrongCode(r.user_code, 10));
    assert.equal(slowed.status, 400);
    assert.match(slowed.text, /That code is not right\. Check the code on your device and try again\. Wait 2 seconds before the next try\./);

    const tooSoon = await enterCode(phone, r.user_code);
    assert.equal(tooSoon.status, 429, 'even the right code must wait');
    assert.match(tooSoon.text, /Too many wrong codes\. Wait \d seconds?, then try again\./);
    assert.ok(Number(tooSoon.headers.get('retry-after')) >= 1);

    for (let i = defaults.userCodeFreeFailures + 1; i < defaults.userCodeMaxFailures; i++) {
      await sleep(defaults.userCodeFailureDelay * 1000 + 100);
      const page = await enterCode(phone, wrongCode(r.user_code, 20 + i));
      if (i < defaults.userCodeMaxFailures - 1) assert.match(page.text, /Wait 2 seconds before the next try/);
      else {
        assert.equal(page.status, 429);
        assert.match(
          page.text,
          /That code is not right\. Check the code on your device and try again\. Too many wrong codes\. For your security, code entry is paused\. Try again in 15 minutes\./,
        );
      }
    }
    await sleep(defaults.userCodeFailureDelay * 1000 + 100);
    const refused = await enterCode(phone, r.user_code);
    assert.equal(refused.status, 429);
    assert.match(refused.text, /code entry is paused\. Try again in 15 minutes\./);
    const retryAfter = Number(refused.headers.get('retry-after'));
    assert.ok(retryAfter > defaults.userCodeBlockTtl - 10 && retryAfter <= defaults.userCodeBlockTtl, `Retry-After ${retryAfter}`);
    assert.match(refused.html, /role="alert"/);

    // Another browser on another network is not affected.
    const other = new PhoneBrowser(p.issuer, { 'x-forwarded-for': '192.0.2.11' });
    const page = await enterCode(other, r.user_code);
    assert.ok(page.url.includes('/login'), 'the right code goes on to sign-in');
  });

  it('refuses an address that tries many codes from fresh browsers', async () => {
    const r = await oidc.initiateDeviceAuthorization(tv, { scope: 'openid' });
    const address = { 'x-forwarded-for': '198.51.100.7' };
    let failures = 0;
    let last: Awaited<ReturnType<typeof enterCode>> | undefined;
    while (failures < defaults.userCodeAddressMaxFailures) {
      const phone = new PhoneBrowser(p.issuer, address); // a new cookie jar each time: the per-browser limit never bites
      last = await enterCode(phone, wrongCode(r.user_code, failures++));
    }
    assert.equal(last!.status, 429);
    assert.match(last!.text, /Try again in 15 minutes/);
    const fresh = await enterCode(new PhoneBrowser(p.issuer, address), r.user_code);
    assert.equal(fresh.status, 429);
    assert.match(fresh.text, /Too many wrong codes\. For your security, code entry is paused\. Try again in 15 minutes\./);
    const elsewhere = await enterCode(new PhoneBrowser(p.issuer, { 'x-forwarded-for': '198.51.100.8' }), r.user_code);
    assert.ok(elsewhere.url.includes('/login'));
  });

  it('does not count a pre-filled page or a malformed entry as a guess', async () => {
    const phone = new PhoneBrowser(p.issuer, { 'x-forwarded-for': '203.0.113.5' });
    for (let i = 0; i < 10; i++) {
      const page = await phone.get(`/device?user_code=${wrongCode('', i)}`);
      assert.equal(page.status, 200);
      const malformed = await enterCode(phone, 'AEIOU-1234');
      assert.equal(malformed.status, 400);
      assert.match(malformed.text, /not a valid code/);
    }
    const r = await oidc.initiateDeviceAuthorization(tv, { scope: 'openid' });
    assert.ok((await enterCode(phone, r.user_code)).url.includes('/login'));
  });
});
