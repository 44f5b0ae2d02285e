/**
 * The network address a guessing limit counts against. One IPv4 address is one key; an IPv6
 * client is grouped by its /64 (httpDefaults.ipv6LimitPrefix), because one subscriber is given a
 * whole /64 (RFC 6177) and may pick any of its 2^64 addresses for each try: counted one address
 * at a time, a per-address limit would never be reached. IPv4-mapped IPv6 (`::ffff:192.0.2.1`,
 * what a dual-stack socket reports) counts as the IPv4 address. Anything else (`unknown`, a
 * proxy's opaque value) is its own key. Logs keep the full address; only the counters group.
 */
import { isIPv4, isIPv6 } from 'node:net';
import { httpDefaults } from './defaults.ts';

/** The eight 16-bit groups of an IPv6 address (zone id dropped, `::` and a dotted IPv4 tail expanded). */
function groups(address: string): number[] | undefined {
  let text = address.split('%')[0]!;
  const lastColon = text.lastIndexOf(':');
  const dotted = text.slice(lastColon + 1);
  if (isIPv4(dotted)) {
    const [a, b, c, d] = dotted.split('.').map(Number) as [number, number, number, number];
    text = `${text.slice(0, lastColon + 1)}${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
  }
  const halves = text.split('::');
  if (halves.length > 2) return undefined;
  const parse = (s: string | undefined) => (s ? s.split(':').map((h) => (/^[0-9a-f]{1,4}$/i.test(h) ? Number.parseInt(h, 16) : Number.NaN)) : []);
  const left = parse(halves[0]);
  const right = parse(halves[1]);
  const missing = 8 - left.length - right.length;
  if (halves.length === 1 ? missing !== 0 : missing < 1) return undefined;
  const all = [...left, ...new Array<number>(Math.max(0, missing)).fill(0), ...right];
  return all.every((g) => !Number.isNaN(g)) ? all : undefined;
}

/** The key a per-address limit counts `address` under. */
export function limitAddress(address: string): string {
  if (!isIPv6(address)) return address;
  const g = groups(address);
  if (!g) return address;
  // IPv4-mapped (::ffff:a.b.c.d): the IPv4 address itself.
  if (g.slice(0, 5).every((x) => x === 0) && g[5] === 0xffff) return `${g[6]! >> 8}.${g[6]! & 0xff}.${g[7]! >> 8}.${g[7]! & 0xff}`;
  const prefix = httpDefaults.ipv6LimitPrefix;
  const kept = g.map((x, i) => {
    const bits = Math.max(0, Math.min(16, prefix - i * 16));
    return bits === 0 ? 0 : x & ((0xffff << (16 - bits)) & 0xffff);
  });
  const shown = kept.slice(0, Math.ceil(prefix / 16)).map((x) => x.toString(16));
  return `${shown.join(':')}${shown.length < 8 ? '::' : ''}/${prefix}`;
}
