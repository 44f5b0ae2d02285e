/** Building blocks of the rows: the two sides and the load they are given. */
import type { LoadSpec } from '../load.ts';
import type { RoundInfo, Side } from './compare.ts';
import { FORM, type BenchContext } from './context.ts';

/** Our provider (plus the entity when the row's work reaches it), profiled as `provider` and `entity`. */
export function oursSide(ctx: BenchContext, spec: Side['spec'], options: { entity?: boolean } = {}): Side {
  return {
    name: 'ours',
    server: ctx.nod,
    spec,
    profile: [{ name: 'provider', child: ctx.nod }, ...(options.entity && ctx.entity ? [{ name: 'entity', child: ctx.entity }] : [])],
  };
}

/** oidc-provider, profiled as `oidc-provider` (plus the entity when its hook delegates to it). */
export function theirsSide(ctx: BenchContext, spec: Side['spec'], options: { name?: string; entity?: boolean; before?: () => Promise<unknown> } = {}): Side {
  return {
    name: options.name ?? 'theirs',
    server: ctx.panva,
    spec,
    profile: [{ name: 'oidc-provider', child: ctx.panva }, ...(options.entity && ctx.entity ? [{ name: 'entity', child: ctx.entity }] : [])],
    ...(options.before ? { before: options.before } : {}),
  };
}

/** A form POST with client authentication, one body or bodies in turn. */
export function formLoad(
  ctx: BenchContext,
  url: string,
  authorization: string,
  body: string | readonly string[],
  expectStatus: number,
  amount?: number,
): LoadSpec {
  return {
    url,
    headers: { 'content-type': FORM, authorization },
    ...(typeof body === 'string' ? { body } : { bodies: body }),
    connections: ctx.connections,
    expectStatus,
    ...(amount !== undefined ? { amount } : {}),
  };
}

/**
 * Requests in a round of single-use bodies (codes, refresh tokens): the side's last throughput
 * times the round's length (`guessRps` before any round), at least four per connection.
 */
export function roundAmount(ctx: BenchContext, round: RoundInfo, guessRps: number): number {
  const rps = round.previous?.rps ?? guessRps;
  return Math.max(ctx.connections * 4, Math.round(rps * round.seconds));
}

/** `items` rotated to start at `offset` (bodies in turn continue across rounds instead of restarting). */
export function rotate<T>(items: readonly T[], offset: number): T[] {
  const k = items.length ? offset % items.length : 0;
  return [...items.slice(k), ...items.slice(0, k)];
}
