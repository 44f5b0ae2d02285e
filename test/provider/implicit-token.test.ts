/**
 * response_type=token, the plain OAuth 2.0 implicit response, with openid-client v5 (under the
 * npm alias openid-client-v5) driving the provider's real login and consent pages: an access
 * token in the fragment, no ID token, no nonce, a short front-channel lifetime.
 */
import { after, before, describe, it } from '../helpers/node-test.ts';
import assert from 'node:assert/strict';
import { createRemoteJWKSet, jwtVerify } from 'jose';
import { Issuer, generators, type BaseClient } from 'openid-client-v5';
import { startTestProvider, type TestProvider } from '../helpers/provider.ts';
import { authorize, authorizationUrl, providerBrowser } from '../helpers/sign-in.ts';
import { responseParams } from '../helpers/browser-fetch.ts';
import { upsertClient } from '../../provider/demo.ts';
import { defaults } from '../../provider/defaults.ts';

const REDIRECT = 'http://localhost:8080/implicit';

describe('response_type=token (OAuth 2.0 implicit) with openid-client v5', () => {
  let p: TestProvider;
  let issuer: Issuer<BaseClient>;
  let rp: BaseClient;

  before(async () => {
    p = await startTestProvider();
    await upsertClient(p.ctx, {
      client_id: 'implicit-app',
      client_name: 'Implicit App',
      token_endpoint_auth_method: 'none',
      redirect_uris: [REDIRECT],
      response_types: ['token'],
      grant_types: ['implicit'],
      scope: 'openid profile api',
    });
    issuer = await Issuer.discover(p.issuer);
    rp = new issuer.Client({ client_id: 'implicit-app', token_endpoint_auth_method: 'none', redirect_uris: [REDIRECT], response_types: ['token'] });
  });
  after(() => p?.stop());

  it('is listed in discovery', () => {
    assert.ok((issuer.metadata.response_types_supported as string[]).includes('token'));
  });

  it('signs in through the pages and returns an access token in the fragment, without ID token or nonce', async () => {
    const state = generators.state();
    const url = rp.authorizationUrl({ response_type: 'token', scope: 'profile api', state });
    assert.equal(new URL(url).searchParams.get('nonce'), null);
    const page = await authorize(providerBrowser(p.issuer), url);
    assert.ok(page.location?.hash, 'the response is in the fragment');
    assert.equal(page.location!.search, '');
    const raw = Object.fromEntries(responseParams(page));
    assert.equal(raw.id_token, undefined);
    assert.equal(raw.code, undefined);
    assert.equal(raw.iss, p.issuer);
    assert.match(raw.session_state ?? '', /^[0-9a-f]{64}\.[A-Za-z0-9_-]+$/);

    const tokenSet = await rp.oauthCallback(REDIRECT, raw, { state, response_type: 'token' });
    assert.equal(tokenSet.token_type, 'Bearer');
    assert.ok(tokenSet.expires_in! <= defaults.frontChannelAccessTokenTtl && tokenSet.expires_in! > defaults.frontChannelAccessTokenTtl - 5);

    const { payload } = await jwtVerify(tokenSet.access_token!, createRemoteJWKSet(new URL(issuer.metadata.jwks_uri!)), { issuer: p.issuer });
    assert.equal(payload.exp! - payload.iat!, defaults.frontChannelAccessTokenTtl, "front-channel lifetime, not the token endpoint's");
    assert.equal(payload.client_id, 'implicit-app');
    assert.equal(payload.scope, 'profile api');
  });

  it('offline_access is never granted through the front channel', async () => {
    await upsertClient(p.ctx, {
      client_id: 'implicit-offline',
      token_endpoint_auth_method: 'none',
      redirect_uris: [REDIRECT],
      response_types: ['token'],
      grant_types: ['implicit'],
      scope: 'profile offline_access',
    });
    const page = await authorize(
      providerBrowser(p.issuer),
      authorizationUrl(p.issuer, { client_id: 'implicit-offline', redirect_uri: REDIRECT, response_type: 'token', scope: 'profile offline_access' }),
    );
    const raw = Object.fromEntries(responseParams(page));
    assert.ok(raw.access_token);
    assert.equal(raw.refresh_token, undefined);
    const claims = JSON.parse(Buffer.from(raw.access_token!.split('.')[1]!, 'base64url').toString()) as { scope: string };
    assert.equal(claims.scope, 'profile');
  });

  it('a client that did not register token gets unauthorized_client; query mode is refused', async () => {
    const refused = await providerBrowser(p.issuer).get(authorizationUrl(p.issuer, { response_type: 'token', state: 's' }));
    assert.equal(Object.fromEntries(responseParams(refused)).error, 'unauthorized_client');
    const query = await providerBrowser(p.issuer).get(rp.authorizationUrl({ response_type: 'token', scope: 'profile', response_mode: 'query' }));
    assert.equal(Object.fromEntries(responseParams(query)).error, 'invalid_request');
  });
});
