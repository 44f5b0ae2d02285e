/**
 * WebAuthn challenges: issued by the entity, stored under the challenge itself, and taken back
 * exactly once (an atomic consume) by the response that signs it.
 * @see https://www.w3.org/TR/webauthn-3/#sctn-cryptographic-challenges
 */
import type { ServerContext } from '../context.ts';
import { defaults } from '../defaults.ts';
import type { PasskeyChallenge } from '../models.ts';

/** Stores a fresh challenge for at most `maxTtl` seconds (default passkeyChallengeTtl). */
export async function saveChallenge(
  ctx: ServerContext,
  challenge: string,
  record: PasskeyChallenge,
  maxTtl: number = defaults.passkeyChallengeTtl,
): Promise<void> {
  // A fresh random id (32 random bytes, or a SHA-256 over them): put is enough, nothing can race it.
  await ctx.models.passkeyChallenges.put(challenge, record, { expiresIn: Math.max(1, Math.min(defaults.passkeyChallengeTtl, maxTtl)) });
}

/** The challenge a WebAuthn response signed, read from its base64url clientDataJSON; undefined when unreadable. */
export function signedChallenge(clientDataJSON: unknown): string | undefined {
  if (typeof clientDataJSON !== 'string' || clientDataJSON.length > 4096) return undefined;
  try {
    const data = JSON.parse(Buffer.from(clientDataJSON, 'base64url').toString('utf8')) as { challenge?: unknown };
    return typeof data.challenge === 'string' && /^[A-Za-z0-9_-]{16,128}$/.test(data.challenge) ? data.challenge : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Takes a challenge back: the record when this call consumed it (its one use, whatever node the
 * response reaches) and it was issued to `deviceId` for `purpose`; otherwise undefined.
 */
export async function takeChallenge(
  ctx: ServerContext,
  challenge: string | undefined,
  purpose: PasskeyChallenge['purpose'],
  deviceId: string,
): Promise<PasskeyChallenge | undefined> {
  if (!challenge) return undefined;
  const taken = await ctx.models.passkeyChallenges.consume(challenge);
  if (taken.outcome !== 'consumed') return undefined;
  const record = taken.record.value;
  return record.purpose === purpose && record.device_id === deviceId ? record : undefined;
}
