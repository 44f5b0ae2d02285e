/**
 * Calls to the entity's /api (same origin as the app). Every failure becomes an `ApiError` with
 * the entity's error code, or `network_error` when the entity could not be reached.
 */
import type { ErrorResponse } from '../../../shared/errors.ts';

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    description?: string,
  ) {
    super(description ?? code);
    this.name = 'ApiError';
  }
}

export interface ApiOptions {
  readonly method?: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  /** Bearer token: the device token, or the provider's access token at enrollment. */
  readonly token?: string | undefined;
  readonly body?: unknown;
  readonly signal?: AbortSignal;
}

/** Called on every 401 with a device token (the device was removed or its session expired). */
let unauthorized: (() => void) | undefined;
export function onUnauthorized(fn: (() => void) | undefined): void {
  unauthorized = fn;
}

/** Performs one /api call and parses its JSON answer. */
export async function api<T>(path: string, options: ApiOptions = {}): Promise<T> {
  const headers: Record<string, string> = { Accept: 'application/json' };
  if (options.token) headers.Authorization = `Bearer ${options.token}`;
  if (options.body !== undefined) headers['Content-Type'] = 'application/json';
  let res: Response;
  try {
    res = await fetch(path, {
      method: options.method ?? 'GET',
      headers,
      body: options.body === undefined ? null : JSON.stringify(options.body),
      cache: 'no-store',
      ...(options.signal ? { signal: options.signal } : {}),
    });
  } catch (e) {
    if ((e as Error).name === 'AbortError') throw e;
    throw new ApiError(0, 'network_error', 'The server could not be reached. Check your connection.');
  }
  const text = await res.text();
  let body: unknown;
  try {
    body = text ? JSON.parse(text) : undefined;
  } catch {
    body = undefined;
  }
  if (!res.ok) {
    const err = (body ?? {}) as Partial<ErrorResponse>;
    if (res.status === 401 && options.token) unauthorized?.();
    throw new ApiError(res.status, typeof err.error === 'string' ? err.error : `http_${res.status}`, err.error_description);
  }
  return body as T;
}

/** A sentence for the user from any error. */
export function describeError(e: unknown): string {
  if (e instanceof ApiError) {
    if (e.code === 'network_error') return e.message;
    if (e.message && e.message !== e.code) return e.message;
    return `Something went wrong (${e.code}).`;
  }
  return e instanceof Error && e.message ? e.message : 'Something went wrong.';
}
