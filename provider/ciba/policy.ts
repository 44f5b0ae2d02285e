/**
 * The CIBA policy of one provider: defaults.ts, then the `NOD_CIBA_*` environment (config.ts),
 * then the `ciba` record of the settings collection (what an operator changed at run time).
 * Per-client metadata (`ciba_expires_in`, `ciba_interval`) overrides lifetimes and intervals.
 */
import type { JWK } from 'jose';
import type { ProviderContext } from '../context.ts';
import { defaults } from '../defaults.ts';

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
  readonly expiresIn: number;
  readonly maxExpiresIn: number;
  readonly interval: number;
  readonly bindingMessageMaxLength: number;
  readonly fatigueLimit: number;
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
export async function cibaPolicy(ctx: ProviderContext): Promise<CibaPolicy> {
  const stored = ((await ctx.models.settings.find(CIBA_POLICY_SETTING)) ?? {}) as Partial<CibaPolicy> & { consumed?: number; expiresAt?: number };
  const { consumed: _c, expiresAt: _e, ...overrides } = stored;
  return {
    expiresIn: ctx.config.ciba.expiresIn,
    maxExpiresIn: ctx.config.ciba.maxExpiresIn,
    interval: ctx.config.ciba.interval,
    bindingMessageMaxLength: defaults.cibaBindingMessageMaxLength,
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

/** Changes run-time overrides (merged into the stored ones). Numbers must be positive integers. */
export async function setCibaPolicy(ctx: ProviderContext, patch: Partial<CibaPolicy>): Promise<CibaPolicy> {
  for (const [k, v] of Object.entries(patch)) {
    if (typeof v === 'number' && (!Number.isInteger(v) || v <= 0)) throw new TypeError(`${k} must be a positive integer`);
  }
  if (patch.loginHintTokenIssuers?.some((i) => !i.issuer || (!i.jwks && !i.jwks_uri))) throw new TypeError('each login_hint_token issuer needs issuer and jwks or jwks_uri');
  const current = ((await ctx.models.settings.find(CIBA_POLICY_SETTING)) ?? {}) as Record<string, unknown>;
  const { consumed: _c, expiresAt: _e, ...kept } = current;
  await ctx.models.settings.upsert(CIBA_POLICY_SETTING, { ...kept, ...patch });
  return cibaPolicy(ctx);
}
