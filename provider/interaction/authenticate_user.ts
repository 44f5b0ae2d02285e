/**
 * Checks a username and password: constant-time against a dummy hash for unknown users,
 * account lock after repeated failures (counted in the user record with a read-modify-write, so
 * failures on different nodes all count), and a per-address limit against password spraying
 * (a counter in the store).
 */
import type { ProviderContext } from '../context.ts';
import { defaults } from '../defaults.ts';
import { isLocked, verifyPassword, type User } from '../models/user.ts';
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

/** Failed sign-ins from one network address in the current window. */
const addressKey = (address: string) => `login-address:${address}`;
const countAddressFailure = (ctx: ProviderContext, address: string) =>
  ctx.store.counters.hit(addressKey(address), { windowMs: defaults.loginAddressWindow * 1000 });

const minutes = (s: number) => `${Math.max(1, Math.ceil(s / 60))} minute${Math.ceil(s / 60) > 1 ? 's' : ''}`;

export async function authenticateUser(ctx: ProviderContext, username: string, password: string, address: string): Promise<User> {
  const fromAddress = await ctx.store.counters.peek(addressKey(address));
  if (fromAddress.count >= defaults.loginAddressMaxFailures)
    throw new LoginFailure(
      `Too many failed sign-ins from this network. Try again in ${minutes((fromAddress.resetInMs || defaults.loginAddressWindow * 1000) / 1000)}.`,
      429,
    );
  const [found] = await ctx.models.users.findBy('username', username.trim().toLowerCase());
  if (!found) {
    await verifyPassword(password, await ctx.dummyPasswordHash());
    await countAddressFailure(ctx, address);
    throw new LoginFailure('Wrong username or password.', 401);
  }
  const user = found.value;
  if (isLocked(user)) {
    throw new LoginFailure(`This account is locked after too many wrong passwords. Try again in ${minutes(user.locked_until! - nowSeconds())}.`, 423);
  }
  if (!(await verifyPassword(password, user.password_hash))) {
    await countAddressFailure(ctx, address);
    let locked = false;
    await ctx.models.users.update(found.id, (current) => {
      if (!current) return undefined;
      const failed = (current.failed_logins ?? 0) + 1;
      locked = failed >= defaults.maxFailedLogins;
      return { ...current, failed_logins: locked ? 0 : failed, ...(locked ? { locked_until: nowSeconds() + defaults.accountLockTtl } : {}) };
    });
    if (locked) {
      ctx.log.warn('account.locked', { sub: user.sub });
      throw new LoginFailure(`This account is locked after too many wrong passwords. Try again in ${minutes(defaults.accountLockTtl)}.`, 423);
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
