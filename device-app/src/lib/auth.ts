/**
 * Signs the user in at the provider as the public client `nod-device-app`: authorization code
 * flow with PKCE (S256), state and nonce, done with oauth4webapi. The access token is used once,
 * to enroll this device with the entity; the app keeps no provider tokens.
 * @see https://www.rfc-editor.org/rfc/rfc7636
 * @see https://openid.net/specs/openid-connect-core-1_0.html#CodeFlowAuth
 */
import * as oauth from 'oauth4webapi';
import type { EntityConfig } from '../../../shared/entity-api.ts';

const PENDING_KEY = 'nod.signin';

/** What survives the round trip to the provider (sessionStorage, this tab only). */
interface PendingSignIn {
  readonly issuer: string;
  readonly client_id: string;
  readonly as: oauth.AuthorizationServer;
  readonly code_verifier: string;
  readonly state: string;
  readonly nonce: string;
  readonly redirect_uri: string;
  /** The device name the user chose before leaving. */
  readonly device_name: string;
}

/** The redirect URI registered for the app. */
export function redirectUri(): string {
  return `${location.origin}/callback`;
}

function insecure(issuer: string): { [oauth.allowInsecureRequests]?: boolean } {
  // Plain http is only ever used on loopback and in development.
  return issuer.startsWith('http:') ? { [oauth.allowInsecureRequests]: true } : {};
}

async function discover(issuer: string): Promise<oauth.AuthorizationServer> {
  const url = new URL(issuer);
  const res = await oauth.discoveryRequest(url, insecure(issuer));
  return oauth.processDiscoveryResponse(url, res);
}

/** Sends the browser to the provider's authorization endpoint. */
export async function startSignIn(config: EntityConfig, deviceName: string): Promise<void> {
  const as = await discover(config.issuer);
  if (!as.authorization_endpoint) throw new Error('The sign-in service does not publish an authorization endpoint.');
  const code_verifier = oauth.generateRandomCodeVerifier();
  const pending: PendingSignIn = {
    issuer: config.issuer,
    client_id: config.client_id,
    as,
    code_verifier,
    state: oauth.generateRandomState(),
    nonce: oauth.generateRandomNonce(),
    redirect_uri: redirectUri(),
    device_name: deviceName,
  };
  sessionStorage.setItem(PENDING_KEY, JSON.stringify(pending));
  const url = new URL(as.authorization_endpoint);
  url.search = new URLSearchParams({
    client_id: config.client_id,
    redirect_uri: pending.redirect_uri,
    response_type: 'code',
    scope: config.scope,
    state: pending.state,
    nonce: pending.nonce,
    code_challenge: await oauth.calculatePKCECodeChallenge(code_verifier),
    code_challenge_method: 'S256',
    prompt: 'login consent',
  }).toString();
  location.assign(url.href);
}

/** Whether this tab has a sign-in in flight. */
export function hasPendingSignIn(): boolean {
  return sessionStorage.getItem(PENDING_KEY) !== null;
}

export interface SignInResult {
  readonly access_token: string;
  readonly device_name: string;
}

/** An error the provider sent back (e.g. the user pressed Deny): `code` is the OAuth error. */
export class SignInError extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = 'SignInError';
  }
}

/** Validates the authorization response in `url` and redeems the code. */
export async function completeSignIn(url: URL): Promise<SignInResult> {
  const raw = sessionStorage.getItem(PENDING_KEY);
  if (!raw) throw new SignInError('no_pending_sign_in', 'This sign-in link has already been used or was started in another tab. Start again.');
  sessionStorage.removeItem(PENDING_KEY);
  const p = JSON.parse(raw) as PendingSignIn;
  const client: oauth.Client = { client_id: p.client_id };
  let params: URLSearchParams;
  try {
    params = oauth.validateAuthResponse(p.as, client, url, p.state);
  } catch (e) {
    if (e instanceof oauth.AuthorizationResponseError) {
      const code = e.error;
      const message = code === 'access_denied' ? 'Sign-in was cancelled.' : (e.error_description ?? `Sign-in failed (${code}).`);
      throw new SignInError(code, message);
    }
    throw e;
  }
  const res = await oauth.authorizationCodeGrantRequest(p.as, client, oauth.None(), params, p.redirect_uri, p.code_verifier, insecure(p.issuer));
  const tokens = await oauth.processAuthorizationCodeResponse(p.as, client, res, { expectedNonce: p.nonce, requireIdToken: true });
  return { access_token: tokens.access_token, device_name: p.device_name };
}
