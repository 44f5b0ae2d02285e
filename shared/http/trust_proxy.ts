/**
 * Which proxies may say who the client is (`X-Forwarded-For`, `X-Forwarded-Proto`): express's
 * `trust proxy` setting, from `NOD_TRUST_PROXY`. The client's address feeds the guessing limits
 * (sign-in, client authentication, user codes), so trusting too much lets a caller pick its
 * own address, and trusting too little makes every user behind a balancer one address.
 *
 * Accepted: `loopback` (the default: a proxy on this machine), a comma list of addresses, CIDR
 * ranges and express's names (`loopback`, `linklocal`, `uniquelocal`), a hop count (`1`: the
 * nearest proxy, whatever its address), or `off` (no proxy: the socket's address counts).
 */
import { isIP } from 'node:net';

/** What express's `trust proxy` takes. */
export type TrustProxy = boolean | number | string;

const NAMES: ReadonlySet<string> = new Set(['loopback', 'linklocal', 'uniquelocal']);

/** Parses a `NOD_TRUST_PROXY` value; throws a TypeError that names the variable on anything else. */
export function parseTrustProxy(value: string | undefined, name = 'NOD_TRUST_PROXY'): TrustProxy {
  const v = value?.trim().toLowerCase();
  if (v === undefined || v === '') return 'loopback';
  if (['off', 'none', 'false', '0', 'no'].includes(v)) return false;
  if (/^[1-9]\d?$/.test(v)) return Number(v);
  const items = v
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  const bad = items.filter((item) => {
    if (NAMES.has(item)) return false;
    const [address, bits, extra] = item.split('/');
    if (extra !== undefined || !address || !isIP(address)) return true;
    if (bits === undefined) return false;
    const max = isIP(address) === 4 ? 32 : 128;
    return !/^\d{1,3}$/.test(bits) || Number(bits) > max;
  });
  if (items.length === 0 || bad.length > 0) {
    throw new TypeError(
      `${name} must be loopback, off, a hop count (1-99) or a comma list of addresses, CIDR ranges, loopback, linklocal, uniquelocal; not ${JSON.stringify(bad.join(',') || value)}`,
    );
  }
  return items.join(',');
}
