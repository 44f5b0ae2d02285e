/**
 * Approving with the device's passkey (acr phr): a challenge bound to the request, the device
 * and what the screen shows (shared/shown.ts passkeyChallenge), then the assertion verified with
 * the device's credential: challenge taken once, origin and RP ID, signature, user verification,
 * and the signature counter (a counter that does not grow means a cloned authenticator), advanced
 * with a compare-and-set.
 * @see https://www.w3.org/TR/webauthn-3/#sctn-verifying-assertion
 */
import { randomBytes } from 'node:crypto';
import {
  generateAuthenticationOptions,
  verifyAuthenticationResponse,
  type AuthenticationResponseJSON,
  type AuthenticatorTransport,
  type VerifiedAuthenticationResponse,
} from '@simplewebauthn/server';
import type { PasskeyAssertion, PasskeyRequestOptions } from '../../shared/passkey-api.ts';
import { passkeyChallenge } from '../../shared/shown.ts';
import type { ServerContext } from '../context.ts';
import { nowSeconds } from '../../shared/time.ts';
import { defaults } from '../defaults.ts';
import { InvalidDecision } from '../errors.ts';
import type { Device, Passkey, PendingRequest } from '../models.ts';
import { relyingParty } from './relying_party.ts';
import { saveChallenge, signedChallenge, takeChallenge } from './challenges.ts';

/** Options for navigator.credentials.get() that approve `r` showing `shownHash`, with `passkey` only. */
export async function assertionOptions(
  ctx: ServerContext,
  r: PendingRequest,
  device: Device,
  passkey: Passkey,
  shownHash: string,
): Promise<PasskeyRequestOptions> {
  const nonce = randomBytes(32).toString('base64url');
  const challenge = await passkeyChallenge({ nonce, request_id: r.id, shown_hash: shownHash });
  const options = await generateAuthenticationOptions({
    rpID: relyingParty(ctx).id,
    challenge: new Uint8Array(challenge),
    allowCredentials: [{ id: passkey.credential_id, transports: [...(passkey.transports ?? [])] as AuthenticatorTransport[] }],
    userVerification: 'required',
    timeout: defaults.passkeyTimeoutMs,
  });
  await saveChallenge(
    ctx,
    options.challenge,
    { purpose: 'approve', device_id: device.device_id, request_id: r.id, shown_hash: shownHash },
    r.expires_at - nowSeconds(),
  );
  return options as PasskeyRequestOptions;
}

/** Checks an approval's assertion; resolves when it proves a verified user with this device's passkey, throws InvalidDecision otherwise. */
export async function verifyAssertion(
  ctx: ServerContext,
  r: PendingRequest,
  device: Device,
  assertion: PasskeyAssertion,
  shownHash: string | undefined,
): Promise<void> {
  const a = assertion as Partial<PasskeyAssertion> | null;
  if (
    !a ||
    typeof a !== 'object' ||
    typeof a.id !== 'string' ||
    typeof a.response?.signature !== 'string' ||
    typeof a.response.authenticatorData !== 'string'
  ) {
    throw new InvalidDecision('passkey must be the JSON form of navigator.credentials.get()');
  }
  const challenge = signedChallenge(a.response.clientDataJSON);
  const issued = await takeChallenge(ctx, challenge, 'approve', device.device_id);
  if (!issued) throw new InvalidDecision('the passkey challenge is unknown, expired or already used: approve again');
  if (issued.request_id !== r.id) throw new InvalidDecision('the passkey challenge was issued for another request');
  if (issued.shown_hash !== shownHash) throw new InvalidDecision('the passkey challenge was issued for what another screen showed (shown_hash)');
  const stored = await ctx.models.passkeys.get(device.device_id);
  const passkey = stored?.value;
  if (!stored || !passkey || passkey.credential_id !== a.id) throw new InvalidDecision('the assertion is not from this device’s passkey');
  const rp = relyingParty(ctx);
  let info: VerifiedAuthenticationResponse['authenticationInfo'] | undefined;
  try {
    const result = await verifyAuthenticationResponse({
      response: a as AuthenticationResponseJSON,
      expectedChallenge: challenge!,
      expectedOrigin: rp.origin,
      expectedRPID: rp.id,
      credential: { id: passkey.credential_id, publicKey: new Uint8Array(Buffer.from(passkey.public_key, 'base64url')), counter: passkey.counter },
      // Checked below, to answer with a plain reason.
      requireUserVerification: false,
    });
    info = result.verified ? result.authenticationInfo : undefined;
  } catch (e) {
    ctx.log.warn('passkey.assertion_refused', { device_id: device.device_id, request_id: r.id, reason: (e as Error).message });
    throw new InvalidDecision(`the passkey assertion does not verify: ${(e as Error).message}`);
  }
  if (!info) throw new InvalidDecision('the passkey assertion does not verify');
  if (!info.userVerified) {
    ctx.log.warn('passkey.user_not_verified', { device_id: device.device_id, request_id: r.id });
    throw new InvalidDecision('your device did not verify you (fingerprint, face or screen lock), so this approval was not accepted');
  }
  // Check-and-advance of the signature counter in one compare-and-set on the revision the
  // verification read: of two assertions checked against the same counter (a cloned
  // authenticator, or a replay racing the original on another node), exactly one is accepted.
  const advanced = await ctx.models.passkeys.replace(
    device.device_id,
    { ...passkey, counter: info.newCounter, last_used_at: nowSeconds() },
    { ifRevision: stored.meta.revision },
  );
  if (!advanced) {
    ctx.log.warn('passkey.counter_race', { device_id: device.device_id, request_id: r.id });
    throw new InvalidDecision('the passkey was used for another approval at the same moment, so this one was not accepted: approve again');
  }
}
