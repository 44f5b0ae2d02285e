/**
 * The CIBA policy of one provider (what Keycloak's "CIBA Policy" tab sets for a realm). Each
 * value comes from the first of these that has one:
 *
 *   1. the client's own metadata: `backchannel_token_delivery_mode`, `ciba_expires_in`,
 *      `ciba_interval`, `ciba_fatigue_limit`, `ciba_fatigue_window` (and `requested_expiry` in
 *      the request itself, capped by `maxExpiresIn`); number matching is on when the client
 *      opted in (`backchannel_number_matching`) or the policy turns it on for every client;
 *   2. the stored policy: the `ciba` record of the settings collection, set at run time by
 *      `npm run admin -- ciba-policy set ...` or `setCibaPolicy`;
 *   3. the environment: `NOD_CIBA_EXPIRES_IN`, `NOD_CIBA_MAX_EXPIRES_IN`, `NOD_CIBA_INTERVAL`
 *      (config.ts);
 *   4. defaults.ts.
 *
 * A stored value keeps winning over a later change of the environment; `ciba-policy reset`
 * removes it.
 * @see https://openid.net/specs/openid-client-initiated-backchannel-authentication-core-1_0.html#rfc.section.4
 */
import type { JWK } from 'jose';
import type { ProviderContext } from '../context.ts';
import { defaults } from '../defaults.ts';
import { DELIVERY_MODES } from '../models/client.ts';
import type { DeliveryMode } from './request.ts';

/** The user hints of a backchannel request (CIBA Core 7.1), in the spec's order. */
export const CIBA_HINTS = ['login_hint', 'login_hint_token', 'id_token_hint'] as const;
export type CibaHint = (typeof CIBA_HINTS)[number];

/** What the policy functions need of a provider (the admin command has no running provider). */
export type PolicyContext = Pick<ProviderContext, 'models' | 'config'>;

/** A trusted issuer of `login_hint_token`s. */
export interface TrustedHintIssuer {
  /** Must equal the token's `iss`. */
  readonly issuer: string;
  /** The issuer's public keys, inline... */
  readonly jwks?: { readonly keys: readonly JWK[] };
  /** ...or where to fetch them (cached by jose). */
  readonly jwks_uri?: string;
  /** Claim naming the user (default `sub`); its value is matched against user ids, then as a login_hint. */
  readonly subject_claim?: string;
  /** Accepted algorithms (default RS256, PS256, ES256, EdDSA). */
  readonly algorithms?: readonly string[];
}

/** User fields a plain `login_hint` may name (the default resolver tries them in this order). */
export type LoginHintField = 'username' | 'email' | 'phone_number';

export interface CibaPolicy {
  /** Delivery mode of CIBA clients that register no `backchannel_token_delivery_mode`. */
  readonly deliveryMode: DeliveryMode;
  /** Hints the backchannel endpoint accepts; any other is refused with invalid_request. */
  readonly acceptedHints: readonly CibaHint[];
  /** Lifetime of a request when neither the request nor the client says (1..maxExpiresIn). */
  readonly expiresIn: number;
  readonly maxExpiresIn: number;
  /** Minimum poll interval for clients without `ciba_interval`; at least 1 (a 0 invites busy polling). */
  readonly interval: number;
  readonly bindingMessageMaxLength: number;
  /** Number matching for every CIBA client (clients that set `backchannel_number_matching` use it regardless). */
  readonly numberMatching: boolean;
  /** Anti-fatigue: requests per user that may be pending or younger than fatigueWindow; 0 turns the limit off. */
  readonly fatigueLimit: number;
  /** Anti-fatigue window, seconds (at least 1). */
  readonly fatigueWindow: number;
  readonly delegationTimeoutMs: number;
  readonly notificationTimeoutMs: number;
  readonly notificationMaxAttempts: number;
  readonly notificationRetryBaseMs: number;
  readonly loginHintFields: readonly LoginHintField[];
  readonly loginHintTokenIssuers: readonly TrustedHintIssuer[];
}

/** Id of the settings record that holds run-time overrides. */
export const CIBA_POLICY_SETTING = 'ciba';

/** The policy in force for `ctx` now. */
export async function cibaPolicy(ctx: PolicyContext): Promise<CibaPolicy> {
  const overrides = await storedCibaPolicy(ctx);
  return {
    deliveryMode: defaults.cibaDeliveryMode,
    acceptedHints: [...defaults.cibaAcceptedHints],
    expiresIn: ctx.config.ciba.expiresIn,
    maxExpiresIn: ctx.config.ciba.maxExpiresIn,
    interval: ctx.config.ciba.interval,
    bindingMessageMaxLength: defaults.cibaBindingMessageMaxLength,
    numberMatching: defaults.cibaNumberMatching,
    fatigueLimit: defaults.cibaFatigueLimit,
    fatigueWindow: defaults.cibaFatigueWindow,
    delegationTimeoutMs: defaults.delegationTimeoutMs,
    notificationTimeoutMs: defaults.notificationTimeoutMs,
    notificationMaxAttempts: defaults.notificationMaxAttempts,
    notificationRetryBaseMs: defaults.notificationRetryBaseMs,
    loginHintFields: ['username'],
    loginHintTokenIssuers: [],
    ...overrides,
  };
}

/** Only the values an operator stored (step 2 of the precedence above). */
export async function storedCibaPolicy(ctx: PolicyContext): Promise<Partial<CibaPolicy>> {
  return ((await ctx.models.settings.find(CIBA_POLICY_SETTING)) ?? {}) as Partial<CibaPolicy>;
}

/** Numbers of the policy that may be 0 (0 turns the anti-fatigue limit off); every other number must be positive. */
const MAY_BE_ZERO: ReadonlySet<string> = new Set<keyof CibaPolicy>(['fatigueLimit']);

/** Checks a patch against the policy it would change; throws a TypeError that says what is allowed. */
function checkPatch(current: CibaPolicy, patch: Partial<CibaPolicy>): void {
  for (const [k, v] of Object.entries(patch)) {
    if (typeof v === 'number' && (!Number.isInteger(v) || v < (MAY_BE_ZERO.has(k) ? 0 : 1)))
      throw new TypeError(`${k} must be a ${MAY_BE_ZERO.has(k) ? 'whole number (0 turns it off)' : 'positive integer'}`);
  }
  if (patch.numberMatching !== undefined && typeof patch.numberMatching !== 'boolean') throw new TypeError('numberMatching must be true or false');
  const max = patch.maxExpiresIn ?? current.maxExpiresIn;
  if (patch.expiresIn !== undefined && patch.expiresIn > max) {
    throw new TypeError(`expires_in must be an integer from 1 to ${max} seconds (the maximum, NOD_CIBA_MAX_EXPIRES_IN)`);
  }
  if (patch.deliveryMode !== undefined && !DELIVERY_MODES.includes(patch.deliveryMode)) {
    throw new TypeError(`delivery mode must be one of ${DELIVERY_MODES.join(', ')}`);
  }
  const hints = patch.acceptedHints;
  if (hints !== undefined && (!Array.isArray(hints) || hints.length === 0 || hints.some((h) => !CIBA_HINTS.includes(h)))) {
    throw new TypeError(`hints must be one or more of ${CIBA_HINTS.join(', ')}`);
  }
  if (patch.loginHintTokenIssuers?.some((i) => !i.issuer || (!i.jwks && !i.jwks_uri)))
    throw new TypeError('each login_hint_token issuer needs issuer and jwks or jwks_uri');
}

/**
 * Changes run-time overrides (merged into the stored ones). Numbers must be positive integers,
 * `expiresIn` at most `maxExpiresIn`; a bad value throws a TypeError and nothing is stored.
 */
export async function setCibaPolicy(ctx: PolicyContext, patch: Partial<CibaPolicy>): Promise<CibaPolicy> {
  checkPatch(await cibaPolicy(ctx), patch);
  const { acceptedHints, ...rest } = patch;
  const tidy = { ...rest, ...(acceptedHints ? { acceptedHints: CIBA_HINTS.filter((h) => acceptedHints.includes(h)) } : {}) };
  await ctx.models.settings.update(CIBA_POLICY_SETTING, (stored) => ({ ...stored, ...tidy }));
  return cibaPolicy(ctx);
}

/** Removes stored overrides (all when `keys` is omitted): the environment and defaults apply again. */
export async function resetCibaPolicy(ctx: PolicyContext, keys?: readonly (keyof CibaPolicy)[]): Promise<CibaPolicy> {
  await ctx.models.settings.update(CIBA_POLICY_SETTING, (stored) => {
    const kept: Record<string, unknown> = { ...stored };
    for (const k of keys ?? Object.keys(kept)) delete kept[k];
    return kept;
  });
  return cibaPolicy(ctx);
}

/** The anti-fatigue limit and window for a client's requests: its own metadata, else the policy's. */
export function fatigueOf(
  client: { readonly ciba_fatigue_limit?: number; readonly ciba_fatigue_window?: number },
  policy: CibaPolicy,
): Pick<CibaPolicy, 'fatigueLimit' | 'fatigueWindow'> {
  return { fatigueLimit: client.ciba_fatigue_limit ?? policy.fatigueLimit, fatigueWindow: client.ciba_fatigue_window ?? policy.fatigueWindow };
}

/** The delivery mode of a CIBA client: its own registration, else the policy's default. */
export function deliveryModeOf(client: { readonly backchannel_token_delivery_mode?: DeliveryMode }, policy: CibaPolicy): DeliveryMode {
  return client.backchannel_token_delivery_mode ?? policy.deliveryMode;
}
