/**
 * What a device's signed decision covers: a hash of exactly what its request screen showed, so
 * that the entity accepts an approval only of the request it sent (the payment's amount and
 * creditor, the binding message, the client), and a passkey assertion commits to it too.
 *
 * The canonical form, precisely:
 *  1. Start from the DeviceRequest the entity sent to the app (GET /api/requests/:id, the list,
 *     or a WebSocket `request` message). The screen is a pure function of it: every member below
 *     is shown, and shared/authorization_details_types.ts shows every field of every detail.
 *  2. Make a JSON object with the members of SHOWN_MEMBERS that the request has (absent members
 *     stay absent; none is ever null), each with the request's value unchanged, except that the
 *     request's `id` is named `request_id`.
 *  3. Serialize it with the JSON Canonicalization Scheme (RFC 8785): no whitespace, member names
 *     sorted by UTF-16 code units at every level, strings and numbers as ECMAScript writes them.
 *  4. shown_hash = base64url without padding (RFC 4648 §5) of the SHA-256 of its UTF-8 bytes.
 *
 * The app computes it over the request it displayed and puts it in the signed DecisionPayload;
 * the entity computes it over the same view of its stored request and compares.
 * @see https://www.rfc-editor.org/rfc/rfc8785
 */
import { canonicalJson, jsonDigest } from './canonical_json.ts';
import { base64url, sha256 } from './web.ts';
import type { DeviceRequest } from './entity-api.ts';

/** The DeviceRequest members the hash covers (step 2), with `id` as `request_id`. */
export const SHOWN_MEMBERS = ['issuer', 'client', 'client_id', 'binding_message', 'scope', 'acr_values', 'authorization_details'] as const;

/** Step 2: the object that is canonicalized and hashed. */
export function shownForm(r: DeviceRequest): Record<string, unknown> {
  const out: Record<string, unknown> = { request_id: r.id };
  for (const m of SHOWN_MEMBERS) if (r[m] !== undefined && r[m] !== null) out[m] = r[m];
  return out;
}

/** Steps 2 to 4: the shown_hash of a request as displayed. */
export function shownHash(r: DeviceRequest): Promise<string> {
  return jsonDigest(shownForm(r));
}

/** The inputs a passkey challenge is made of: a fresh nonce, the request, and what was shown. */
export interface PasskeyChallengeInput {
  /** 32 random bytes, base64url. */
  readonly nonce: string;
  readonly request_id: string;
  readonly shown_hash: string;
}

/**
 * The WebAuthn challenge of an approval: the 32 bytes SHA-256(UTF-8(JCS({nonce, request_id,
 * shown_hash}))). The authenticator signs it, so the assertion itself commits to what was shown
 * (dynamic linking), and anyone holding the credential's public key can check that later.
 */
export async function passkeyChallenge(input: PasskeyChallengeInput): Promise<Uint8Array> {
  return sha256(canonicalJson({ nonce: input.nonce, request_id: input.request_id, shown_hash: input.shown_hash }));
}

/** The challenge as WebAuthn's JSON forms and clientDataJSON carry it (base64url). */
export async function passkeyChallengeText(input: PasskeyChallengeInput): Promise<string> {
  return base64url(await passkeyChallenge(input));
}
