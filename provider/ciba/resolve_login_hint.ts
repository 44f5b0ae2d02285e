/**
 * Turning a plain `login_hint` into a user. The default resolver tries the fields the policy
 * lists (`loginHintFields`, default only `username`; a deployment may add `email` and
 * `phone_number`) and accepts only a unique match. A deployment with other identifiers
 * (customer numbers, `tel:` URIs, a directory look-up) replaces it per provider with
 * `useLoginHintResolver(ctx, resolver)`.
 * @see https://openid.net/specs/openid-client-initiated-backchannel-authentication-core-1_0.html#rfc.section.7.1 (login_hint)
 */
import type { ProviderContext } from '../context.ts';
import type { User } from '../models/user.ts';
import type { LoginHintField } from './policy.ts';

/** Resolves a login_hint to the one user it names, or undefined (→ unknown_user_id). */
export type LoginHintResolver = (ctx: ProviderContext, hint: string, fields: readonly LoginHintField[]) => Promise<User | undefined>;

/** The default resolver: username (case-insensitive), then email, then phone number. */
export const resolveLoginHint: LoginHintResolver = async (ctx, hint, fields) => {
  for (const field of fields) {
    const value = field === 'phone_number' ? hint.replace(/[\s().-]/g, '') : field === 'username' ? hint.toLowerCase() : hint;
    const found = await ctx.models.users.findBy(field, value);
    if (found.length === 1) return found[0]!.value;
    if (found.length > 1) return undefined;
  }
  return undefined;
};

/** The login_hint resolver of one provider instance (built with its context). */
export class LoginHints {
  private current: LoginHintResolver = resolveLoginHint;

  get resolver(): LoginHintResolver {
    return this.current;
  }

  use(resolver: LoginHintResolver): void {
    this.current = resolver;
  }
}

/** Replaces the login_hint resolver of one provider instance. */
export function useLoginHintResolver(ctx: Pick<ProviderContext, 'loginHints'>, resolver: LoginHintResolver): void {
  ctx.loginHints.use(resolver);
}

/** The resolver in force for `ctx`. */
export function loginHintResolver(ctx: Pick<ProviderContext, 'loginHints'>): LoginHintResolver {
  return ctx.loginHints.resolver;
}
