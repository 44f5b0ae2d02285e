/**
 * The authorization_code and refresh_token grants when something is wrong: wrong PKCE verifier,
 * reused code (the first exchange's tokens are revoked), redirect_uri mismatch, wrong client
 * secret, expired code, another client's code, reuse of a rotated refresh token.
 */
import { after, before, describe, it } from '../helpers/node-test.ts';
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { startTestProvider, type TestProvider } from '../helpers/provider.ts';
import { authorizationUrl, authorize, backChannel, basicAuth, DEMO_WEB_REDIRECT, providerBrowser } from '../helpers/sign-in.ts';
import type { Browser } from '../helpers/browser-fetch.ts';

const TOKEN = '/token';
const INTROSPECT = '/token/introspect';

function pkce() {
  const verifier = randomBytes(32).toString('base64url');
  return { verifier, challenge: createHash('sha256').update(verifier).digest('base64url') };
}

describe('authorization_code grant failures', () => {
  let p: TestProvider;
  let browser: Browser;

  before(async () => {
    p = await startTestProvider({ ttls: { authorizationCodeTtl: 1 } });
    browser = providerBrowser(p.issuer);
  });
  after(() => p?.stop());

  /** A fresh code for demo-web (signed in as alice). */
  async function code(scope = 'openid offline_access') {
    const { verifier, challenge } = pkce();
    const page = await authorize(browser, authorizationUrl(p.issuer, { scope, code_challenge: challenge, code_challenge_method: 'S256', state: 'xyz' }));
    const value = page.location?.searchParams.get('code');
    assert.ok(value, `no code: ${page.status} ${page.location?.href ?? page.body.slice(0, 300)}`);
    return { code: value, verifier };
  }

  const exchange = (c: { code: string; verifier: string }, extra: Record<string, string> = {}, auth?: string | null) =>
    backChannel(
      p.issuer,
      TOKEN,
      { grant_type: 'authorization_code', code: c.code, redirect_uri: DEMO_WEB_REDIRECT, code_verifier: c.verifier, ...extra },
      auth,
    );

  const active = async (token: string) => (await backChannel(p.issuer, INTROSPECT, { token })).json.active;

  it('reads only the parameters the grant declares: an unrecognised one is ignored, a repeated one is invalid_request', async () => {
    // scope is not an authorization_code parameter: it cannot widen what the user approved.
    const c = await code('openid');
    const res = await exchange(c, { scope: 'openid email offline_access', unheard_of: 'x' });
    assert.equal(res.status, 200, JSON.stringify(res.json));
    assert.equal(res.json.scope, 'openid');
    assert.equal(res.json.refresh_token, undefined);
    const twice = await fetch(new URL(TOKEN, p.issuer), {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: basicAuth('demo-web', 'demo-web-secret') },
      body: `grant_type=authorization_code&code=${(await code()).code}&code=again&redirect_uri=${encodeURIComponent(DEMO_WEB_REDIRECT)}`,
    });
    assert.equal(twice.status, 400);
    assert.equal(((await twice.json()) as { error: string }).error, 'invalid_request');
  });

  it('a wrong PKCE verifier is invalid_grant', async () => {
    const c = await code();
    const res = await exchange(c, { code_verifier: pkce().verifier });
    assert.equal(res.status, 400);
    assert.equal(res.json.error, 'invalid_grant');
    const missing = await backChannel(p.issuer, TOKEN, { grant_type: 'authorization_code', code: c.code, redirect_uri: DEMO_WEB_REDIRECT });
    assert.equal(missing.json.error, 'invalid_grant');
  });

  it('a reused code fails and revokes the tokens of the first exchange', async () => {
    const c = await code();
    const first = await exchange(c);
    assert.equal(first.status, 200, JSON.stringify(first.json));
    const at = first.json.access_token as string;
    const rt = first.json.refresh_token as string;
    assert.equal(await active(at), true);
    assert.equal(await active(rt), true);
    const second = await exchange(c);
    assert.equal(second.status, 400);
    assert.equal(second.json.error, 'invalid_grant');
    assert.equal(await active(at), false, 'access token of the first exchange revoked');
    assert.equal(await active(rt), false, 'refresh token of the first exchange revoked');
    const refresh = await backChannel(p.issuer, TOKEN, { grant_type: 'refresh_token', refresh_token: rt });
    assert.equal(refresh.json.error, 'invalid_grant');
  });

  it('a redirect_uri that differs from the authorization request is invalid_grant', async () => {
    const c = await code();
    const res = await exchange(c, { redirect_uri: 'http://127.0.0.1:8080/callback' });
    assert.equal(res.json.error, 'invalid_grant');
    const oneChar = await exchange(c, { redirect_uri: `${DEMO_WEB_REDIRECT}/` });
    assert.equal(oneChar.json.error, 'invalid_grant');
  });

  it('a wrong client secret is invalid_client (401) and does not burn the code', async () => {
    const c = await code();
    const res = await exchange(c, {}, basicAuth('demo-web', 'wrong-secret'));
    assert.equal(res.status, 401);
    assert.equal(res.json.error, 'invalid_client');
    assert.equal((await exchange(c)).status, 200);
  });

  it('another client cannot redeem the code', async () => {
    const c = await code();
    const res = await exchange(c, {}, basicAuth('demo-service', 'demo-service-secret'));
    assert.equal(res.status, 400);
    assert.ok(['invalid_grant', 'unauthorized_client'].includes(res.json.error as string));
    assert.equal((await exchange(c)).status, 200);
  });

  it('an expired code is invalid_grant', async () => {
    const c = await code();
    await sleep(1200);
    const res = await exchange(c);
    assert.equal(res.status, 400);
    assert.equal(res.json.error, 'invalid_grant');
  });

  it('a code_verifier for a request without PKCE is refused', async () => {
    const page = await authorize(browser, authorizationUrl(p.issuer, { state: 'no-pkce' }));
    const res = await exchange({ code: page.location!.searchParams.get('code')!, verifier: pkce().verifier });
    assert.equal(res.json.error, 'invalid_grant');
  });

  it('reuse of a rotated refresh token revokes the whole family', async () => {
    const first = await exchange(await code());
    const rt1 = first.json.refresh_token as string;
    const second = await backChannel(p.issuer, TOKEN, { grant_type: 'refresh_token', refresh_token: rt1 });
    assert.equal(second.status, 200);
    const rt2 = second.json.refresh_token as string;
    const replay = await backChannel(p.issuer, TOKEN, { grant_type: 'refresh_token', refresh_token: rt1 });
    assert.equal(replay.status, 400);
    assert.equal(replay.json.error, 'invalid_grant');
    const next = await backChannel(p.issuer, TOKEN, { grant_type: 'refresh_token', refresh_token: rt2 });
    assert.equal(next.json.error, 'invalid_grant', 'the newest refresh token of the family is dead too');
    assert.equal(await active(second.json.access_token as string), false);
  });
});
