/**
 * openid-client v6 as the relying party of every flow it supports against a real provider:
 * discovery, code + PKCE, refresh, client credentials, introspection, revocation, userinfo,
 * implicit id_token and hybrid code id_token. Login and consent go through the real HTML forms.
 */
import { after, before, describe, it } from '../helpers/node-test.ts';
import assert from 'node:assert/strict';
import * as oidc from 'openid-client';
import { startTestProvider, type TestProvider } from '../helpers/provider.ts';
import { authorize, providerBrowser } from '../helpers/sign-in.ts';

const REDIRECT = 'http://127.0.0.1:8080/callback';

describe('openid-client v6 against the provider', () => {
  let p: TestProvider;
  const webConfig = (...execute: Array<(c: oidc.Configuration) => void>) =>
    oidc.discovery(new URL(p.issuer), 'demo-web', 'demo-web-secret', undefined, { execute: [oidc.allowInsecureRequests, ...execute] });

  before(async () => {
    p = await startTestProvider();
  });
  after(() => p?.stop());

  /** Runs the code flow with PKCE as alice and returns the token response. */
  async function codeFlow(config: oidc.Configuration, scope: string) {
    const verifier = oidc.randomPKCECodeVerifier();
    const state = oidc.randomState();
    const nonce = oidc.randomNonce();
    const url = oidc.buildAuthorizationUrl(config, {
      redirect_uri: REDIRECT,
      scope,
      state,
      nonce,
      code_challenge: await oidc.calculatePKCECodeChallenge(verifier),
      code_challenge_method: 'S256',
    });
    const page = await authorize(providerBrowser(p.issuer), url);
    assert.ok(page.location, `expected a redirect to the client, got ${page.status}: ${page.body.slice(0, 300)}`);
    assert.equal(page.location.searchParams.get('iss'), p.issuer, 'RFC 9207 iss in the response');
    return oidc.authorizationCodeGrant(config, page.location, { pkceCodeVerifier: verifier, expectedState: state, expectedNonce: nonce });
  }

  it('discovers the provider and its metadata is consistent with what is served', async () => {
    const config = await webConfig();
    const meta = config.serverMetadata();
    assert.equal(meta.issuer, p.issuer);
    assert.deepEqual(meta.code_challenge_methods_supported, ['S256']);
    assert.equal(meta.authorization_response_iss_parameter_supported, true);
    assert.ok(meta.grant_types_supported?.includes('authorization_code'));
    assert.ok(meta.response_types_supported?.includes('code id_token token'));
    assert.ok(meta.response_types_supported?.includes('token'), 'the plain OAuth implicit response');
  });

  it('code + PKCE: tokens, ID token claims, userinfo', async () => {
    const config = await webConfig();
    const tokens = await codeFlow(config, 'openid profile email');
    const claims = tokens.claims()!;
    assert.equal(claims.iss, p.issuer);
    assert.equal(claims.aud, 'demo-web');
    assert.equal(claims.acr, 'urn:nod:acr:pwd');
    assert.deepEqual(claims.amr, ['pwd']);
    assert.equal(typeof claims.auth_time, 'number');
    assert.equal(typeof claims.sid, 'string');
    assert.ok(claims.at_hash);
    assert.equal(tokens.refresh_token, undefined, 'no refresh token without offline_access');
    const info = await oidc.fetchUserInfo(config, tokens.access_token, claims.sub);
    assert.equal(info.email, 'alice@example.com');
    assert.equal(info.preferred_username, 'alice');
  });

  it('public client (demo-spa) with PKCE and no secret', async () => {
    const config = await oidc.discovery(new URL(p.issuer), 'demo-spa', undefined, oidc.None(), { execute: [oidc.allowInsecureRequests] });
    const verifier = oidc.randomPKCECodeVerifier();
    const state = oidc.randomState();
    const url = oidc.buildAuthorizationUrl(config, {
      redirect_uri: 'http://localhost:8080/spa',
      scope: 'openid profile',
      state,
      code_challenge: await oidc.calculatePKCECodeChallenge(verifier),
      code_challenge_method: 'S256',
    });
    const page = await authorize(providerBrowser(p.issuer), url);
    const tokens = await oidc.authorizationCodeGrant(config, page.location!, { pkceCodeVerifier: verifier, expectedState: state });
    assert.equal(tokens.claims()!.aud, 'demo-spa');
  });

  it('refresh with offline_access rotates the refresh token', async () => {
    const config = await webConfig();
    const tokens = await codeFlow(config, 'openid profile offline_access');
    assert.ok(tokens.refresh_token, 'offline_access gives a refresh token');
    const refreshed = await oidc.refreshTokenGrant(config, tokens.refresh_token);
    assert.ok(refreshed.refresh_token);
    assert.notEqual(refreshed.refresh_token, tokens.refresh_token);
    assert.equal(refreshed.claims()!.sub, tokens.claims()!.sub);
  });

  it('client credentials (demo-service)', async () => {
    const config = await oidc.discovery(new URL(p.issuer), 'demo-service', 'demo-service-secret', undefined, { execute: [oidc.allowInsecureRequests] });
    const tokens = await oidc.clientCredentialsGrant(config, { scope: 'api' });
    assert.equal(tokens.scope, 'api');
    assert.equal(tokens.id_token, undefined);
    const info = await oidc.tokenIntrospection(config, tokens.access_token);
    assert.equal(info.active, true);
    assert.equal(info.client_id, 'demo-service');
  });

  it('introspection and revocation of access and refresh tokens', async () => {
    const config = await webConfig();
    const tokens = await codeFlow(config, 'openid offline_access');
    const at = await oidc.tokenIntrospection(config, tokens.access_token);
    assert.equal(at.active, true);
    assert.equal(at.username, 'alice');
    const rt = await oidc.tokenIntrospection(config, tokens.refresh_token!, { token_type_hint: 'refresh_token' });
    assert.equal(rt.active, true);
    await oidc.tokenRevocation(config, tokens.refresh_token!);
    assert.equal((await oidc.tokenIntrospection(config, tokens.refresh_token!)).active, false);
    await oidc.tokenRevocation(config, tokens.access_token);
    assert.equal((await oidc.tokenIntrospection(config, tokens.access_token)).active, false);
  });

  it('introspection refuses public clients (a client_id is no credential)', async () => {
    const web = await webConfig();
    const tokens = await codeFlow(web, 'openid');
    const res = await fetch(`${p.issuer}/token/introspect`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ client_id: 'demo-spa', token: tokens.access_token }),
    });
    assert.equal(res.status, 401);
    assert.equal(((await res.json()) as { error: string }).error, 'invalid_client');
    const meta = (await (await fetch(`${p.issuer}/.well-known/openid-configuration`)).json()) as Record<string, string[]>;
    assert.ok(!meta.introspection_endpoint_auth_methods_supported!.includes('none'));
  });

  it('implicit id_token (response in the fragment)', async () => {
    const config = await webConfig(oidc.useIdTokenResponseType);
    const nonce = oidc.randomNonce();
    const state = oidc.randomState();
    const url = oidc.buildAuthorizationUrl(config, { redirect_uri: REDIRECT, scope: 'openid email', nonce, state });
    assert.equal(url.searchParams.get('response_type'), 'id_token');
    const page = await authorize(providerBrowser(p.issuer), url);
    assert.ok(page.location?.hash.includes('id_token='), 'ID token in the fragment');
    const claims = await oidc.implicitAuthentication(config, page.location!, nonce, { expectedState: state });
    assert.equal(claims.nonce, nonce);
    assert.equal(claims.email, 'alice@example.com', 'without an access token the scope claims are in the ID token');
    assert.ok(claims.s_hash, 's_hash because state was sent');
  });

  it('hybrid code id_token: front-channel ID token with c_hash, same nonce from the token endpoint', async () => {
    const config = await webConfig(oidc.useCodeIdTokenResponseType);
    const verifier = oidc.randomPKCECodeVerifier();
    const nonce = oidc.randomNonce();
    const state = oidc.randomState();
    const url = oidc.buildAuthorizationUrl(config, {
      redirect_uri: REDIRECT,
      scope: 'openid profile',
      nonce,
      state,
      code_challenge: await oidc.calculatePKCECodeChallenge(verifier),
      code_challenge_method: 'S256',
    });
    assert.equal(url.searchParams.get('response_type'), 'code id_token');
    const page = await authorize(providerBrowser(p.issuer), url);
    const fragment = new URLSearchParams(page.location!.hash.slice(1));
    const front = JSON.parse(Buffer.from(fragment.get('id_token')!.split('.')[1]!, 'base64url').toString());
    assert.ok(front.c_hash && front.s_hash && front.nonce === nonce);
    const tokens = await oidc.authorizationCodeGrant(config, page.location!, { pkceCodeVerifier: verifier, expectedNonce: nonce, expectedState: state });
    assert.equal(tokens.claims()!.nonce, nonce);
    assert.equal(tokens.claims()!.sub, front.sub);
  });

  it('a second sign-in reuses the session and remembered consent (no pages)', async () => {
    const config = await webConfig();
    const browser = providerBrowser(p.issuer);
    const first = oidc.buildAuthorizationUrl(config, { redirect_uri: REDIRECT, scope: 'openid', nonce: 'n', state: 's1' });
    assert.ok((await authorize(browser, first)).location);
    const again = await browser.get(oidc.buildAuthorizationUrl(config, { redirect_uri: REDIRECT, scope: 'openid', nonce: 'n', state: 's2' }));
    assert.equal(again.location?.searchParams.get('state'), 's2');
    assert.ok(again.location?.searchParams.get('code'));
  });
});
