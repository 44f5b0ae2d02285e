/**
 * Provider configuration from `NOD_` environment variables (documented in the README).
 * Every field has a default; tests pass overrides directly.
 */
import { envBool, envInt, envString } from '../shared/env.ts';
import { DELEGATION_PATH } from '../shared/auth-channel.ts';
import { DEFAULT_PROVIDER_PORT, DEFAULT_SERVER_PORT } from '../shared/constants.ts';
import { defaults } from './defaults.ts';
import { loadStoreConfig, type StoreConfig } from '../shared/store/open.ts';
import { parseTrustProxy, type TrustProxy } from '../shared/http/trust_proxy.ts';

/** Lifetimes and windows in defaults.ts that a provider instance may override (tests shorten them). */
export type TtlName =
  | 'authorizationCodeTtl'
  | 'interactionTtl'
  | 'frontChannelAccessTokenTtl'
  | 'accountLockTtl'
  | 'loginAddressWindow'
  | 'clientAuthFailureWindow';

export interface ProviderConfig {
  /** Public issuer URL; no trailing slash. `NOD_ISSUER`, default http://localhost:3000. */
  readonly issuer: string;
  /** `NOD_PROVIDER_PORT`, default 3000. */
  readonly port: number;
  /** `NOD_PROVIDER_HOST`, default all interfaces. */
  readonly host?: string;
  /** `NOD_DATA_DIR`, default ./data. */
  readonly dataDir: string;
  /** The store: `NOD_STORE` (lowdb, the default, or a redis:// URL) and `NOD_STORE_PREFIX`. */
  readonly store: StoreConfig;
  /** `NOD_DEMO`: seed demo users and clients. Default: on when the data directory is new. */
  readonly demo?: boolean;
  /** `NOD_AUTH_CHANNEL_URL`: where CIBA requests are delegated. Default the local entity. */
  readonly authChannelUrl: string;
  /** `NOD_DEVICE_APP_URL`: origin of the device app (demo client redirect URIs). Default http://localhost:3001. */
  readonly deviceAppUrl: string;
  /** Device flow lifetime and poll interval, seconds, for clients that set neither: `NOD_DEVICE_CODE_EXPIRES_IN`, `NOD_DEVICE_CODE_INTERVAL` (see defaults.ts). */
  readonly device: { readonly expiresIn: number; readonly interval: number };
  /** Set cookies with the Secure flag: `NOD_SECURE_COOKIES`, default on for https issuers. */
  readonly secureCookies: boolean;
  /** Proxies whose X-Forwarded-For names the client (the guessing limits count by it): `NOD_TRUST_PROXY`, default loopback (shared/http/trust_proxy.ts). */
  readonly trustProxy: TrustProxy;
  /** CIBA lifetimes and poll interval, seconds: `NOD_CIBA_EXPIRES_IN`, `NOD_CIBA_MAX_EXPIRES_IN`, `NOD_CIBA_INTERVAL` (see defaults.ts). */
  readonly ciba: { readonly expiresIn: number; readonly maxExpiresIn: number; readonly interval: number };
  /** Per-instance overrides of some lifetimes in defaults.ts, seconds. Not read from the environment. */
  readonly ttls?: Readonly<Partial<Record<TtlName, number>>>;
  /** Per-instance overrides of the back-channel logout retries in defaults.ts (tests shorten them). Not read from the environment. */
  readonly backchannelLogout?: Readonly<Partial<BackchannelLogoutTuning>>;
}

/** How logout tokens are retried (defaults.ts: backchannelLogout*). */
export interface BackchannelLogoutTuning {
  readonly timeoutMs: number;
  readonly maxAttempts: number;
  readonly retryBaseMs: number;
}

/** The back-channel logout retries in force: the instance's overrides, else the defaults. */
export function backchannelLogoutTuning(config: ProviderConfig): BackchannelLogoutTuning {
  return {
    timeoutMs: config.backchannelLogout?.timeoutMs ?? defaults.backchannelLogoutTimeoutMs,
    maxAttempts: config.backchannelLogout?.maxAttempts ?? defaults.backchannelLogoutMaxAttempts,
    retryBaseMs: config.backchannelLogout?.retryBaseMs ?? defaults.backchannelLogoutRetryBaseMs,
  };
}

/** A lifetime in seconds: the instance's override, else the default. */
export function ttlOf(config: ProviderConfig, name: TtlName): number {
  return config.ttls?.[name] ?? defaults[name];
}

/** Reads the configuration from the environment, with overrides on top. */
export function loadProviderConfig(overrides: Partial<ProviderConfig> = {}, env = process.env): ProviderConfig {
  const port = overrides.port ?? envInt('NOD_PROVIDER_PORT', DEFAULT_PROVIDER_PORT, env);
  const issuer = (overrides.issuer ?? envString('NOD_ISSUER', `http://localhost:${port}`, env)).replace(/\/+$/, '');
  const demoEnv = env.NOD_DEMO;
  return {
    issuer,
    port,
    host: overrides.host ?? (env.NOD_PROVIDER_HOST || undefined),
    dataDir: overrides.dataDir ?? envString('NOD_DATA_DIR', './data', env),
    store: overrides.store ?? loadStoreConfig(env),
    demo: overrides.demo ?? (demoEnv === undefined || demoEnv === '' ? undefined : envBool('NOD_DEMO', false, env)),
    authChannelUrl: overrides.authChannelUrl ?? envString('NOD_AUTH_CHANNEL_URL', `http://localhost:${DEFAULT_SERVER_PORT}${DELEGATION_PATH}`, env),
    deviceAppUrl: (overrides.deviceAppUrl ?? envString('NOD_DEVICE_APP_URL', `http://localhost:${DEFAULT_SERVER_PORT}`, env)).replace(/\/+$/, ''),
    device: overrides.device ?? {
      expiresIn: envInt('NOD_DEVICE_CODE_EXPIRES_IN', defaults.deviceCodeExpiresIn, env),
      interval: envInt('NOD_DEVICE_CODE_INTERVAL', defaults.deviceCodeInterval, env),
    },
    secureCookies: overrides.secureCookies ?? envBool('NOD_SECURE_COOKIES', issuer.startsWith('https:'), env),
    trustProxy: overrides.trustProxy ?? parseTrustProxy(env.NOD_TRUST_PROXY),
    ciba: overrides.ciba ?? {
      expiresIn: envInt('NOD_CIBA_EXPIRES_IN', defaults.cibaExpiresIn, env),
      maxExpiresIn: envInt('NOD_CIBA_MAX_EXPIRES_IN', defaults.cibaMaxExpiresIn, env),
      interval: envInt('NOD_CIBA_INTERVAL', defaults.cibaInterval, env),
    },
    ...(overrides.ttls ? { ttls: overrides.ttls } : {}),
    ...(overrides.backchannelLogout ? { backchannelLogout: overrides.backchannelLogout } : {}),
  };
}
