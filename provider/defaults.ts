/**
 * Every default and TTL of the provider, in one place. Durations are in seconds unless the name
 * says otherwise. Environment variables (see config.ts) and per-client metadata override some.
 */
import { httpDefaults } from '../shared/http/defaults.ts';
import { envInt } from '../shared/env.ts';
import { STANDARD_SCOPE_DESCRIPTIONS } from '../shared/scopes.ts';

export const defaults = {
  /** Lifetime of an authorization code. RFC 6749 recommends at most 10 minutes; 60 s is plenty. */
  authorizationCodeTtl: 60,
  /** Access tokens from the token endpoint. Short: resource servers verify them offline (RFC 9068). */
  accessTokenTtl: 3600,
  /** Access tokens delivered through the front channel (implicit/hybrid): shorter, they sit in browser history. */
  frontChannelAccessTokenTtl: 600,
  /** ID tokens. */
  idTokenTtl: 3600,
  /** Refresh tokens (absolute lifetime of one token; rotation issues a new one). */
  refreshTokenTtl: 14 * 24 * 3600,
  /** How long a rotated (consumed) refresh token is remembered so its reuse revokes the family. */
  refreshTokenReuseWindow: 14 * 24 * 3600,
  /** Grants (what the user approved for a client) live as long as their longest refresh token. */
  grantTtl: 30 * 24 * 3600,
  /** Browser login session. */
  sessionTtl: 8 * 3600,
  /** A pending login/consent interaction (the authorization request waiting for the user). */
  interactionTtl: 600,
  /** Remembered consent per client and scopes. */
  consentTtl: 365 * 24 * 3600,
  /** Account lock: this many wrong passwords in a row lock the account... */
  maxFailedLogins: 5,
  /** ...for this long. */
  accountLockTtl: 15 * 60,
  /** Failed sign-ins allowed from one address per window (against password spraying)... */
  loginAddressMaxFailures: 20,
  /** ...and that window, seconds; the failure that reaches the limit is logged once (login.address_blocked), the account lock as account.locked. */
  loginAddressWindow: 15 * 60,
  /**
   * Client authentication failures (wrong secret, bad client assertion, unknown client_id) at
   * every endpoint that authenticates clients, counted in the store so that all nodes count
   * together (middleware/client_auth_limit.ts). Past a limit the caller gets `invalid_client`
   * (401: RFC 6749 section 5.2 has no other code for a failed client authentication, and
   * `slow_down` is a polling answer of the device and CIBA grants only) with Retry-After, and
   * the client_id is refused before its secret is looked at, so a guess during a block, even
   * the right one, teaches nothing. Refusals are not counted and blocks are short, so an
   * attacker cannot lock a client out for long, nor cheaply from one address.
   * Failures of one client_id from one address in a window (the primary limit)...
   */
  clientAuthMaxFailuresPerSource: 10,
  /** ...of one client_id from all addresses together (a distributed guesser; high, so a few addresses cannot lock the real client out)... */
  clientAuthMaxFailuresPerClient: 100,
  /** ...from one address for all client_ids together (one guesser trying many clients)... */
  clientAuthMaxFailuresPerAddress: 50,
  /** ...the window of the three counts, seconds; a limit reached blocks for this long from the failure that reached it (logged once: client_auth.source_blocked, client.locked). */
  clientAuthFailureWindow: 60,
  /** Largest accepted form or JSON body, in bytes. */
  maxBodyBytes: 64 * 1024,
  /** Longest accepted single parameter value, in characters (request objects and JWTs fit). */
  maxParamLength: 8192,
  /** Client assertion (private_key_jwt) `jti`s are remembered this long at most. */
  clientAssertionMaxAge: 600,
  /** Public keys of a rotated-out signing key stay published for this long (longest token TTL). */
  retiredKeyTtl: 30 * 24 * 3600,
  /** Device flow (RFC 8628): lifetime of a device_code/user_code pair when the client sets no device_code_expires_in. 10 minutes gives the user time to find a phone and sign in. `NOD_DEVICE_CODE_EXPIRES_IN`. */
  deviceCodeExpiresIn: 600,
  /** Device flow: minimum seconds between polls when the client sets no device_code_interval (RFC 8628's default is 5). `NOD_DEVICE_CODE_INTERVAL`. */
  deviceCodeInterval: 5,
  /** Device flow: user code alphabet. 20 consonants (no vowels: no words; no digits: nothing to confuse), as RFC 8628 section 6.1 suggests. */
  userCodeAlphabet: 'BCDFGHJKLMNPQRSTVWXZ',
  /** Device flow: user code length; 8 of 20 letters is about 34.5 bits, shown as two groups of four (WDJB-MJHT). */
  userCodeLength: 8,
  /** Device flow guessing (RFC 8628 section 5.1): wrong codes one browser may enter before it is slowed down... */
  userCodeFreeFailures: 3,
  /** ...then after each further wrong code it must wait this many seconds before the next try... */
  userCodeFailureDelay: 2,
  /** ...and after this many wrong codes in the window it is refused for userCodeBlockTtl. */
  userCodeMaxFailures: 6,
  /** Wrong codes allowed from one network address per window (many browsers behind one attacker)... */
  userCodeAddressMaxFailures: 20,
  /** ...the window for both counts, in seconds... */
  userCodeFailureWindow: 15 * 60,
  /** ...and how long a browser or address that reached its limit is refused. */
  userCodeBlockTtl: 15 * 60,
  /** CIBA and device requests are kept this long past expiry so late polls get expired_token, not invalid_grant. */
  expiredRequestGrace: 300,
  /** CIBA: lifetime of an auth_req_id when neither the request (requested_expiry) nor the client (ciba_expires_in) says; Keycloak's default. `NOD_CIBA_EXPIRES_IN`. */
  cibaExpiresIn: 120,
  /** CIBA: upper bound for requested_expiry and ciba_expires_in; longer requests are cut to this. `NOD_CIBA_MAX_EXPIRES_IN`. */
  cibaMaxExpiresIn: 600,
  /** CIBA: minimum poll interval returned to poll and ping clients (the spec's default is 5). `NOD_CIBA_INTERVAL`. */
  cibaInterval: 5,
  /** CIBA policy: delivery mode of CIBA clients that register no backchannel_token_delivery_mode (Keycloak's default; poll needs nothing from the client). Set at run time with `npm run admin -- ciba-policy set --delivery-mode`. */
  cibaDeliveryMode: 'poll',
  /** CIBA policy: hints the backchannel endpoint accepts (all three by default, as Keycloak); `ciba-policy set --hints` turns some off. */
  cibaAcceptedHints: ['login_hint', 'login_hint_token', 'id_token_hint'],
  /** CIBA: longest binding_message, in characters (Keycloak 50, Auth0 64): a phone shows it in one glance. */
  cibaBindingMessageMaxLength: 50,
  /** CIBA anti-fatigue: at most this many requests per user that are pending or younger than the window (`ciba-policy set --fatigue-limit`, a client's `ciba_fatigue_limit`; 0 turns it off, which is not recommended)... */
  cibaFatigueLimit: 5,
  /** ...window in seconds (`--fatigue-window`, `ciba_fatigue_window`); beyond the limit the client gets too_many_requests with Retry-After instead of buzzing the phone again. */
  cibaFatigueWindow: 60,
  /** CIBA number matching for every client (`ciba-policy set --number-matching on`). Off: a client must show `binding_number` for it to work, so clients opt in with `backchannel_number_matching`. */
  cibaNumberMatching: false,
  /** CIBA user_code: wrong codes per user allowed within the window before further attempts are refused (guessing)... */
  cibaUserCodeMaxFailures: 5,
  /** ...window in seconds. */
  cibaUserCodeFailureWindow: 15 * 60,
  /** CIBA: acr put in ID tokens of grants approved on the authentication device. */
  cibaAcr: 'urn:nod:acr:ciba',
  /** CIBA: how long the authentication entity may take to accept a delegation (201) before the client gets 503. */
  delegationTimeoutMs: 10_000,
  /** CIBA ping/push: timeout of one POST to the client notification endpoint. */
  notificationTimeoutMs: 10_000,
  /** CIBA ping/push: attempts per notification (network errors and 5xx are retried; 3xx and 4xx are final). */
  notificationMaxAttempts: 4,
  /** CIBA ping/push: delay before the first retry, in milliseconds; doubles each time (1 s, 2 s, 4 s). */
  notificationRetryBaseMs: 1000,
  /** Back-Channel Logout: lifetime of a logout token (s); short, it is delivered at once (a retry signs a new one with the same jti). */
  logoutTokenTtl: 120,
  /** Back-Channel Logout: timeout of one POST to a client's backchannel_logout_uri, ms. */
  backchannelLogoutTimeoutMs: 5_000,
  /** Back-Channel Logout: attempts per logout token (network errors, timeouts and 5xx are retried; 2xx is done, 3xx and 4xx are final). */
  backchannelLogoutMaxAttempts: 8,
  /** Back-Channel Logout: delay before the first retry, ms; doubles per attempt (2 s, 4 s ... about 4 minutes in all), on the store's queue, so it survives a restart. */
  backchannelLogoutRetryBaseMs: 2_000,
  /** Back-Channel Logout: logout tokens one node sends at once. */
  backchannelLogoutConcurrency: 16,
  /** Signed backchannel requests: longest accepted exp - nbf (FAPI-CIBA: 60 minutes). */
  requestObjectMaxLifetime: 3600,
  /** Longest client_notification_token accepted (CIBA Core 7.1). */
  clientNotificationTokenMaxLength: 1024,
  /** Sweep of expired records, in milliseconds. */
  sweepIntervalMs: 30_000,
  /**
   * Work the nodes share (ciba/lifecycle.ts: expiries, ping/push notifications) is claimed by one
   * node with a lease it renews every third of it while working; when a node dies its claims run
   * out after this long (ms) and another node takes the work over. Longer than an event-loop stall
   * under load, short enough that a client waits little more for a notification.
   * `NOD_WORK_LEASE_MS` overrides it, for tests that kill nodes and want the restarted node to
   * take the work over at once (test/crash); not a production setting.
   */
  workLeaseMs: envInt('NOD_WORK_LEASE_MS', 10_000),
  /** Longest sleep of a node's worker between two looks at its queue: how soon it notices work another node left or scheduled, ms. */
  workPollMs: 1_000,
  /**
   * Ping/push notifications (and withdrawal notices) one node sends at once (each may wait
   * notificationTimeoutMs for the client). As many as the keep-alive pool holds connections to
   * one client (httpDefaults.outboundSocketsPerOrigin, 128): with 32 (here and for the entity's
   * callbacks), 1,000 round trips started at once spent 1.5 s from decision to ping against 62 ms
   * from ping to tokens; more would only wait for a connection.
   */
  notificationConcurrency: httpDefaults.outboundSocketsPerOrigin,
  /** Expiries one node works at once. */
  expiryConcurrency: 16,
  /**
   * HTTP admission: requests in flight (admitted, not answered yet) past which new ones get an
   * immediate 503 with Retry-After instead of a place in the queue; /healthz and /readyz always
   * answer. Most requests in flight are not queued work but waits: a bc-authorize waits for the
   * entity's 201, a durable write for its group commit. 1,000 CIBA round trips started at once
   * put their bc-authorize requests, then their callbacks and token requests, in flight together
   * (512 shed a third of them with 503); at ~0.5 ms of CPU each, 2,048 is about a second of work
   * on one core. With maxBodyBytes it bounds buffered bodies to 128 MB (real ones are under 2 KB).
   */
  maxRequestsInFlight: 2048,
  /** Timeouts and limits of connections, the same for both parts (shared/http/defaults.ts). */
  ...httpDefaults,
  /** On stop, requests in flight get this long to finish (ms): longer than delegationTimeoutMs, the slowest request's wait. */
  drainTimeoutMs: 15_000,
  /**
   * ES256 signatures go to the libuv thread pool instead of the event loop while the loop's
   * utilization (0-1) over the last window of signOffloadWindowMs is at least this. Idle, inline
   * is faster (one pool job costs the loop more than the 35 µs signature); busy, the pool's jobs
   * share their wake-ups and the other core signs. Measured (bench `cc`, 50 connections): 4,200-4,700 → 5,400-7,500
   * client_credentials req/s; the sequential CIBA round trip stays inline and unchanged.
   */
  signOffloadUtilization: 0.9,
  /** The window of signOffloadUtilization, ms: how soon the choice follows a change of load. */
  signOffloadWindowMs: 20,
  /** Signing algorithm of access tokens (ES256 signs ~10x faster than RS256). */
  accessTokenSigningAlg: 'ES256',
  /**
   * Signing algorithm of the CIBA delegation bearer token. ES256 signs about 10x faster than RSA
   * and every JWKS-based verifier (our entity, jose, Keycloak's libraries) accepts it; set
   * 'RS256' here for an entity that only knows RSA.
   */
  delegationTokenAlg: 'ES256' as 'ES256' | 'RS256',
  /** Default ID token signing algorithm (OpenID Connect's default for clients that do not pick one). */
  idTokenSigningAlg: 'RS256',
} as const;

/** Scopes the provider knows (discovery's scopes_supported), with the words the consent and device pages show. */
export const scopeDescriptions: Readonly<Record<string, string>> = {
  ...Object.fromEntries(Object.entries(STANDARD_SCOPE_DESCRIPTIONS).filter(([scope]) => scope !== 'address')),
  api: 'Call the API as this service',
};

/** Claims released per scope (OpenID Connect Core 5.4). */
export const scopeClaims: Readonly<Record<string, readonly string[]>> = {
  profile: ['name', 'preferred_username', 'given_name', 'family_name', 'updated_at'],
  email: ['email', 'email_verified'],
  phone: ['phone_number', 'phone_number_verified'],
};
