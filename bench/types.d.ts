/** Minimal typings for the two untyped dev dependencies the benchmark drives. */
declare module 'autocannon' {
  interface Histogram {
    readonly average: number;
    readonly mean: number;
    readonly p50: number;
    readonly p90: number;
    readonly p99: number;
    readonly max: number;
    readonly total: number;
  }
  interface Result {
    readonly requests: Histogram;
    readonly latency: Histogram;
    readonly errors: number;
    readonly timeouts: number;
    readonly non2xx: number;
    readonly '2xx': number;
    readonly duration: number;
    readonly statusCodeStats: Record<string, { count: number }>;
  }
  interface Options {
    url: string;
    connections?: number;
    duration?: number;
    amount?: number;
    method?: string;
    headers?: Record<string, string>;
    body?: string;
    pipelining?: number;
    timeout?: number;
    requests?: Array<{ setupRequest?: (req: Record<string, unknown>) => Record<string, unknown> }>;
  }
  interface Instance extends PromiseLike<Result> {
    on(event: 'response', listener: (client: unknown, statusCode: number, resBytes: number, responseTimeMs: number) => void): this;
  }
  function autocannon(opts: Options): Instance;
  export default autocannon;
}

declare module 'oidc-provider' {
  import type { RequestListener } from 'node:http';
  /** The models the bench mints directly (the provider's own classes). */
  interface Token {
    save(): Promise<string>;
  }
  interface GrantToken extends Token {
    addOIDCScope(scope: string): void;
    addResourceScope(resource: string, scope: string): void;
  }
  class Provider {
    constructor(issuer: string, configuration: Record<string, unknown>);
    callback(): RequestListener;
    on(event: string, listener: (...args: unknown[]) => void): this;
    proxy: boolean;
    readonly Client: { find(id: string): Promise<unknown> };
    readonly Grant: new (
      payload: Record<string, unknown>,
    ) => GrantToken;
    readonly AuthorizationCode: new (
      payload: Record<string, unknown>,
    ) => Token;
    readonly RefreshToken: new (
      payload: Record<string, unknown>,
    ) => Token;
  }
  export const errors: Record<string, new (...args: string[]) => Error>;
  export default Provider;
}

/** The provider's own memory adapter and LRU (no package exports map: the files are importable). */
declare module 'oidc-provider/lib/adapters/memory_adapter.js' {
  export default class MemoryAdapter {
    constructor(model: string, store: unknown, clockTolerance?: number);
  }
}
declare module 'oidc-provider/lib/helpers/lru.js' {
  export default class LRU {
    constructor(options: { maxSize: number });
  }
}
