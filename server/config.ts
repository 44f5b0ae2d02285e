/**
 * Entity configuration from `NOD_` environment variables; every field has a default and tests
 * pass overrides directly.
 */
import { parseTrustProxy, type TrustProxy } from '../shared/http/trust_proxy.ts';
import { envBool, envInt, envList, envString } from '../shared/env.ts';
import { DELEGATION_PATH } from '../shared/auth-channel.ts';
import { DEFAULT_PROVIDER_PORT, DEFAULT_SERVER_PORT, DEVICE_APP_CLIENT_ID } from '../shared/constants.ts';
import { defaults } from './defaults.ts';
import { loadStoreConfig, type StoreConfig } from '../shared/store/open.ts';

export interface ServerConfig {
  /** `NOD_SERVER_PORT`, default 3001 (tests use 0). */
  readonly port: number;
  /** `NOD_SERVER_HOST`, default all interfaces. */
  readonly host?: string;
  /** Public base URL, `NOD_SERVER_URL`; default http://localhost:<port>. */
  readonly url: string;
  /** `NOD_DATA_DIR`, default ./data (the store is `server.json`, so it can share the provider's dir). */
  readonly dataDir: string;
  /** The store: `NOD_STORE` (lowdb, the default, or a redis:// URL) and `NOD_STORE_PREFIX`. */
  readonly store: StoreConfig;
  /** Issuers whose delegations are accepted, `NOD_TRUSTED_ISSUERS` (comma list), default the local provider. */
  readonly trustedIssuers: readonly string[];
  /** The provider the app signs in at, `NOD_ENROLL_ISSUER`, default the first trusted issuer. */
  readonly enrollIssuer: string;
  /** The app's public client id at the enroll issuer, `NOD_DEVICE_APP_CLIENT_ID`, default nod-device-app. */
  readonly appClientId: string;
  /** Where delegations are received, `NOD_DELEGATION_PATH`, default /ciba/delegation. */
  readonly delegationPath: string;
  /** VAPID contact, `NOD_VAPID_SUBJECT` (mailto: or https: URL). */
  readonly vapidSubject: string;
  /** The provider's device verification page shown by the app, `NOD_DEVICE_VERIFICATION_URI`, default {enrollIssuer}/device. */
  readonly deviceVerificationUri: string;
  /** `NOD_DEMO`: demo mode (allows the automated-approval hook). */
  readonly demo: boolean;
  /** `NOD_AUTO_APPROVE`: approve every request automatically. Refused unless demo mode. */
  readonly autoApprove: boolean;
  /** Directory of the built device app; served when it exists. */
  readonly appDir: string;
  /** Proxies whose X-Forwarded-For names the client: `NOD_TRUST_PROXY`, default loopback (shared/http/trust_proxy.ts). */
  readonly trustProxy: TrustProxy;
}

const trim = (u: string) => u.replace(/\/+$/, '');

/** Reads the configuration from the environment, with overrides on top; fails loudly on bad values. */
export function loadServerConfig(overrides: Partial<ServerConfig> = {}, env = process.env): ServerConfig {
  const port = overrides.port ?? envInt('NOD_SERVER_PORT', DEFAULT_SERVER_PORT, env);
  const trustedIssuers = (overrides.trustedIssuers ?? envList('NOD_TRUSTED_ISSUERS', [`http://localhost:${DEFAULT_PROVIDER_PORT}`], env)).map(trim);
  if (trustedIssuers.length === 0) throw new TypeError('NOD_TRUSTED_ISSUERS must name at least one issuer');
  for (const iss of trustedIssuers) if (!/^https?:\/\//.test(iss)) throw new TypeError(`trusted issuer ${iss} is not an http(s) URL`);
  const enrollIssuer = trim(overrides.enrollIssuer ?? envString('NOD_ENROLL_ISSUER', trustedIssuers[0]!, env));
  const vapidSubject = overrides.vapidSubject ?? envString('NOD_VAPID_SUBJECT', defaults.vapidSubject, env);
  if (!/^(mailto:|https:\/\/)/.test(vapidSubject)) throw new TypeError('NOD_VAPID_SUBJECT must be a mailto: or https: URL');
  const delegationPath = overrides.delegationPath ?? envString('NOD_DELEGATION_PATH', DELEGATION_PATH, env);
  if (!delegationPath.startsWith('/') || delegationPath.startsWith('/api/') || delegationPath === '/ws') {
    throw new TypeError('NOD_DELEGATION_PATH must be an absolute path outside /api and /ws');
  }
  return {
    port,
    host: overrides.host ?? (env.NOD_SERVER_HOST || undefined),
    url: trim(overrides.url ?? envString('NOD_SERVER_URL', `http://localhost:${port}`, env)),
    dataDir: overrides.dataDir ?? envString('NOD_DATA_DIR', './data', env),
    store: overrides.store ?? loadStoreConfig(env),
    trustedIssuers,
    enrollIssuer,
    appClientId: overrides.appClientId ?? envString('NOD_DEVICE_APP_CLIENT_ID', DEVICE_APP_CLIENT_ID, env),
    delegationPath,
    vapidSubject,
    deviceVerificationUri: overrides.deviceVerificationUri ?? envString('NOD_DEVICE_VERIFICATION_URI', `${enrollIssuer}/device`, env),
    demo: overrides.demo ?? envBool('NOD_DEMO', false, env),
    autoApprove: overrides.autoApprove ?? envBool('NOD_AUTO_APPROVE', false, env),
    appDir: overrides.appDir ?? new URL('../device-app/dist', import.meta.url).pathname,
    trustProxy: overrides.trustProxy ?? parseTrustProxy(env.NOD_TRUST_PROXY),
  };
}
