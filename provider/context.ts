/** What every endpoint of one provider instance shares. Built once in app.ts. */
import type { EventEmitter } from 'node:events';
import type { ProviderConfig } from './config.ts';
import type { Store } from '../shared/store/store.ts';
import type { KeyStore } from './keys/keystore.ts';
import type { Models } from './models/index.ts';
import type { Logger } from '../shared/log.ts';
import type { JsonPoster } from '../shared/http/post_json.ts';
import type { CibaLifecycle } from './ciba/lifecycle.ts';
import type { BackchannelLogoutQueue } from './logout/queue.ts';
import type { HintIssuerKeys } from './ciba/hints.ts';
import type { LoginHints } from './ciba/resolve_login_hint.ts';
import { CIBA_CALLBACK_PATH } from '../shared/auth-channel.ts';

/** Absolute URLs of the provider's endpoints, derived from the issuer. */
export interface EndpointUrls {
  readonly authorization: string;
  readonly token: string;
  readonly userinfo: string;
  readonly jwks: string;
  readonly introspection: string;
  readonly revocation: string;
  readonly endSession: string;
  readonly backchannelAuthentication: string;
  readonly deviceAuthorization: string;
  readonly deviceVerification: string;
  readonly cibaCallback: string;
  readonly checkSession: string;
}

/** Endpoint paths, relative to the issuer. */
export const PATHS = {
  authorization: '/authorize',
  token: '/token',
  userinfo: '/userinfo',
  jwks: '/jwks',
  introspection: '/token/introspect',
  revocation: '/token/revoke',
  endSession: '/logout',
  backchannelAuthentication: '/bc-authorize',
  deviceAuthorization: '/device/auth',
  deviceVerification: '/device',
  cibaCallback: CIBA_CALLBACK_PATH,
  checkSession: '/session/check',
  login: '/login',
  consent: '/consent',
} as const;

export function endpointUrls(issuer: string): EndpointUrls {
  const u = (p: string) => `${issuer}${p}`;
  return {
    authorization: u(PATHS.authorization),
    token: u(PATHS.token),
    userinfo: u(PATHS.userinfo),
    jwks: u(PATHS.jwks),
    introspection: u(PATHS.introspection),
    revocation: u(PATHS.revocation),
    endSession: u(PATHS.endSession),
    backchannelAuthentication: u(PATHS.backchannelAuthentication),
    deviceAuthorization: u(PATHS.deviceAuthorization),
    deviceVerification: u(PATHS.deviceVerification),
    cibaCallback: u(PATHS.cibaCallback),
    checkSession: u(PATHS.checkSession),
  };
}

export interface ProviderContext {
  readonly config: ProviderConfig;
  readonly store: Store;
  readonly keys: KeyStore;
  /** Server secret for HMACs (CSRF). */
  readonly secret: Buffer;
  readonly models: Models;
  readonly urls: EndpointUrls;
  /** Events: `grant.success`, `backchannel_authentication.saved`, `*.error`, ... for logs and tests. */
  readonly events: EventEmitter;
  readonly log: Logger;
  /** CIBA expiries and ping/push notifications, worked by whichever node claims them. */
  readonly ciba: CibaLifecycle;
  /** Back-channel logout tokens owed to clients, sent (and retried) by whichever node claims them. */
  readonly logout: BackchannelLogoutQueue;
  /** The login_hint resolver in force (replaceable per instance: useLoginHintResolver). */
  readonly loginHints: LoginHints;
  /** Key sets of trusted login_hint_token issuers, cached per jwks_uri. */
  readonly hintIssuerKeys: HintIssuerKeys;
  /** Keep-alive connection pools of the delegation, ping/push notifications and logout tokens. */
  readonly http: JsonPoster;
  /** A hash of a password nobody knows (made on first use), so unknown usernames cost as much as known ones. */
  dummyPasswordHash(): Promise<string>;
}
