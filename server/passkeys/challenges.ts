/**
 * WebAuthn challenges: issued by the entity, stored under the challenge itself, and taken back
 * exactly once (an atomic consume) by the response that signs it.
 * @see https://www.w3.org/TR/webauthn-3/#sctn-cryptographic-challenges
 */
import type { ServerContext } from '../context.ts';
import { defaults } from '../defaults.ts';
import type { PasskeyChallenge } from '../models.ts';

/** Stores a challenge for at most `maxTtl` seconds (default passkeyChallengeTtl). */
export async function saveChallenge(
  ctx: ServerContext,
  challenge: string,
  record: PasskeyChallenge,
  maxTtl: number = defaults.passkeyChallengeTtl,
): Promise<void> {
  await ctx.models.passkeyChallenges.upsert(challenge, record, Math.max(1, Math.min(defaults.passkeyChallengeTtl, maxTtl)));
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

/** Takes a challenge back: the record when this is its first use for `purpose` by `deviceId`, else undefined. */
export async function takeChallenge(
  ctx: ServerContext,
  challenge: string | undefined,
  purpose: PasskeyChallenge['purpose'],
  deviceId: string,
): Promise<PasskeyChallenge | undefined> {
  if (!challenge) return undefined;
  const record = await ctx.models.passkeyChallenges.consume(challenge);
  if (!record || record.consumed !== undefined || record.purpose !== purpose || record.device_id !== deviceId) return undefined;
  return record;
}
