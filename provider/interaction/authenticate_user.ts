/**
 * Checks a username and password: constant-time against a dummy hash for unknown users,
 * account lock after repeated failures (counted in the user record with a read-modify-write, so
 * failures on different nodes all count), and a per-address limit against password spraying
 * (a counter in the store). Both lockouts are logged once (account.locked, login.address_blocked)
 * and answered 423 and 429 with Retry-After.
 */
import type { ProviderContext } from '../context.ts';
import { limitAddress } from '../../shared/http/limit_address.ts';
import { defaults } from '../defaults.ts';
import { isLocked, verifyPassword, type User } from '../models/user.ts';
import { nowSeconds } from '../../shared/time.ts';
import { ttlOf } from '../config.ts';

/** Why a sign-in failed, in words for the user; a lockout says in how many seconds to try again. */
export class LoginFailure extends Error {
  constructor(
    message: string,
    readonly status: number,
    readonly retryAfter?: number,
  ) {
    super(message);
  }
}

/** Failed sign-ins from one network address (an IPv6 /64: limit_address.ts) in the current window. */
const addressKey = (address: string) => `login-address:${limitAddress(address)}`;
/** Counts a failure; the one that reaches the limit (the counter is atomic: one per window) logs the block. */
async function countAddressFailure(ctx: ProviderContext, address: string): Promise<void> {
  const { count } = await ctx.store.counters.hit(addressKey(address), { windowMs: ttlOf(ctx.config, 'loginAddressWindow') * 1000 });
  if (count === defaults.loginAddressMaxFailures) ctx.log.warn('login.address_blocked', { address, failures: count });
}

const minutes = (s: number) => `${Math.max(1, Math.ceil(s / 60))} minute${Math.ceil(s / 60) > 1 ? 's' : ''}`;

export async function authenticateUser(ctx: ProviderContext, username: string, password: string, address: string): Promise<User> {
  const fromAddress = await ctx.store.counters.peek(addressKey(address));
  if (fromAddress.count >= defaults.loginAddressMaxFailures) {
    const left = Math.ceil((fromAddress.resetInMs || ttlOf(ctx.config, 'loginAddressWindow') * 1000) / 1000);
    throw new LoginFailure(`Too many failed sign-ins from this network. Try again in ${minutes(left)}.`, 429, left);
  }
  const [found] = await ctx.models.users.findBy('username', username.trim().toLowerCase());
  if (!found) {
    await verifyPassword(password, await ctx.dummyPasswordHash());
    await countAddressFailure(ctx, address);
    throw new LoginFailure('Wrong username or password.', 401);
  }
  const user = found.value;
  if (isLocked(user)) {
    const left = user.locked_until! - nowSeconds();
    throw new LoginFailure(`This account is locked after too many wrong passwords. Try again in ${minutes(left)}.`, 423, left);
  }
  if (!(await verifyPassword(password, user.password_hash))) {
    await countAddressFailure(ctx, address);
    let locked = false;
    const lockTtl = ttlOf(ctx.config, 'accountLockTtl');
    await ctx.models.users.update(found.id, (current) => {
      if (!current) return undefined;
      const failed = (current.failed_logins ?? 0) + 1;
      locked = failed >= defaults.maxFailedLogins;
      return { ...current, failed_logins: locked ? 0 : failed, ...(locked ? { locked_until: nowSeconds() + lockTtl } : {}) };
    });
    if (locked) {
      ctx.log.warn('account.locked', { sub: user.sub });
      throw new LoginFailure(`This account is locked after too many wrong passwords. Try again in ${minutes(lockTtl)}.`, 423, lockTtl);
    }
    throw new LoginFailure('Wrong username or password.', 401);
  }
  if (user.failed_logins || user.locked_until) {
    const cleared = await ctx.models.users.update(found.id, (current) => {
      if (!current) return undefined;
      const { failed_logins: _f, locked_until: _l, ...clean } = current;
      return clean;
    });
    if (cleared.outcome === 'updated') return cleared.record.value;
  }
  return user;
}
