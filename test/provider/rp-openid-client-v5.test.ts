/**
 * openid-client v5 (under the npm alias openid-client-v5) for the response types v6 does not
 * handle: id_token token, code token and code id_token token, in fragment and form_post modes.
 * Its callback() checks at_hash, c_hash and s_hash; the tests also check the hashes directly.
 */
import { after, before, describe, it } from '../helpers/node-test.ts';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { Issuer, generators, type BaseClient } from 'openid-client-v5';
import { startTestProvider, type TestProvider } from '../helpers/provider.ts';
import { authorize, providerBrowser } from '../helpers/sign-in.ts';
import { responseParams } from '../helpers/browser-fetch.ts';

const REDIRECT = 'http://localhost:8080/callback';

const leftHalf = (value: string) => createHash('sha256').update(value).digest().subarray(0, 16).toString('base64url');
const claimsOf = (jwt: string) => JSON.parse(Buffer.from(jwt.split('.')[1]!, 'base64url').toString()) as Record<string, unknown>;

describe('openid-client v5 against the provider', () => {
  let p: TestProvider;
  let issuer: Issuer<BaseClient>;

  before(async () => {
    p = await startTestProvider();
    issuer = await Issuer.discover(p.issuer);
  });
  after(() => p?.stop());

  function client(responseType: string): BaseClient {
    return new issuer.Client({ client_id: 'demo-web', client_secret: 'demo-web-secret', redirect_uris: [REDIRECT], response_types: [responseType] });
  }

  /** Runs the flow through the pages and returns v5's validated token set and the raw response. */
  async function run(responseType: string, responseMode?: 'form_post') {
    const c = client(responseType);
    const nonce = generators.nonce();
    const state = generators.state();
    const verifier = generators.codeVerifier();
    const url = c.authorizationUrl({
      scope: 'openid profile email',
      response_type: responseType,
      nonce,
      state,
      ...(responseType.includes('code') ? { code_challenge: generators.codeChallenge(verifier), code_challenge_method: 'S256' } : {}),
      ...(responseMode ? { response_mode: responseMode } : {}),
    });
    const page = await authorize(providerBrowser(p.issuer), url);
    const raw = Object.fromEntries(responseParams(page));
    assert.equal(raw.iss, p.issuer);
    assert.equal(raw.state, state);
    const tokenSet = await c.callback(REDIRECT, raw, {
      nonce,
      state,
      response_type: responseType,
      ...(responseType.includes('code') ? { code_verifier: verifier } : {}),
    });
    return { tokenSet, raw, page, nonce, state };
  }

  it('id_token token: at_hash and s_hash match, access token works at userinfo', async () => {
    const { tokenSet, raw, state } = await run('id_token token');
    assert.equal(raw.code, undefined);
    const claims = claimsOf(raw.id_token!);
    assert.equal(claims.at_hash, leftHalf(raw.access_token!));
    assert.equal(claims.s_hash, leftHalf(state));
    assert.equal(claims.c_hash, undefined);
    assert.equal(raw.token_type, 'Bearer');
    assert.ok(Number(raw.expires_in) <= 600, 'front-channel access tokens are short-lived');
    const info = await client('id_token token').userinfo(tokenSet.access_token!);
    assert.equal(info.sub, tokenSet.claims().sub);
  });

  it('code token: code and front-channel access token; the ID token comes from the token endpoint', async () => {
    const { tokenSet, raw } = await run('code token');
    assert.ok(raw.code && raw.access_token);
    assert.equal(raw.id_token, undefined);
    assert.ok(tokenSet.id_token, 'the token endpoint returns the ID token');
    assert.notEqual(tokenSet.access_token, raw.access_token);
  });

  it('code id_token token: c_hash, at_hash, s_hash and the same nonce from both endpoints', async () => {
    const { tokenSet, raw, state, nonce } = await run('code id_token token');
    const front = claimsOf(raw.id_token!);
    assert.equal(front.c_hash, leftHalf(raw.code!));
    assert.equal(front.at_hash, leftHalf(raw.access_token!));
    assert.equal(front.s_hash, leftHalf(state));
    assert.equal(front.nonce, nonce);
    assert.equal(tokenSet.claims().nonce, nonce);
    assert.equal(tokenSet.claims().sub, front.sub);
  });

  it('code id_token token with response_mode=form_post', async () => {
    const { raw, page } = await run('code id_token token', 'form_post');
    assert.equal(page.status, 200);
    assert.equal(page.forms[0]!.action.href, REDIRECT);
    assert.match(page.headers.get('content-security-policy')!, /form-action [^;]*http:\/\/localhost:8080/);
    assert.match(page.headers.get('content-security-policy')!, /script-src 'self'/);
    assert.match(page.body, /<script src="\/assets\/form-post\.js"><\/script>/);
    assert.ok(raw.code && raw.id_token && raw.access_token);
  });

  it('v5 rejects a response whose ID token does not match the access token (at_hash is checked)', async () => {
    const c = client('id_token token');
    const nonce = generators.nonce();
    const state = generators.state();
    const page = await authorize(providerBrowser(p.issuer), c.authorizationUrl({ scope: 'openid', response_type: 'id_token token', nonce, state }));
    const raw = Object.fromEntries(responseParams(page));
    const other = await run('id_token token');
    await assert.rejects(c.callback(REDIRECT, { ...raw, access_token: other.raw.access_token! }, { nonce, state, response_type: 'id_token token' }), /at_hash/);
  });
});
