/**
 * Connection limits every Nod HTTP service shares (the provider and the entity spread these into
 * their own defaults.ts, next to the two limits each sets for itself: maxRequestsInFlight and
 * drainTimeoutMs).
 */
export const httpDefaults = {
  /** Retry-After (s) of every 503 the admission gate sends (starting, stopping, overloaded). */
  retryAfterSeconds: 1,
  /** Connections the kernel queues for accept. Node's 511 overflows in a burst of new connections, and a dropped SYN (a health probe's too) is retried only a second later; Linux caps it at net.core.somaxconn (4096). */
  listenBacklog: 4096,
  /** A client must send its request headers within this many ms (Node's default, 60 s, lets slow-header clients pile up). */
  headersTimeoutMs: 10_000,
  /** ...and the whole request, body included, within this many ms (Node's default is 5 minutes); then it gets 408. */
  requestTimeoutMs: 30_000,
  /** How often those two are checked, ms (Node's default, 30 s, would let a slow client stay that much longer). */
  timeoutCheckIntervalMs: 1_000,
  /** Idle keep-alive connections are closed after this many ms (Node's default). Behind a load balancer, make it longer than the balancer's idle timeout. */
  keepAliveTimeoutMs: 5_000,
  /** On stop, a connection that has sent no request yet gets this long (ms) to send one (answered 503) before it is closed: a request on its way is not cut, an idle browser preconnection does not hold the stop. */
  quietConnectionGraceMs: 1_000,
  /** A connection that closes after a response keeps reading (and dropping) what the client still sends for up to this many ms, so that closing with unread bytes does not reset it and destroy the response before the client reads it (RFC 9112 section 9.6). */
  lingeringCloseMs: 2_000,
  /**
   * Outgoing keep-alive connections per origin and protocol (shared/http/post_json.ts). Past this
   * many requests in flight to one origin the next ones wait for a connection instead of opening
   * more: a burst of a thousand round trips reuses a pool instead of paying a TCP handshake (and
   * an accept on the other side) each. The workers that POST to one origin (callbacks, ping/push
   * notifications, device notices) run as many at once, so neither waits on the other.
   */
  outboundSocketsPerOrigin: 128,
  /**
   * The guessing limits per network address (client authentication, sign-in, device user codes)
   * count an IPv6 client by this prefix, not by its full address: one subscriber holds a whole
   * /64 and can change address for every try (limit_address.ts).
   */
  ipv6LimitPrefix: 64,
} as const;
