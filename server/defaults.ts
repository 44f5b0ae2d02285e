/**
 * Every default and TTL of the authentication entity, in one place. Durations are in seconds
 * unless the name says otherwise. Environment variables (config.ts) override some.
 */
import { httpDefaults } from '../shared/http/defaults.ts';
import { envInt } from '../shared/env.ts';

export const defaults = {
  /** Device session lifetime; sliding (renewed on use), so an app used monthly stays signed in. */
  deviceSessionTtl: 30 * 24 * 3600,
  /** A session is renewed at most this often, so each API call does not cost a write. */
  deviceSessionRenewEvery: 3600,
  /** A decision's `iat` must be within this many seconds of now (replay window of a signed decision). */
  decisionMaxAge: 60,
  /** Clock skew tolerated on `exp`/`iat` of the provider's tokens and of decisions. */
  clockTolerance: 5,
  /** A delegation token whose `exp` lies further ahead is refused (bounds what is stored). Keycloak's default is 120 s. */
  maxRequestLifetime: 24 * 3600,
  /** Requests are remembered this long past expiry, so late decisions get 410 and the app can show the outcome. */
  settledRetention: 600,
  /** First callback retry delay in ms; doubles per attempt... */
  callbackRetryInitialMs: 250,
  /** ...up to this delay, until the request expires. */
  callbackRetryMaxMs: 10_000,
  /** Timeout of one callback attempt, in ms. */
  callbackTimeoutMs: 10_000,
  /**
   * Callback attempts in flight at once on one node; further decisions wait for a slot (their
   * decision is stored and queued, so waiting costs a few bytes each). Bounds the sockets and
   * memory that many pending callbacks can hold while a provider is slow or down. As many as the
   * keep-alive pool holds connections to one provider (httpDefaults.outboundSocketsPerOrigin,
   * 128): with 32 (here and for the provider's pings), 1,000 round trips started at once spent
   * 1.5 s from decision to ping against 62 ms from ping to tokens; more would only wait for a connection.
   */
  callbackMaxConcurrent: httpDefaults.outboundSocketsPerOrigin,
  /**
   * Work the nodes share (requests/lifecycle.ts: telling devices of a new request, expiries,
   * callbacks, the demo's automated approvals) is claimed by one node with a lease it renews every
   * third of it while working; when a node dies its claims run out after this long (ms) and another
   * node takes the work over. Longer than an event-loop stall under load; a callback waits little more.
   * `NOD_WORK_LEASE_MS` overrides it, for tests that kill nodes and want the restarted node to
   * take the work over at once (test/crash); not a production setting.
   */
  workLeaseMs: envInt('NOD_WORK_LEASE_MS', 10_000),
  /** Longest sleep of a node's worker between two looks at its queue: how soon it notices work another node left or scheduled, ms. */
  workPollMs: 1_000,
  /**
   * New requests whose devices one node tells at once (each may wait pushTimeoutMs for a push
   * service). As many as the pool's connections to one push service
   * (httpDefaults.outboundSocketsPerOrigin), so a burst of new requests is not told 32 at a time.
   */
  notifyConcurrency: httpDefaults.outboundSocketsPerOrigin,
  /** Expiries one node works at once. */
  expiryConcurrency: 16,
  /** Discovery documents of trusted issuers are cached this long (ms); JWKS refresh on unknown kid is jose's. */
  discoveryCacheMs: 3600_000,
  /**
   * jose remote JWKS: minimum time between two JWKS fetches (ms). It bounds what tokens with
   * made-up kids can make us fetch (one fetch a second per issuer), and it is how long a token
   * signed with a just-rotated key waits before the refetch that finds its key.
   */
  jwksCooldownMs: 1000,
  /** jose remote JWKS: a fetched key set is considered fresh this long (ms). */
  jwksCacheMaxAgeMs: 600_000,
  /** Timeout of discovery, JWKS and userinfo fetches (ms). */
  fetchTimeoutMs: 5_000,
  /** The first WebSocket message (auth) must arrive within this many ms, else the socket is closed. */
  wsAuthTimeoutMs: 10_000,
  /** Keep-alive period (ms): each socket is pinged once a period; one silent for two periods is dropped. */
  wsPingIntervalMs: 25_000,
  /**
   * The sockets are pinged in this many groups, one group every wsPingIntervalMs / wsPingSlices
   * (1 s): pinging 2,050 sockets at once held the entity's event loop for tens of ms (4,100
   * writes), and with them every request it was serving.
   */
  wsPingSlices: 25,
  /** Largest WebSocket message accepted from the app, in bytes (auth and pong are tiny). */
  wsMaxPayload: 4096,
  /** Timeout of one Web Push delivery (ms). */
  pushTimeoutMs: 10_000,
  /** Largest accepted JSON body, in bytes. */
  maxBodyBytes: 32 * 1024,
  /** Delay (ms) before the automated-approval hook (demo mode only) approves a request. */
  autoApproveDelayMs: 100,
  /** Expired records are swept this often (ms). */
  sweepIntervalMs: 30_000,
  /**
   * HTTP admission: requests in flight (admitted, not answered yet) past which new ones get an
   * immediate 503 with Retry-After instead of a place in the queue; /healthz and /readyz always
   * answer. A delegation costs ~1 ms of CPU (one JWS verification, one write), so 512 is under a
   * second of queued work on one core; with maxBodyBytes it bounds buffered bodies to 16 MB.
   */
  maxRequestsInFlight: 512,
  /** Timeouts and limits of connections, the same for both parts (shared/http/defaults.ts). */
  ...httpDefaults,
  /** On stop, requests in flight get this long to finish (ms): longer than fetchTimeoutMs, the slowest wait inside a request (an issuer's discovery or JWKS). */
  drainTimeoutMs: 10_000,
  /**
   * WebSockets that have not authenticated yet (each has wsAuthTimeoutMs to do so): past this
   * many, new upgrades get 503 with Retry-After. An app authenticates within one round trip of
   * opening, so even a reconnect storm of many phones stays far below; the cap bounds what
   * sockets that never authenticate can hold.
   */
  wsMaxUnauthenticated: 1024,
  /** Scope the device app requests when it signs in at the provider (profile carries preferred_username). */
  appScope: 'openid profile',
  /** Title of the Web Push notification: generic, nothing sensitive on a lock screen. */
  pushTitle: 'New sign-in request',
  /** Largest signed decision (compact JWS) accepted, in characters: a passkey assertion inside it can carry a credential id of up to 1023 bytes. */
  maxSignedDecision: 16 * 1024,
  /** A WebAuthn challenge (registration or approval) is valid this long; the app asks for it right before the passkey prompt. */
  passkeyChallengeTtl: 120,
  /** How long the browser's passkey prompt may stay open (ms), as WebAuthn's `timeout`. */
  passkeyTimeoutMs: 60_000,
  /** Relying party name shown in the passkey prompts. */
  passkeyRpName: 'Nod',
  /** Default VAPID subject (a contact for push services); set NOD_VAPID_SUBJECT in deployments. */
  vapidSubject: 'mailto:nod@example.invalid',
} as const;
