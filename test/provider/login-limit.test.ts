/**
 * Password guessing at the login page, through the real form: an account locks after
 * maxFailedLogins wrong passwords (423 with Retry-After, the right password refused meanwhile,
 * account.locked logged once) and unlocks after its lock time; an address that fails
 * loginAddressMaxFailures times (unknown users too) gets 429 with Retry-After for the window,
 * logged once as login.address_blocked, while other addresses still sign in. The provider
 * trusts X-Forwarded-For from loopback, so each browser says which address it stands for. (The
 * end of the address window is the store counters' contract, test/store/contract.ts.)
 */
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { defaults } from '../../provider/defaults.ts';
import { PATHS } from '../../provider/context.ts';
import { Browser, type Page } from '../helpers/browser-fetch.ts';
import { captureLog } from '../helpers/log-capture.ts';
import { after, before, describe, it } from '../helpers/node-test.ts';
import { startTestProvider, type TestProvider } from '../helpers/provider.ts';

const LOCK = 2;
/** Long enough for 20 failures, each a password hash (hundreds of ms on a loaded machine). */
const WINDOW = 120;

describe('login guessing limits', () => {
  let p: TestProvider;
  const logs = captureLog('provider', 'warn');

  before(async () => {
    p = await startTestProvider({ log: logs.log, ttls: { accountLockTtl: LOCK, loginAddressWindow: WINDOW } });
  });
  after(() => p?.stop());

  /** Submits the login form as `username` from `address`. */
  async function signIn(address: string, username: string, password: string): Promise<Page> {
    const browser = new Browser({ origins: [p.issuer], headers: { 'x-forwarded-for': address } });
    const page = await browser.get(new URL(PATHS.login, p.issuer));
    return browser.submitForm(page, { username, password });
  }

  it('wrong passwords lock the account (423, Retry-After, logged once); the right one fails until the lock ends', async () => {
    for (let i = 1; i < defaults.maxFailedLogins; i++) {
      const page = await signIn('10.1.0.1', 'bob', 'nope');
      assert.equal(page.status, 401);
      assert.equal(page.headers.get('retry-after'), null);
    }
    const locking = await signIn('10.1.0.1', 'bob', 'nope');
    assert.equal(locking.status, 423);
    assert.match(locking.body, /This account is locked/);
    assert.equal(locking.headers.get('retry-after'), String(LOCK));
    const right = await signIn('10.1.0.2', 'bob', 'builder');
    assert.equal(right.status, 423, 'the right password during the lock, even from elsewhere, is refused');
    assert.ok(Number(right.headers.get('retry-after')) >= 1);
    const events = logs.events('account.locked');
    assert.equal(events.length, 1);
    assert.ok(!JSON.stringify(logs.lines).includes('nope'), 'no password in the logs');
    await sleep(LOCK * 1000 + 1100);
    const later = await signIn('10.1.0.2', 'bob', 'builder');
    assert.equal(later.status, 200, later.body.slice(0, 300));
    assert.match(later.body, /You are signed in as bob/);
  });

  it('an address with too many failures gets 429 with Retry-After (logged once); other addresses sign in', async () => {
    const address = '10.1.1.1';
    for (let i = 0; i < defaults.loginAddressMaxFailures; i++) assert.equal((await signIn(address, `nobody-${i}`, 'nope')).status, 401);
    const blocked = await signIn(address, 'alice', 'wonderland');
    assert.equal(blocked.status, 429);
    assert.match(blocked.body, /Too many failed sign-ins from this network/);
    const retryAfter = Number(blocked.headers.get('retry-after'));
    assert.ok(retryAfter >= 1 && retryAfter <= WINDOW, `Retry-After ${retryAfter}`);
    assert.equal((await signIn(address, 'alice', 'wonderland')).status, 429);
    assert.deepEqual(
      logs.events('login.address_blocked').map((l) => l.address),
      [address],
      'logged once, for that address',
    );
    assert.equal((await signIn('10.1.1.2', 'alice', 'wonderland')).status, 200);
  });
});
