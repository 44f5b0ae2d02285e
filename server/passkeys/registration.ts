/**
 * Registering a device's passkey: options for navigator.credentials.create() asking for a
 * platform authenticator with user verification, then the verified credential stored against
 * the device: one per device, inserted only if the device holds none (a second registration,
 * concurrent or not, is refused with 409 until the first is removed).
 * @see https://www.w3.org/TR/webauthn-3/#sctn-registering-a-new-credential
 */
import { randomBytes } from 'node:crypto';
import {
  generateRegistrationOptions,
  verifyRegistrationResponse,
  type RegistrationResponseJSON,
  type VerifiedRegistrationResponse,
} from '@simplewebauthn/server';
import type { PasskeyCreationOptions, PasskeyRegistration } from '../../shared/passkey-api.ts';
import { InvalidRequest } from '../../shared/errors.ts';
import type { ServerContext } from '../context.ts';
import { nowSeconds } from '../../shared/time.ts';
import { defaults } from '../defaults.ts';
import { PasskeyExists } from '../errors.ts';
import type { Device, Passkey } from '../models.ts';
import { relyingParty } from './relying_party.ts';
import { saveChallenge, signedChallenge, takeChallenge } from './challenges.ts';

/** ES256 and RS256: what platform authenticators make. */
const ALGORITHMS = [-7, -257];

/** Options for creating this device's passkey (409 when it holds one already); the challenge is stored for one use. */
export async function registrationOptions(ctx: ServerContext, device: Device): Promise<PasskeyCreationOptions> {
  const rp = relyingParty(ctx);
  // Said before the user is prompted; registerPasskey's insert is what guarantees it.
  if (await ctx.models.passkeys.get(device.device_id)) throw new PasskeyExists();
  const options = await generateRegistrationOptions({
    rpName: rp.name,
    rpID: rp.id,
    userName: device.username,
    userDisplayName: device.user_name ?? device.username,
    userID: randomBytes(16),
    timeout: defaults.passkeyTimeoutMs,
    attestationType: 'none',
    authenticatorSelection: { authenticatorAttachment: 'platform', residentKey: 'preferred', userVerification: 'required' },
    supportedAlgorithmIDs: ALGORITHMS,
  });
  await saveChallenge(ctx, options.challenge, { purpose: 'register', device_id: device.device_id });
  return options as PasskeyCreationOptions;
}

/** Verifies a create() result against its challenge, origin and RP ID, with user verification; stores it. */
export async function registerPasskey(ctx: ServerContext, device: Device, credential: unknown): Promise<Passkey> {
  const c = credential as PasskeyRegistration | undefined;
  if (!c || typeof c !== 'object' || typeof c.id !== 'string' || typeof c.response?.attestationObject !== 'string') {
    throw new InvalidRequest('credential is required: the JSON form of navigator.credentials.create()');
  }
  const challenge = signedChallenge(c.response.clientDataJSON);
  if (!(await takeChallenge(ctx, challenge, 'register', device.device_id))) {
    throw new InvalidRequest('the passkey challenge is unknown, expired or already used: ask for new options');
  }
  const rp = relyingParty(ctx);
  let info: VerifiedRegistrationResponse['registrationInfo'];
  try {
    const result = await verifyRegistrationResponse({
      response: c as unknown as RegistrationResponseJSON,
      expectedChallenge: challenge!,
      expectedOrigin: rp.origin,
      expectedRPID: rp.id,
      requireUserVerification: true,
    });
    info = result.verified ? result.registrationInfo : undefined;
  } catch (e) {
    throw new InvalidRequest(`the passkey could not be verified: ${(e as Error).message}`);
  }
  if (!info) throw new InvalidRequest('the passkey could not be verified');
  const transports = c.response.transports?.filter((t): t is string => typeof t === 'string').slice(0, 8);
  const passkey: Passkey = {
    device_id: device.device_id,
    credential_id: info.credential.id,
    public_key: Buffer.from(info.credential.publicKey).toString('base64url'),
    counter: info.credential.counter,
    ...(transports?.length ? { transports } : {}),
    backed_up: info.credentialBackedUp,
    created_at: nowSeconds(),
  };
  // Insert-if-absent: of two registrations racing on any nodes, exactly one is kept.
  if (!(await ctx.models.passkeys.insert(device.device_id, passkey))) throw new PasskeyExists();
  ctx.log.info('passkey.registered', { device_id: device.device_id, backed_up: info.credentialBackedUp, device_type: info.credentialDeviceType });
  return passkey;
}
