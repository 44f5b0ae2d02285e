/**
 * This device's passkey, with the browser's own WebAuthn API (navigator.credentials: no client
 * library, nothing more to load): registered on the platform authenticator with user
 * verification, and used to approve requests that ask for acr phr. Loaded on demand.
 * @see https://www.w3.org/TR/webauthn-3/#sctn-api
 */
import {
  PASSKEY_API,
  type PasskeyAssertion,
  type PasskeyCreationOptions,
  type PasskeyDescriptor,
  type PasskeyRegistration,
  type PasskeyRequestOptions,
  type PasskeyStatus,
} from '../../../shared/passkey-api.ts';
import { api } from './api.ts';
import { b64url, fromB64url } from './crypto.ts';
import type { Session } from './session.ts';

/** Whether this browser can keep a passkey with user verification (fingerprint, face, screen lock) on this device. */
export async function passkeyCapable(): Promise<boolean> {
  if (typeof PublicKeyCredential === 'undefined' || !window.isSecureContext) return false;
  return PublicKeyCredential.isUserVerifyingPlatformAuthenticatorAvailable().catch(() => false);
}

export function passkeyStatus(session: Session): Promise<PasskeyStatus> {
  return api<PasskeyStatus>(PASSKEY_API.passkey, { token: session.device_token });
}

const descriptors = (list: readonly PasskeyDescriptor[] | undefined): PublicKeyCredentialDescriptor[] =>
  (list ?? []).map((d) => ({ type: 'public-key', id: fromB64url(d.id), transports: d.transports as AuthenticatorTransport[] | undefined }));

/** Creates the passkey on this device (the browser asks the user to verify) and registers it with the entity. */
export async function registerPasskey(session: Session): Promise<PasskeyStatus> {
  const token = session.device_token;
  const o = await api<PasskeyCreationOptions>(PASSKEY_API.options, { method: 'POST', token });
  const cred = (await navigator.credentials.create({
    publicKey: {
      ...o,
      challenge: fromB64url(o.challenge),
      user: { ...o.user, id: fromB64url(o.user.id) },
      pubKeyCredParams: [...o.pubKeyCredParams],
      excludeCredentials: descriptors(o.excludeCredentials),
      attestation: 'none',
    },
  })) as PublicKeyCredential;
  const r = cred.response as AuthenticatorAttestationResponse;
  const credential: PasskeyRegistration = {
    id: cred.id,
    rawId: b64url(cred.rawId),
    type: 'public-key',
    response: { clientDataJSON: b64url(r.clientDataJSON), attestationObject: b64url(r.attestationObject), transports: r.getTransports?.() ?? [] },
    ...(cred.authenticatorAttachment ? { authenticatorAttachment: cred.authenticatorAttachment } : {}),
    clientExtensionResults: {},
  };
  return api<PasskeyStatus>(PASSKEY_API.passkey, { method: 'POST', token, body: { credential } });
}

export function removePasskey(session: Session): Promise<unknown> {
  return api(PASSKEY_API.passkey, { method: 'DELETE', token: session.device_token });
}

/** Asks the entity for a challenge bound to this request and what it shows, and signs it with the passkey (the user verifies). */
export async function assertPasskey(session: Session, requestId: string, shownHash: string): Promise<PasskeyAssertion> {
  const o = await api<PasskeyRequestOptions>(PASSKEY_API.challenge(requestId), {
    method: 'POST',
    token: session.device_token,
    body: { shown_hash: shownHash },
  });
  const cred = (await navigator.credentials.get({
    publicKey: { ...o, challenge: fromB64url(o.challenge), allowCredentials: descriptors(o.allowCredentials) },
  })) as PublicKeyCredential;
  const r = cred.response as AuthenticatorAssertionResponse;
  return {
    id: cred.id,
    rawId: b64url(cred.rawId),
    type: 'public-key',
    response: {
      clientDataJSON: b64url(r.clientDataJSON),
      authenticatorData: b64url(r.authenticatorData),
      signature: b64url(r.signature),
      ...(r.userHandle ? { userHandle: b64url(r.userHandle) } : {}),
    },
    clientExtensionResults: {},
  };
}

/** A sentence for a WebAuthn failure: the browser names them by DOMException. */
export function passkeyErrorText(e: unknown, doing: 'approve' | 'register'): string | undefined {
  const name = (e as { name?: string } | null)?.name;
  if (name === 'NotAllowedError' || name === 'AbortError') {
    return doing === 'approve'
      ? 'Your phone didn’t confirm it’s you (fingerprint, face or screen lock), so nothing was approved.'
      : 'The passkey wasn’t created: the prompt was closed or your phone didn’t confirm it’s you.';
  }
  if (name === 'InvalidStateError') return 'This device already holds a passkey for Nod.';
  if (name === 'NotSupportedError' || name === 'SecurityError') return 'This browser can’t use passkeys here.';
  return undefined;
}
