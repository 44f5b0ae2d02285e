/**
 * Rich Authorization Requests (RFC 9396): the `authorization_details` value, its limits and the
 * structural checks the provider and the entity both apply. What each type means and how it is
 * shown lives in the registry beside this file (authorization_details_types.ts).
 * @see https://www.rfc-editor.org/rfc/rfc9396#section-2
 */
import { AUTHORIZATION_DETAILS_TYPES } from './authorization_details_types.ts';
import { utf8 } from './web.ts';

/** One authorization detail: an object with a `type` and that type's fields. */
export type AuthorizationDetail = { readonly type: string } & { readonly [field: string]: unknown };

/**
 * Limits of an `authorization_details` value. A phone shows every field of every detail, so the
 * value stays small: 4 KiB covers a few payments with long references, and nothing a person can
 * check at a glance is larger.
 */
export const AUTHORIZATION_DETAILS_LIMITS = {
  /** Largest value, in bytes of UTF-8 JSON text: the parameter as sent to the provider, the compact JSON the entity receives. */
  maxBytes: 4096,
  /** Deepest nesting of arrays and objects, counting the outer array as 1. */
  maxDepth: 6,
  /** Longest `type` name, in characters. */
  maxTypeLength: 128,
} as const;

/** RFC 9396 §2.2 common data fields and the JSON shape each must have. */
const COMMON_STRING_ARRAYS = ['locations', 'actions', 'datatypes', 'privileges'] as const;

type Parsed = { readonly details: AuthorizationDetail[] } | { readonly problem: string };

const utf8Length = (s: string) => utf8(s).length;

function depth(v: unknown): number {
  if (v === null || typeof v !== 'object') return 0;
  const children = Array.isArray(v) ? v : Object.values(v);
  return 1 + children.reduce<number>((m, c) => Math.max(m, depth(c)), 0);
}

/**
 * Why `value` is not a valid authorization_details array, or undefined when it is: a non-empty
 * array of objects, each with a non-empty string `type`, the common fields well-typed, within the
 * limits, and each known type's own fields as its registry entry requires.
 */
export function authorizationDetailsProblem(value: unknown): string | undefined {
  if (!Array.isArray(value)) return 'authorization_details must be a JSON array of objects';
  if (value.length === 0) return 'authorization_details must hold at least one object';
  if (depth(value) > AUTHORIZATION_DETAILS_LIMITS.maxDepth)
    return `authorization_details is nested deeper than ${AUTHORIZATION_DETAILS_LIMITS.maxDepth} levels`;
  for (const [i, d] of value.entries()) {
    const at = `authorization_details[${i}]`;
    if (d === null || typeof d !== 'object' || Array.isArray(d)) return `${at} must be an object`;
    const o = d as Record<string, unknown>;
    if (typeof o.type !== 'string' || o.type === '' || o.type.length > AUTHORIZATION_DETAILS_LIMITS.maxTypeLength) {
      return `${at}.type is required: a string of 1 to ${AUTHORIZATION_DETAILS_LIMITS.maxTypeLength} characters`;
    }
    for (const f of COMMON_STRING_ARRAYS) {
      if (o[f] !== undefined && !(Array.isArray(o[f]) && (o[f] as unknown[]).every((x) => typeof x === 'string')))
        return `${at}.${f} must be an array of strings`;
    }
    if (o.identifier !== undefined && typeof o.identifier !== 'string') return `${at}.identifier must be a string`;
    const own = Object.hasOwn(AUTHORIZATION_DETAILS_TYPES, o.type) ? AUTHORIZATION_DETAILS_TYPES[o.type]!.check?.(o) : undefined;
    if (own) return `${at} (${o.type}): ${own}`;
  }
  return undefined;
}

/** Parses and checks the JSON text of an authorization_details parameter. */
export function parseAuthorizationDetails(text: string): Parsed {
  if (utf8Length(text) > AUTHORIZATION_DETAILS_LIMITS.maxBytes) {
    return { problem: `authorization_details is larger than ${AUTHORIZATION_DETAILS_LIMITS.maxBytes} bytes` };
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return { problem: 'authorization_details is not valid JSON' };
  }
  const problem = authorizationDetailsProblem(value);
  return problem ? { problem } : { details: value as AuthorizationDetail[] };
}

/** Checks an already-parsed value (the entity's delegation body): same rules, size measured on its compact JSON. */
export function checkAuthorizationDetailsValue(value: unknown): Parsed {
  if (!Array.isArray(value)) return { problem: 'authorization_details must be a JSON array of objects' };
  return parseAuthorizationDetails(JSON.stringify(value));
}
