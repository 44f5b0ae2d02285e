/** The user claims released for a set of scopes (OpenID Connect Core 5.4). */
import { scopeClaims } from '../defaults.ts';
import type { User } from '../models/user.ts';

export function claimsForScopes(user: User, scopes: readonly string[]): Record<string, unknown> {
  const out: Record<string, unknown> = { sub: user.sub };
  const source = { ...user, preferred_username: user.username } as Record<string, unknown>;
  for (const scope of scopes) {
    for (const claim of scopeClaims[scope] ?? []) {
      if (source[claim] !== undefined) out[claim] = source[claim];
    }
  }
  return out;
}
