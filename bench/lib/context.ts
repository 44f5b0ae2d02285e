/** What every row of the benchmark gets: the processes under test and the load settings. */
import type { Child } from './child.ts';
import { spreadOf, type ProfileFile, type Side, type SideResult, type Spread } from './compare.ts';
import type { NodInfo } from '../servers/nod.ts';
import type { PanvaInfo } from '../servers/panva.ts';
import type { EntityInfo } from '../servers/entity.ts';

export interface BenchContext {
  readonly quick: boolean;
  /** Concurrent connections of the load generator (same for both sides). */
  readonly connections: number;
  /** Seconds per measured round. */
  readonly duration: number;
  /** Measured rounds per side. */
  readonly rounds: number;
  /** Seconds of warm-up per side. */
  readonly warmup: number;
  readonly load: Child<unknown>;
  readonly nod: Child<NodInfo>;
  readonly panva: Child<PanvaInfo>;
  /** Our entity, if it could be started in this tree. */
  readonly entity?: Child<EntityInfo>;
  readonly entityError?: string;
  /** The device app built for this run (served by the entity), or why not. */
  readonly appDir?: string;
  readonly appError?: string;
  /** Starts another child that is stopped with the others at the end. */
  spawn<I>(module: string, args: unknown): Promise<Child<I>>;
  log(message: string): void;
  /** Runs the alternating rounds of one row over `sides` (profiled when the row is being profiled). */
  compare(row: string, sides: readonly Side[]): Promise<SideResult[]>;
  /** CPU time of every benchmark process so far, µs (to tell the machine's other load apart). */
  ownCpu(): Promise<number>;
  /** Set when this row is being profiled: the directory and sampling interval. Rows call profiled() to take part. */
  profiling(row: string): { readonly dir: string; readonly intervalUs: number } | undefined;
  /** Profiles written so far. */
  readonly profiles: ProfileFile[];
}

/** One side-by-side line of the table. */
export interface CompareRow {
  readonly kind: 'compare';
  /** Row id, as `--only` and `--profile` take it (cc-jwt, code, bc-noop, ...). */
  readonly id: string;
  readonly name: string;
  readonly ours: SideResult;
  readonly theirs?: SideResult;
  /** ours rps / theirs rps, of the means over rounds (> 1: we serve more). */
  readonly ratio?: number;
  /** The per-round ratios: min / median / max. */
  readonly spread?: Spread;
  readonly note?: string;
  /** Size of our provider's store when the row started (the store's commit and compaction costs follow it). */
  readonly oursStoreAtStart?: { readonly records: number; readonly fileBytes: number };
}

/** A side-by-side row from both sides' results. */
export function compareRow(id: string, name: string, ours: SideResult, theirs: SideResult, note?: string): CompareRow {
  return { kind: 'compare', id, name, ours, theirs, ratio: ours.rps / theirs.rps, spread: spreadOf(ours, theirs), ...(note ? { note } : {}) };
}

/** A row whose feature is missing in this tree. */
export interface SkippedRow {
  readonly kind: 'skipped';
  readonly id?: string;
  readonly name: string;
  readonly reason: string;
}

export const FORM = 'application/x-www-form-urlencoded';

/** HTTP Basic header for client_secret_basic (RFC 6749 section 2.3.1 encoding). */
export function basic(id: string, secret: string): string {
  return `Basic ${Buffer.from(`${encodeURIComponent(id)}:${encodeURIComponent(secret)}`).toString('base64')}`;
}

/** One POST with a form body, answer parsed as JSON. */
export async function postForm(url: string, body: string, authorization?: string): Promise<{ status: number; json: any }> {
  const res = await fetch(url, { method: 'POST', headers: { 'content-type': FORM, ...(authorization ? { authorization } : {}) }, body });
  const text = await res.text();
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    json = { raw: text.slice(0, 200) };
  }
  return { status: res.status, json };
}

/** Discovery document of an issuer. */
export async function discover(issuer: string): Promise<Record<string, any>> {
  const res = await fetch(`${issuer}/.well-known/openid-configuration`);
  return (await res.json()) as Record<string, any>;
}

/** Thrown by a row whose feature is not in this tree (yet): the row is printed as "not available". */
export class NotAvailable extends Error {}

/**
 * Seconds an expired CIBA record is kept for late polls at the provider (300 in production) and
 * remembered at the entity (600) — short so the sweep shows within one run.
 */
export const EXPIRED_GRACE = 5;
