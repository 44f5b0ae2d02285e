/**
 * Checks a username and password: constant-time against a dummy hash for unknown users,
 * account lock after repeated failures, and a per-address limit against password spraying.
 */
import type { ProviderContext } from '../context.ts';
import { defaults } from '../defaults.ts';
import { dummyHash, isLocked, verifyPassword, type User } from '../models/user.ts';
import { RateLimiter } from '../../shared/rate_limit.ts';
import { nowSeconds } from '../../shared/time.ts';

/** Why a sign-in failed, in words for the user. */
export class LoginFailure extends Error {
  constructor(
    message: string,
    readonly status: number,
  ) {
    super(message);
  }
}

const limiters = new WeakMap<ProviderContext, RateLimiter>();
function addressLimiter(ctx: ProviderContext): RateLimiter {
  let l = limiters.get(ctx);
  if (!l) {
    l = new RateLimiter({ windowMs: defaults.loginAddressWindow * 1000, max: defaults.loginAddressMaxFailures });
    limiters.set(ctx, l);
  }
  return l;
}

const minutes = (s: number) => `${Math.max(1, Math.ceil(s / 60))} minute${Math.ceil(s / 60) > 1 ? 's' : ''}`;

export async function authenticateUser(ctx: ProviderContext, username: string, password: string, address: string): Promise<User> {
  const blocked = addressLimiter(ctx).check(address);
  if (!blocked.allowed)
    throw new LoginFailure(
      `Too many failed sign-ins from this network. Try again in ${minutes((blocked.retryAfterMs || defaults.loginAddressWindow * 1000) / 1000)}.`,
      429,
    );
  const [user] = await ctx.models.users.findBy('username', username.trim().toLowerCase());
  if (!user) {
    await verifyPassword(password, await dummyHash());
    addressLimiter(ctx).hit(address);
    throw new LoginFailure('Wrong username or password.', 401);
  }
  if (isLocked(user)) {
    throw new LoginFailure(`This account is locked after too many wrong passwords. Try again in ${minutes(user.locked_until! - nowSeconds())}.`, 423);
  }
  if (!(await verifyPassword(password, user.password_hash))) {
    addressLimiter(ctx).hit(address);
    const failed = (user.failed_logins ?? 0) + 1;
    const lock = failed >= defaults.maxFailedLogins;
    await ctx.models.users.upsert(user.sub, {
      ...user,
      failed_logins: lock ? 0 : failed,
      ...(lock ? { locked_until: nowSeconds() + defaults.accountLockTtl } : {}),
    });
    if (lock) {
      ctx.log.warn('account.locked', { sub: user.sub });
      throw new LoginFailure(`This account is locked after too many wrong passwords. Try again in ${minutes(defaults.accountLockTtl)}.`, 423);
    }
    throw new LoginFailure('Wrong username or password.', 401);
  }
  if (user.failed_logins || user.locked_until) {
    const { failed_logins: _f, locked_until: _l, ...clean } = user;
    await ctx.models.users.upsert(user.sub, clean);
    return clean;
  }
  return user;
}
