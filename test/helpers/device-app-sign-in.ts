/**
 * Signs a user in as the device app does: authorization code + PKCE as the public client
 * nod-device-app, through the provider's real login (and consent) pages, and the code exchanged
 * by openid-client. Returns the provider's access token the app presents to the entity.
 */
import * as oidc from 'openid-client';
import { decodeJwt } from 'jose';
import { DEVICE_APP_CLIENT_ID } from '../../shared/constants.ts';
import { responseParams } from './browser-fetch.ts';
import { authorize, providerBrowser } from './sign-in.ts';

export interface DeviceAppSignIn {
  readonly accessToken: string;
  readonly sub: string;
  /** The grant id the access token hangs from (claim `gid`). */
  readonly grantId: string;
}

/**
 * `redirectUri` must be registered for nod-device-app: the demo seed registers
 * `${NOD_DEVICE_APP_URL}/callback` (default http://localhost:3001/callback).
 */
export async function signInDeviceApp(
  issuer: string,
  username: string,
  password: string,
  redirectUri = 'http://localhost:3001/callback',
): Promise<DeviceAppSignIn> {
  const config = await oidc.discovery(new URL(issuer), DEVICE_APP_CLIENT_ID, undefined, oidc.None(), { execute: [oidc.allowInsecureRequests] });
  const verifier = oidc.randomPKCECodeVerifier();
  const state = oidc.randomState();
  const url = oidc.buildAuthorizationUrl(config, {
    redirect_uri: redirectUri,
    scope: 'openid profile',
    code_challenge: await oidc.calculatePKCECodeChallenge(verifier),
    code_challenge_method: 'S256',
    state,
  });
  const page = await authorize(providerBrowser(issuer), url, { username, password });
  const params = responseParams(page);
  const callback = new URL(redirectUri);
  callback.search = params.toString();
  const tokens = await oidc.authorizationCodeGrant(config, callback, { pkceCodeVerifier: verifier, expectedState: state });
  const claims = decodeJwt(tokens.access_token);
  return { accessToken: tokens.access_token, sub: String(claims.sub), grantId: String(claims.gid) };
}
