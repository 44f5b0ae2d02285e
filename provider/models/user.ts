/**
 * Users: a username, a password under scrypt, and standard claims. Passwords are compared in
 * constant time; repeated failures lock the account for a while.
 */
import { randomBytes, randomUUID, scrypt, timingSafeEqual } from 'node:crypto';
import { promisify } from 'node:util';
import { nowSeconds } from '../../shared/time.ts';

const scryptAsync = promisify(scrypt) as (pw: string, salt: Buffer, len: number, opts: object) => Promise<Buffer>;
/** scrypt cost: N=2^15, r=8, p=1 (OWASP's minimum recommendation), 64-byte output. */
const SCRYPT = { N: 1 << 15, r: 8, p: 1, maxmem: 64 * 1024 * 1024 } as const;

export interface User {
  readonly sub: string;
  /** Lower-case login name; `login_hint` names it. */
  readonly username: string;
  readonly password_hash: string;
  readonly name?: string;
  readonly given_name?: string;
  readonly family_name?: string;
  readonly email?: string;
  readonly email_verified?: boolean;
  readonly phone_number?: string;
  readonly phone_number_verified?: boolean;
  readonly updated_at: number;
  /** Consecutive wrong passwords. */
  readonly failed_logins?: number;
  /** Epoch seconds until which the account is locked. */
  readonly locked_until?: number;
  /** scrypt hash of the user's CIBA user code, set by the admin command. */
  readonly ciba_user_code_hash?: string;
}

export type UserClaims = Omit<User, 'password_hash' | 'failed_logins' | 'locked_until' | 'ciba_user_code_hash' | 'sub' | 'username' | 'updated_at'>;

/** Hashes a secret (password or user code) with a fresh salt: `scrypt$<salt>$<hash>`. */
export async function hashPassword(password: string): Promise<string> {
  const salt = randomBytes(16);
  const hash = await scryptAsync(password.normalize('NFKC'), salt, 64, SCRYPT);
  return `scrypt$${salt.toString('base64url')}$${hash.toString('base64url')}`;
}

/** Compares a password with its stored hash in constant time. */
export async function verifyPassword(password: string, stored: string): Promise<boolean> {
  const [scheme, salt, hash] = stored.split('$');
  if (scheme !== 'scrypt' || !salt || !hash) return false;
  const expected = Buffer.from(hash, 'base64url');
  const actual = await scryptAsync(password.normalize('NFKC'), Buffer.from(salt, 'base64url'), expected.length, SCRYPT);
  return timingSafeEqual(actual, expected);
}

/** A hash of a password nobody knows, so unknown usernames cost as much as known ones (made once per instance, on first use: ProviderContext.dummyPasswordHash). */
export function makeDummyHash(): Promise<string> {
  return hashPassword(randomBytes(16).toString('hex'));
}

/** Builds a new user record; `minPasswordLength` is the admin policy (demo users are shorter). */
export async function newUser(username: string, password: string, claims: UserClaims = {}, minPasswordLength = 8): Promise<User> {
  if (!/^[a-z0-9._@+-]{1,64}$/i.test(username)) throw new TypeError('username: 1-64 characters of letters, digits and . _ @ + -');
  if (password.length < minPasswordLength) throw new TypeError(`password: at least ${minPasswordLength} characters`);
  return {
    sub: randomUUID(),
    username: username.toLowerCase(),
    password_hash: await hashPassword(password),
    ...claims,
    updated_at: nowSeconds(),
  };
}

/** True while the account is locked. */
export function isLocked(user: User, at = Date.now() / 1000): boolean {
  return user.locked_until !== undefined && user.locked_until > at;
}
