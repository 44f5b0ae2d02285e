/**
 * CIBA user codes: a secret the user set (through the admin command) that clients registered
 * with `backchannel_user_code_parameter` must pass as `user_code`, so that only someone who knows
 * it can make the user's phone buzz. Stored as an scrypt hash; wrong codes are limited per user.
 * @see https://openid.net/specs/openid-client-initiated-backchannel-authentication-core-1_0.html#rfc.section.7.1 (user_code)
 */
import { InvalidUserCode, MissingUserCode, TooManyRequests } from '../../shared/errors.ts';
import type { ProviderContext } from '../context.ts';
import type { Client } from '../models/client.ts';
import { hashPassword, verifyPassword, type User } from '../models/user.ts';
import { defaults } from '../defaults.ts';

/** Shortest and longest user code accepted by setCibaUserCode. */
export const USER_CODE_LENGTH = { min: 4, max: 64 } as const;

/**
 * Sets (or with `null` removes) the CIBA user code of the user named `username`.
 * Throws TypeError for an unknown user or a code of the wrong length.
 */
export async function setCibaUserCode(ctx: Pick<ProviderContext, 'models'>, username: string, code: string | null): Promise<void> {
  const [user] = await ctx.models.users.findBy('username', username.toLowerCase());
  if (!user) throw new TypeError(`no user named ${username}`);
  if (code !== null && (code.length < USER_CODE_LENGTH.min || code.length > USER_CODE_LENGTH.max)) {
    throw new TypeError(`user code: ${USER_CODE_LENGTH.min} to ${USER_CODE_LENGTH.max} characters`);
  }
  const hash = code === null ? undefined : await hashPassword(code);
  await ctx.models.users.update(user.id, (current) => {
    if (!current) return undefined;
    const { ciba_user_code_hash: _old, ...rest } = current;
    return hash === undefined ? rest : { ...rest, ciba_user_code_hash: hash };
  });
}

/** Wrong user codes for one user, counted in the store (so every node counts them together). */
const failureKey = (sub: string) => `ciba-user-code:${sub}`;

/** For clients that use user codes: missing → missing_user_code, wrong → invalid_user_code. */
export async function checkUserCode(ctx: ProviderContext, client: Client, user: User, code: string | undefined): Promise<void> {
  if (!client.backchannel_user_code_parameter) return;
  if (code === undefined) throw new MissingUserCode();
  const failures = await ctx.store.counters.peek(failureKey(user.sub));
  if (failures.count >= defaults.cibaUserCodeMaxFailures)
    throw new TooManyRequests('too many wrong user codes for this user; try again later').retryAfter(
      failures.resetInMs / 1000 || defaults.cibaUserCodeFailureWindow,
    );
  const ok = user.ciba_user_code_hash !== undefined && (await verifyPassword(code, user.ciba_user_code_hash));
  if (!ok) {
    await ctx.store.counters.hit(failureKey(user.sub), { windowMs: defaults.cibaUserCodeFailureWindow * 1000 });
    throw new InvalidUserCode();
  }
}
