/**
 * A delegated request's life: accepted (stored, devices told), then settled exactly once, by
 * the first decision or by expiry; a decision is stored before its callback is first attempted.
 * The `settlements` marker, consumed atomically, is what makes the first answer win.
 *
 * The work that follows a request is queued in the store together with the write that calls
 * for it, and done by whichever node claims it (shared/store/queue_worker.ts): telling the
 * devices of a new request, its expiry, its callback. So it is done once, survives the node that
 * accepted the request, and a node that dies midway leaves it to another.
 */
import { randomId } from '../../shared/random.ts';
import { CALLBACK_STATUS, type CallbackStatus } from '../../shared/auth-channel.ts';
import type { RequestStatus, SettleReason } from '../../shared/entity-api.ts';
import { nowSeconds } from '../../shared/time.ts';
import type { ServerContext } from '../context.ts';
import { defaults } from '../defaults.ts';
import { deviceRequestView } from '../devices/view.ts';
import { AlreadySettled, RequestExpired } from '../errors.ts';
import type { PendingRequest } from '../models.ts';
import { pushToDevice, pushTopic } from '../notify/web_push.ts';
import type { WsHub } from '../notify/ws_hub.ts';
import { QueueWorker, type WorkOutcome } from '../../shared/store/queue_worker.ts';
import type { WriteOptions } from '../../shared/store/store.ts';
import { attemptCallback } from './callback.ts';
import { defined } from '../../shared/defined.ts';
import { devicesForRequest } from './queries.ts';
import type { DecisionEvidence } from '../decisions/check.ts';

/** The counter that numbers requests in arrival order. */
const SEQUENCE = 'request-seq';

/** How often a notify item looks for its request before it concludes the request is gone, and how long it waits between looks (ms). */
const NOTIFY_LOOKS = 5;
const NOTIFY_LOOK_MS = 100;

/** The scheduler queues of a request's work. */
export const REQUEST_QUEUES = { notify: 'request-notify', expiry: 'request-expiry', callback: 'callback' } as const;

export type NewRequest = Omit<PendingRequest, 'id' | 'status' | 'created_at' | 'seq' | 'decision' | 'callback' | 'decided_by' | 'decided_on'>;

export interface Decision {
  readonly decision: 'approve' | 'deny';
  readonly reason?: SettleReason;
  /** Device id, or `auto-approve` for the demo hook. */
  readonly by: string;
  /** What the decision checks established (acr "phr" and its amr), sent with the callback. */
  readonly evidence?: DecisionEvidence;
  /** The deciding device's name, shown on the user's other devices ("Approved on Pixel 8"). */
  readonly on?: string;
}

/** Reasons that flag a request as a likely attack on the user. */
const SUSPICIOUS: ReadonlySet<SettleReason | undefined> = new Set<SettleReason>(['not_me', 'wrong_number']);

/** approve → SUCCEED; deny "not me", a wrong number (or no reason) → UNAUTHORIZED; deny "changed my mind" → CANCELLED. */
export function callbackStatusOf(d: Pick<Decision, 'decision' | 'reason'>): { status: CallbackStatus; shown: RequestStatus } {
  if (d.decision === 'approve') return { status: CALLBACK_STATUS.approved, shown: 'approved' };
  if (d.reason === 'changed_mind') return { status: CALLBACK_STATUS.cancelled, shown: 'cancelled' };
  return { status: CALLBACK_STATUS.denied, shown: 'denied' };
}

export class RequestLifecycle {
  private readonly notifications: QueueWorker;
  private readonly expiries: QueueWorker;
  private readonly callbacks: QueueWorker;

  constructor(
    private readonly ctx: ServerContext,
    private readonly hub: WsHub,
  ) {
    const common = { scheduler: ctx.store.scheduler, log: ctx.log, leaseMs: defaults.workLeaseMs, pollMs: defaults.workPollMs };
    this.notifications = new QueueWorker({
      ...common,
      queue: REQUEST_QUEUES.notify,
      concurrency: defaults.notifyConcurrency,
      // The devices are told while accept() waits for the commit of the request and this item
      // (on lowdb; on Redis the insert is that point): a device can only act through a decision,
      // whose write is committed after it, and a request lost in a crash before it was never
      // acknowledged to the provider (its decision then finds no request).
      startBeforeDurable: true,
      handle: (item) => this.notifyNew(item.id, item.attempts),
    });
    this.expiries = new QueueWorker({
      ...common,
      queue: REQUEST_QUEUES.expiry,
      concurrency: defaults.expiryConcurrency,
      handle: async (item) => void (await this.expire(item.id)),
    });
    this.callbacks = new QueueWorker({
      ...common,
      queue: REQUEST_QUEUES.callback,
      concurrency: defaults.callbackMaxConcurrent,
      handle: (item, signal) => attemptCallback(ctx, item.id, signal),
    });
  }

  /** Starts the work (what is due, e.g. after a restart, at once). */
  start(): void {
    for (const worker of [this.notifications, this.expiries, this.callbacks]) worker.start();
  }

  /** Stores a new request durably, with its expiry and the telling of its devices queued; returns the stored record. */
  async accept(input: NewRequest): Promise<PendingRequest> {
    const { ctx } = this;
    // Arrival order across every node of the entity: a store-wide sequence.
    const { count: seq } = await ctx.store.counters.hit(SEQUENCE);
    const record: PendingRequest = { ...input, id: randomId(16), status: 'pending', created_at: nowSeconds(), seq };
    const ttl = { expiresIn: this.ttlOf(record) };
    await Promise.all([
      ctx.models.requests.put(record.id, record, ttl),
      ctx.models.settlements.put(record.id, { issuer: record.issuer }, ttl),
      this.expiries.schedule(record.id, record.expires_at * 1000),
      this.notifications.schedule(record.id, Date.now()),
    ]);
    ctx.log.info('request.received', {
      request_id: record.id,
      jti: record.jti,
      issuer: record.issuer,
      client_id: record.client_id,
      login_hint: record.login_hint,
      expires_at: record.expires_at,
    });
    ctx.events.emit('request.received', record.id);
    return record;
  }

  /** Tells the devices of a new request: live on their sockets (on any node), and by Web Push. Safe to repeat. */
  private async notifyNew(id: string, attempts: number): Promise<WorkOutcome> {
    const { ctx } = this;
    const r = await ctx.models.requests.find(id);
    // Written in the same breath as this item: on Redis, a write retried after a script-cache miss may land just after it.
    if (!r) return attempts < NOTIFY_LOOKS ? { retryAt: Date.now() + NOTIFY_LOOK_MS } : undefined;
    if (r.status !== 'pending') return undefined;
    const devices = await devicesForRequest(ctx, r);
    await this.hub.toDevices(
      devices.map((d) => d.device_id),
      { type: 'request', request: deviceRequestView(r) },
    );
    const ttl = r.expires_at - nowSeconds();
    const pushed = await Promise.all(
      devices.map((d) =>
        pushToDevice(ctx, d.device_id, { type: 'request', request_id: r.id, title: defaults.pushTitle }, { ttl, topic: pushTopic(r.id), urgency: 'high' }),
      ),
    );
    const push = pushed.filter(Boolean).length;
    const level = devices.length === 0 ? 'warn' : 'info';
    ctx.log[level]('request.notified', { request_id: r.id, devices: devices.length, push });
    ctx.events.emit('request.notified', { id: r.id, devices: devices.length, push });
    return undefined;
  }

  /**
   * Settles a pending request with a decision: the first caller wins, a later one gets 409 (or
   * 410 once expired). The decision is stored durably, then the callback starts.
   */
  async decide(r: PendingRequest, d: Decision): Promise<PendingRequest> {
    const { ctx } = this;
    if (nowSeconds() >= r.expires_at) throw new RequestExpired();
    // First answer wins: the settlement marker is consumed in one atomic step, on whatever node.
    // Its durability rides on the decision's durable write just below (one group commit, not two
    // in series): nothing is acknowledged before that write is on disk.
    const marker = await this.takeSettlement(r.id, { durable: false });
    if (marker.outcome === 'missing') throw new RequestExpired();
    if (marker.outcome === 'settled') {
      throw marker.request?.status === 'expired' || nowSeconds() >= r.expires_at ? new RequestExpired() : new AlreadySettled();
    }
    const { status, shown } = callbackStatusOf(d);
    const suspicious = d.decision === 'deny' && SUSPICIOUS.has(d.reason);
    const decision = {
      status,
      device_id: d.by,
      ...(d.reason ? { reason: d.reason } : {}),
      ...(suspicious ? { suspicious } : {}),
      at: nowSeconds(),
      ...(d.evidence ?? {}),
    };
    // The marker makes this call the one settler; the status guard keeps an answered request as it is all the same.
    // The decision and its queued callback go in one durable write (one group commit on lowdb);
    // a callback attempt that comes before the decision is readable waits for it. A settler that
    // took over a marker (takeSettlement) may be racing a live one: it queues the callback only
    // once its decision won, so the callback in flight of the other is never queued again.
    const [moved] = await Promise.all([
      ctx.models.requests.update(
        r.id,
        (current): PendingRequest | undefined =>
          current && current.status !== 'pending'
            ? undefined
            : {
                ...(current ?? r),
                status: shown,
                decided_by: d.by,
                ...defined({ decided_on: d.on }),
                decision,
                callback: { state: 'pending', attempts: 0 },
              },
        { expiresIn: this.ttlOf(r) },
      ),
      marker.takeover ? undefined : this.callbacks.schedule(r.id, Date.now()),
    ]);
    if (moved.outcome === 'unchanged') throw new AlreadySettled();
    if (marker.takeover) await this.callbacks.schedule(r.id, Date.now());
    const settled = moved.outcome === 'updated' ? moved.record.value : r;
    ctx.log.info('request.decided', {
      request_id: r.id,
      status,
      device_id: d.by,
      ...(d.reason ? { reason: d.reason } : {}),
      ...(d.evidence?.acr ? { acr: d.evidence.acr } : {}),
    });
    if (suspicious) {
      const fields = { request_id: r.id, issuer: r.issuer, client_id: r.client_id, login_hint: r.login_hint, device_id: d.by, reason: d.reason };
      ctx.log.warn('request.suspected_fraud', fields);
      ctx.events.emit('request.suspected_fraud', fields);
    }
    ctx.events.emit('request.decided', { id: r.id, status });
    await this.notifySettled(settled);
    return settled;
  }

  /** Marks a request expired (if nothing settled it first) and withdraws it from the devices. */
  async expire(id: string): Promise<void> {
    const { ctx } = this;
    if ((await this.takeSettlement(id)).outcome !== 'taken') return;
    const moved = await ctx.models.requests.update(id, (current) => (current?.status === 'pending' ? { ...current, status: 'expired' } : undefined));
    if (moved.outcome !== 'updated') return;
    const expired = moved.record.value;
    ctx.log.info('request.expired', { request_id: id, issuer: expired.issuer });
    ctx.events.emit('request.expired', { id });
    await this.notifySettled(expired);
  }

  /**
   * The client withdrew the request (the provider's notice, endpoints/withdrawal.ts): a pending
   * request ends `withdrawn`, in the same one-winner step as a decision or expiry (the settlement
   * marker, then the status moved from pending only). The provider sends the notice only for a
   * request it moved from pending to withdrawn, so a decision made here whose callback has not
   * been delivered can never count: it ends `withdrawn` too (its callback stops, the decision is
   * kept for the record), and the phone stops showing an approval that logged nobody in. A
   * delivered decision stays as it is. Returns the request as it now stands.
   */
  async withdraw(r: PendingRequest): Promise<PendingRequest> {
    const { ctx } = this;
    const marker = await this.takeSettlement(r.id);
    const moved = await ctx.models.requests.update(r.id, (current) => {
      if (!current) return undefined;
      if (current.status === 'pending') return marker.outcome === 'taken' ? { ...current, status: 'withdrawn' } : undefined;
      if (!current.decision || current.status === 'withdrawn' || current.callback?.state === 'delivered') return undefined;
      const attempts = current.callback?.attempts ?? 0;
      return { ...current, status: 'withdrawn', callback: { state: 'failed', attempts, last_error: 'withdrawn by the client before delivery' } };
    });
    if (moved.outcome !== 'updated') return moved.outcome === 'unchanged' ? moved.record.value : ((await ctx.models.requests.find(r.id)) ?? r);
    const withdrawn = moved.record.value;
    const overruled = withdrawn.decision ? { overruled: withdrawn.decision.status } : {};
    ctx.log.info('request.withdrawn', { request_id: r.id, jti: r.jti, issuer: r.issuer, client_id: r.client_id, ...overruled });
    ctx.events.emit('request.withdrawn', { id: r.id });
    await this.notifySettled(withdrawn);
    return withdrawn;
  }

  /**
   * Takes the settlement marker of request `id` (consumed once): `taken` when this caller may
   * settle the request. A marker found consumed while the request is still pending was taken by
   * a settler that stopped before moving the request (its node was killed; on Redis each write
   * lands at once), which would leave the request pending and undecidable for good: this caller
   * may go on too, and the status compare-and-set that follows (out of pending, once) picks the
   * one winner (`takeover`). `settled` comes with the request as it stands.
   */
  private async takeSettlement(
    id: string,
    options?: Pick<WriteOptions, 'durable'>,
  ): Promise<{ outcome: 'taken'; takeover: boolean } | { outcome: 'missing' } | { outcome: 'settled'; request: PendingRequest | undefined }> {
    const marker = await this.ctx.models.settlements.consume(id, options);
    if (marker.outcome === 'consumed') return { outcome: 'taken', takeover: false };
    if (marker.outcome === 'missing') return { outcome: 'missing' };
    const request = await this.ctx.models.requests.find(id);
    return request?.status === 'pending' ? { outcome: 'taken', takeover: true } : { outcome: 'settled', request };
  }

  /** Tells the request's devices, on whichever node their sockets are, that it is settled (decided, expired or withdrawn). */
  private async notifySettled(r: PendingRequest): Promise<void> {
    const devices = await devicesForRequest(this.ctx, r);
    const message = {
      type: 'settled',
      id: r.id,
      status: r.status,
      // A withdrawn request was ended by the client, whatever a device had answered before.
      ...(r.status === 'withdrawn' ? {} : defined({ decided_by: r.decided_by, decided_on: r.decided_on, reason: r.decision?.reason })),
    } as const;
    await this.hub
      .toDevices(
        devices.map((d) => d.device_id),
        message,
      )
      .catch((e) => this.ctx.log.warn('request.settled_not_published', { request_id: r.id, message: (e as Error).message }));
  }

  /** Seconds a request's records live: until it expires, plus the time settled requests are remembered. */
  private ttlOf(r: PendingRequest): number {
    return Math.max(1, r.expires_at + defaults.settledRetention - nowSeconds());
  }

  /** Stops the work: a callback attempt in flight is handed back (the next start, or another node, makes it again). */
  async stop(): Promise<void> {
    await Promise.all([this.notifications.stop(), this.expiries.stop(), this.callbacks.stop()]);
  }
}
