/**
 * The crash test's clients, run concurrently while the provider and the entity are killed and
 * restarted, and the ledger of what Nod acknowledged to them. Only a 2xx answer counts as
 * acknowledged; a request whose answer was lost (connection reset by a kill, 5xx) is "unsure":
 * it may have happened or not, and the checks accept both outcomes, but never half of one.
 *
 * - CIBA requests for alice (poll client with offline_access), each with a tag in its binding message;
 * - decisions by alice's enrolled devices at the entity (every third request denied, the others approved);
 * - token polls until tokens, access_denied or expired_token;
 * - refresh-token rotations of every family the polls started;
 * - enrollments of further devices (sign-in at the provider with code + PKCE, then the entity).
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { CIBA_GRANT_TYPE, DEVICE_APP_CLIENT_ID } from '../../shared/constants.ts';
import { ENTITY_API, type DeviceRequest } from '../../shared/entity-api.ts';
import { signInDeviceApp, type DeviceAppSignIn } from '../cli/helpers.ts';
import { SimDevice } from '../entity/helpers.ts';
import { basicAuth } from '../helpers/sign-in.ts';
import { CRASH_CLIENT } from './nodes.ts';

/** CIBA requests pending at once while the chaos runs. */
const OUTSTANDING = 12;
/** Longest wait for one HTTP answer (a killed process resets its connections at once). */
const HTTP_TIMEOUT_MS = 10_000;

interface CibaRequest {
  readonly tag: string;
  readonly authReqId: string;
  readonly choice: 'approve' | 'deny';
  interval: number;
  nextPollAt: number;
  polling: boolean;
  /** A device is sending its decision now (two decider loops run). */
  deciding: boolean;
  /** A device saw it at the entity. */
  seen: boolean;
  /** Its id at the entity, once seen. */
  entityId?: string;
  /** none: no decision sent; acked: the entity answered 200; unsure: a decision's answer was lost. */
  decision: 'none' | 'acked' | 'unsure';
  /** When the entity acknowledged the decision (ms). */
  ackedAt: number;
  /** Final answer of the token endpoint, once there is one. */
  outcome?: 'tokens' | 'access_denied' | 'expired_token' | 'lost';
  /** Token responses received for it (more than one is double issuance). */
  tokens: number;
  /** A poll's answer was lost: it may have redeemed the request. */
  pollLost: boolean;
}

interface RefreshFamily {
  /** The refresh token the client was given last. */
  current: string;
  /** Tokens rotated out by an acknowledged rotation: each must be refused from now on. */
  readonly rotated: string[];
  /** The last rotation's answer was lost: `current` may be consumed already. */
  unsure: boolean;
  /** Revoked (reuse of a token whose rotation was lost): no longer used. */
  dead: boolean;
  busy: boolean;
}

interface Answer {
  readonly status: number;
  readonly json: Record<string, unknown>;
}

/** An answer in a few words for a violation message (tokens are not printed). */
function brief(res: Answer): string {
  if (res.status === 200) return '200 tokens';
  return `${res.status} ${String(res.json.error)}${res.json.error_description ? ` (${String(res.json.error_description)})` : ''}`;
}

/** POSTs a form; throws on a network error or timeout (the answer was lost). */
async function postForm(url: string, body: Record<string, string>, authorization?: string): Promise<Answer> {
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', ...(authorization ? { authorization } : {}) },
    body: new URLSearchParams(body),
    signal: AbortSignal.timeout(HTTP_TIMEOUT_MS),
  });
  const text = await res.text();
  let json: Record<string, unknown> = {};
  try {
    json = JSON.parse(text) as Record<string, unknown>;
  } catch {
    /* not JSON (a proxy page, an empty 503) */
  }
  return { status: res.status, json };
}

export class Workload {
  readonly requests = new Map<string, CibaRequest>();
  readonly families: RefreshFamily[] = [];
  readonly devices: SimDevice[] = [];
  readonly signIns: DeviceAppSignIn[] = [];
  readonly violations: string[] = [];
  /** The first few errors the loops met (network errors from kills, mostly): printed with the summary. */
  readonly errors: string[] = [];
  readonly stats = { bcAuthorize: 0, acked: 0, decisions: 0, tokens: 0, denied: 0, rotations: 0, enrollments: 0, lostAnswers: 0, slowDowns: 0 };
  private starting = true;
  private running = true;
  private loops: Array<Promise<void>> = [];
  private n = 0;
  /** bc-authorize requests sent and not answered yet. */
  private startsInFlight = 0;
  private readonly client = basicAuth(CRASH_CLIENT.id, CRASH_CLIENT.secret);

  constructor(
    private readonly issuer: string,
    private readonly serverUrl: string,
    private readonly random: () => number,
  ) {}

  /** Enrolls the first device (before any kill: the decisions need one) and starts every client loop. */
  async start(): Promise<void> {
    if (!(await this.enrollOne())) throw new Error('the first enrollment failed');
    const loop = async (step: () => Promise<unknown>, pauseMs: () => number) => {
      while (this.running) {
        try {
          await step();
        } catch (e) {
          this.stats.lostAnswers++;
          const cause = (e as Error & { cause?: { code?: string } }).cause?.code;
          if (this.errors.length < 5) this.errors.push(`${(e as Error).message}${cause ? ` (${cause})` : ''}`);
        }
        await sleep(pauseMs());
      }
    };
    // Two of each client but the poller (which polls every due request at once) and the enroller.
    this.loops = [
      ...[1, 2].flatMap(() => [
        loop(
          () => this.startRequest(),
          () => 50 + this.random() * 150,
        ),
        loop(
          () => this.decide(),
          () => 150 + this.random() * 150,
        ),
        loop(
          () => this.rotate(),
          () => 100 + this.random() * 200,
        ),
      ]),
      loop(
        () => this.poll(),
        () => 100,
      ),
      loop(
        () => this.enrollOne(),
        () => 1000 + this.random() * 1000,
      ),
    ];
  }

  /** Stops starting CIBA requests and waits until every one acknowledged has a final answer (or `ms` passed). */
  async settle(ms: number): Promise<void> {
    this.starting = false;
    const deadline = Date.now() + ms;
    // A bc-authorize still in flight may yet be acknowledged: it is waited for like the others.
    while (Date.now() < deadline && (this.startsInFlight > 0 || [...this.requests.values()].some((r) => !r.outcome))) await sleep(200);
  }

  /** Stops every loop. */
  async stop(): Promise<void> {
    this.starting = false;
    this.running = false;
    await Promise.all(this.loops);
  }

  private violation(what: string): void {
    if (!this.violations.includes(what)) this.violations.push(what);
  }

  /** Starts one CIBA request unless enough are pending. */
  private async startRequest(): Promise<void> {
    if (!this.starting || [...this.requests.values()].filter((r) => !r.outcome).length >= OUTSTANDING) return;
    const tag = `crash ${++this.n}`;
    this.stats.bcAuthorize++;
    this.startsInFlight++;
    let res: Answer;
    try {
      res = await postForm(`${this.issuer}/bc-authorize`, { scope: 'openid offline_access', login_hint: 'alice', binding_message: tag }, this.client);
    } finally {
      this.startsInFlight--;
    }
    if (res.status !== 200) return;
    this.stats.acked++;
    // Every third acknowledged request is denied: both outcomes occur in every run, whatever the seed and the load.
    const choice = this.stats.acked % 3 === 0 ? 'deny' : 'approve';
    const interval = Number(res.json.interval ?? 1);
    this.requests.set(tag, {
      tag,
      authReqId: String(res.json.auth_req_id),
      choice,
      interval,
      nextPollAt: Date.now() + interval * 1000 + 100,
      polling: false,
      deciding: false,
      ackedAt: Number.POSITIVE_INFINITY,
      seen: false,
      decision: 'none',
      tokens: 0,
      pollLost: false,
    });
  }

  /** One of alice's devices lists what is pending at the entity and decides each request it knows. */
  private async decide(): Promise<void> {
    const device = this.devices[Math.floor(this.random() * this.devices.length)]!;
    const listedAt = Date.now();
    const res = await device.api('GET', ENTITY_API.requests);
    if (res.status !== 200) return;
    for (const shown of (await res.json()) as DeviceRequest[]) {
      const r = this.requests.get(shown.binding_message ?? '');
      if (!r) continue; // a request whose bc-authorize answer was lost: left to expire
      r.seen = true;
      r.entityId = shown.id;
      if (r.deciding) continue;
      if (r.decision === 'acked') {
        // (A list asked for before the acknowledgement, by the other decider, may still show it.)
        if (listedAt > r.ackedAt) this.violation(`${r.tag}: still pending at the entity after its decision was acknowledged`);
        continue;
      }
      let status: number;
      r.deciding = true;
      try {
        status = (await device.decide(shown.id, r.choice)).status;
      } catch {
        r.decision = 'unsure';
        this.stats.lostAnswers++;
        continue;
      } finally {
        r.deciding = false;
      }
      if (status === 200) {
        r.decision = 'acked';
        r.ackedAt = Date.now();
        this.stats.decisions++;
      } else if (status >= 500) r.decision = 'unsure';
      else if (r.decision === 'none') this.violation(`${r.tag}: the first decision was refused with ${status}`);
    }
  }

  /** Polls the token endpoint for every request whose interval has passed. */
  private async poll(): Promise<void> {
    const due = [...this.requests.values()].filter((r) => !r.outcome && !r.polling && r.nextPollAt <= Date.now());
    await Promise.all(due.map((r) => this.pollOne(r)));
  }

  private async pollOne(r: CibaRequest): Promise<void> {
    r.polling = true;
    let res: Answer;
    try {
      res = await postForm(`${this.issuer}/token`, { grant_type: CIBA_GRANT_TYPE, auth_req_id: r.authReqId }, this.client);
    } catch {
      r.pollLost = true;
      this.stats.lostAnswers++;
      return;
    } finally {
      r.nextPollAt = Date.now() + r.interval * 1000 + 100;
      r.polling = false;
    }
    this.judgePoll(r, res);
  }

  /** What a token-endpoint answer for an acknowledged auth_req_id says, checked against the ledger. */
  private judgePoll(r: CibaRequest, res: Answer): void {
    const error = res.json.error;
    if (res.status === 200) {
      if (r.tokens++ > 0) this.violation(`${r.tag}: tokens issued twice for one auth_req_id`);
      if (r.choice === 'deny') this.violation(`${r.tag}: tokens for a request its device denied`);
      r.outcome = 'tokens';
      this.stats.tokens++;
      if (typeof res.json.refresh_token === 'string')
        this.families.push({ current: res.json.refresh_token, rotated: [], unsure: false, dead: false, busy: false });
      else this.violation(`${r.tag}: no refresh token with offline_access`);
    } else if (error === 'authorization_pending') {
      return;
    } else if (error === 'slow_down') {
      r.interval += 5;
      this.stats.slowDowns++;
    } else if (error === 'access_denied') {
      if (r.choice === 'approve') this.violation(`${r.tag}: access_denied for a request its device approved`);
      r.outcome = 'access_denied';
      this.stats.denied++;
    } else if (error === 'expired_token') {
      r.outcome = 'expired_token';
    } else if (error === 'invalid_grant' && /already redeemed/.test(String(res.json.error_description)) && (r.tokens > 0 || r.pollLost)) {
      r.outcome = 'tokens'; // redeemed by the poll whose answer was lost
    } else if (res.status >= 500) {
      r.pollLost = true;
    } else {
      this.violation(`${r.tag}: token endpoint answered ${brief(res)} for an acknowledged auth_req_id`);
      r.outcome = 'lost';
    }
  }

  /** Rotates the refresh token of one family. */
  private async rotate(): Promise<void> {
    const ready = this.families.filter((f) => !f.dead && !f.busy);
    const f = ready[Math.floor(this.random() * ready.length)];
    if (!f) return;
    f.busy = true;
    try {
      const res = await postForm(`${this.issuer}/token`, { grant_type: 'refresh_token', refresh_token: f.current }, this.client);
      if (res.status === 200 && typeof res.json.refresh_token === 'string') {
        f.rotated.push(f.current);
        f.current = res.json.refresh_token;
        f.unsure = false;
        this.stats.rotations++;
      } else if (res.status >= 500) {
        f.unsure = true;
      } else if (f.unsure) {
        f.dead = true; // its rotation went through unseen; this reuse revoked the grant, as it should
      } else {
        this.violation(`the refresh token last given was refused: ${brief(res)}`);
        f.dead = true;
      }
    } catch (e) {
      f.unsure = true;
      throw e;
    } finally {
      f.busy = false;
    }
  }

  /** Enrolls one more device for alice; true when the entity acknowledged it (201). */
  private async enrollOne(): Promise<boolean> {
    const signIn = await signInDeviceApp(this.issuer, this.serverUrl);
    this.signIns.push(signIn);
    const device = await SimDevice.create(this.serverUrl);
    const res = await device.enroll(signIn.tokens.access_token, `crash phone ${this.signIns.length}`);
    if (res.status !== 201) return false;
    this.devices.push(device);
    this.stats.enrollments++;
    return true;
  }

  /**
   * After the chaos: every acknowledged request, decision, enrollment, refresh token and code
   * is checked once more against the running system. Returns the violations (empty: all held).
   */
  async check(): Promise<string[]> {
    await sleep(1200); // one poll interval since the last poll
    await Promise.all([...this.requests.values()].map((r) => this.checkRequest(r)));
    await Promise.all(
      this.devices.map(async (d) => {
        const res = await d.api('GET', ENTITY_API.requests);
        if (res.status !== 200) this.violation(`device ${d.id}: its acknowledged enrollment no longer works (${res.status})`);
      }),
    );
    await Promise.all(this.families.filter((f) => !f.dead).map((f) => this.checkFamily(f)));
    await Promise.all(this.signIns.map((s) => this.checkCode(s)));
    return this.violations;
  }

  private async checkRequest(r: CibaRequest): Promise<void> {
    const res = await postForm(`${this.issuer}/token`, { grant_type: CIBA_GRANT_TYPE, auth_req_id: r.authReqId }, this.client);
    const error = String(res.json.error);
    const say = `${r.tag} (${r.outcome ?? 'no answer'}, decision ${r.decision}, ${r.choice}): ${brief(res)}`;
    if (res.status === 200) this.violation(`${say}: tokens again`);
    else if (r.outcome === 'tokens' && !(error === 'invalid_grant' && /already redeemed/.test(String(res.json.error_description))))
      this.violation(`${say}: a redeemed request is not remembered as redeemed`);
    else if (r.outcome === 'access_denied' && error !== 'access_denied') this.violation(`${say}: a denial is not remembered`);
    else if (!r.outcome) {
      if (r.decision === 'acked') this.violation(`${say}: an acknowledged decision never reached the provider`);
      else if (!r.seen || !r.entityId) this.violation(`${say}: an acknowledged request never reached the devices`);
      else if (!['authorization_pending', 'slow_down', 'access_denied', 'expired_token'].includes(error)) this.violation(`${say}: unknown`);
      else await this.checkUnsettled(r, say);
    }
  }

  /**
   * A request the provider has not seen settled, whose decision's answer was lost: at the entity
   * it is either still pending, and then still decidable, or decided, and then the decision must
   * have reached the provider during the settling (never half: recorded but stuck).
   */
  private async checkUnsettled(r: CibaRequest, say: string): Promise<void> {
    const device = this.devices[0]!;
    const res = await device.api('GET', ENTITY_API.request(r.entityId!));
    const status = res.status === 200 ? ((await res.json()) as DeviceRequest).status : `HTTP ${res.status}`;
    if (status !== 'pending') return this.violation(`${say}: ${status} at the entity, but the decision never reached the provider`);
    const again = await device.decide(r.entityId!, r.choice);
    if (again.status !== 200) this.violation(`${say}: pending at the entity, but a decision is refused with ${again.status}: stuck`);
  }

  private async checkFamily(f: RefreshFamily): Promise<void> {
    const res = await postForm(`${this.issuer}/token`, { grant_type: 'refresh_token', refresh_token: f.current }, this.client);
    if (res.status !== 200 && !f.unsure) this.violation(`the refresh token last given no longer works: ${brief(res)}`);
    // Every rotated-out token is refused (its reuse also revokes the family: checked last).
    for (const old of f.rotated) {
      const again = await postForm(`${this.issuer}/token`, { grant_type: 'refresh_token', refresh_token: old }, this.client);
      if (again.status === 200) this.violation('a rotated refresh token was redeemed a second time');
    }
  }

  /** The code of every sign-in was redeemed once (by openid-client): a replay is refused. */
  private async checkCode(s: DeviceAppSignIn): Promise<void> {
    const res = await postForm(`${this.issuer}/token`, {
      grant_type: 'authorization_code',
      code: s.code,
      redirect_uri: s.redirectUri,
      code_verifier: s.verifier,
      client_id: DEVICE_APP_CLIENT_ID,
    });
    if (res.status === 200) this.violation('an authorization code was redeemed a second time');
  }
}
