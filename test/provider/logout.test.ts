/**
 * RP-initiated logout: id_token_hint (also expired) signs out at once and returns to the exact
 * registered post_logout_redirect_uri with state; without a hint the user confirms first; a
 * redirect that is not registered is never followed.
 */
import { after, before, describe, it } from '../helpers/node-test.ts';
import assert from 'node:assert/strict';
import { startTestProvider, type TestProvider } from '../helpers/provider.ts';
import { authorizationUrl, authorize, providerBrowser } from '../helpers/sign-in.ts';
import { responseParams, type Browser } from '../helpers/browser-fetch.ts';
import { nowSeconds } from '../../shared/time.ts';

const POST_LOGOUT = 'http://localhost:8080/';

describe('RP-initiated logout', () => {
  let p: TestProvider;

  before(async () => {
    p = await startTestProvider();
  });
  after(() => p?.stop());

  /** A browser signed in as `username`, and its ID token for demo-web. */
  async function signedIn(username = 'alice', password = 'wonderland'): Promise<{ browser: Browser; idToken: string }> {
    const browser = providerBrowser(p.issuer);
    const page = await authorize(browser, authorizationUrl(p.issuer, { response_type: 'id_token', nonce: 'n' }), { username, password });
    return { browser, idToken: responseParams(page).get('id_token')! };
  }

  const logoutUrl = (params: Record<string, string>) => `${p.issuer}/logout?${new URLSearchParams(params)}`;
  const stillSignedIn = async (browser: Browser) => {
    const page = await browser.get(authorizationUrl(p.issuer, { prompt: 'none' }));
    return responseParams(page).get('error') !== 'login_required';
  };

  it('with a valid id_token_hint: signs out and redirects to the registered URI with state', async () => {
    const { browser, idToken } = await signedIn();
    const page = await browser.get(logoutUrl({ id_token_hint: idToken, post_logout_redirect_uri: POST_LOGOUT, state: 'bye' }));
    assert.equal(page.status, 303);
    assert.equal(page.location?.origin + page.location!.pathname, POST_LOGOUT);
    assert.equal(page.location?.searchParams.get('state'), 'bye');
    assert.equal(await stillSignedIn(browser), false);
  });

  it('without a hint: asks "Sign out of Nod?", then signs out and shows a page when no redirect was given', async () => {
    const { browser } = await signedIn();
    const confirm = await browser.get(`${p.issuer}/logout`);
    assert.equal(confirm.status, 200);
    assert.match(confirm.body, /Sign out of Nod\?/);
    assert.equal(await stillSignedIn(browser), true, 'nothing happens before the user confirms');
    const done = await browser.submitForm(confirm, {}, { button: 'Sign out' });
    assert.equal(done.status, 200);
    assert.match(done.body, /You are signed out/);
    assert.equal(await stillSignedIn(browser), false);
  });

  it('without a hint but with client_id: the confirmation keeps the redirect and state', async () => {
    const { browser } = await signedIn();
    const confirm = await browser.get(logoutUrl({ client_id: 'demo-web', post_logout_redirect_uri: POST_LOGOUT, state: 's2' }));
    assert.match(confirm.body, /Demo Web App/);
    const done = await browser.submitForm(confirm, {}, { button: 'Sign out' });
    assert.equal(done.location?.searchParams.get('state'), 's2');
    assert.equal(await stillSignedIn(browser), false);
  });

  it('the confirmation form needs its CSRF token', async () => {
    const { browser } = await signedIn();
    const confirm = await browser.get(`${p.issuer}/logout`);
    const forged = await browser.submitForm(confirm, { csrf: 'x' }, { button: 'Sign out' });
    assert.equal(forged.status, 400);
    assert.equal(await stillSignedIn(browser), true);
  });

  it('an expired id_token_hint still identifies the client and user', async () => {
    const { browser, idToken } = await signedIn();
    const claims = JSON.parse(Buffer.from(idToken.split('.')[1]!, 'base64url').toString());
    const expired = await p.ctx.keys.sign({ ...claims, iat: nowSeconds() - 7200, exp: nowSeconds() - 3600 }, 'RS256');
    const page = await browser.get(logoutUrl({ id_token_hint: expired, post_logout_redirect_uri: POST_LOGOUT }));
    assert.equal(page.location?.href, POST_LOGOUT);
    assert.equal(await stillSignedIn(browser), false);
  });

  it('a post_logout_redirect_uri that is not registered is shown as a page and never followed', async () => {
    const { browser, idToken } = await signedIn();
    for (const uri of ['http://localhost:8080', 'http://localhost:8080/x', 'https://evil.example/']) {
      const page = await browser.get(logoutUrl({ id_token_hint: idToken, post_logout_redirect_uri: uri }));
      assert.equal(page.status, 400);
      assert.equal(page.location, undefined);
    }
    const noClient = await browser.get(logoutUrl({ post_logout_redirect_uri: POST_LOGOUT }));
    assert.equal(noClient.status, 400);
    assert.equal(await stillSignedIn(browser), true);
  });

  it('a hint that is not ours, or for another client than client_id, is refused', async () => {
    const { browser, idToken } = await signedIn();
    const forged = idToken.slice(0, -4) + (idToken.endsWith('AAAA') ? 'BBBB' : 'AAAA');
    assert.equal((await browser.get(logoutUrl({ id_token_hint: forged }))).status, 400);
    assert.equal((await browser.get(logoutUrl({ id_token_hint: idToken, client_id: 'demo-spa' }))).status, 400);
    assert.equal(await stillSignedIn(browser), true);
  });

  it('a hint for another user than the signed-in one asks for confirmation', async () => {
    const bob = await signedIn('bob', 'builder');
    const { browser } = await signedIn();
    const page = await browser.get(logoutUrl({ id_token_hint: bob.idToken, post_logout_redirect_uri: POST_LOGOUT }));
    assert.equal(page.status, 200);
    assert.match(page.body, /Sign out of Nod\?/);
  });

  it('POST works like GET', async () => {
    const { browser, idToken } = await signedIn();
    const page = await browser.post(`${p.issuer}/logout`, { id_token_hint: idToken, post_logout_redirect_uri: POST_LOGOUT, state: 'p' });
    assert.equal(page.location?.searchParams.get('state'), 'p');
  });
});
