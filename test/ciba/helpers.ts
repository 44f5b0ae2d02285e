/**
 * Loopback peers for the CIBA tests: an authentication entity that records delegations and
 * verifies their bearer JWT against the provider's JWKS, a notification receiver for ping and
 * push clients, and a provider wired to both. Nothing here mocks a provider component.
 */
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { once } from 'node:events';
import { createRemoteJWKSet, jwtVerify, type JWTPayload } from 'jose';
import * as oidc from 'openid-client';
import { Teardown } from '../helpers/teardown.ts';
import { startTestProvider, type TestProvider } from '../helpers/provider.ts';
import { upsertClient } from '../../provider/demo.ts';
import { setCibaPolicy, type CibaPolicy } from '../../provider/ciba/policy.ts';
import { CIBA_GRANT_TYPE } from '../../shared/constants.ts';
import type { CallbackStatus, DelegationRequest } from '../../shared/auth-channel.ts';

export interface Received {
  readonly headers: IncomingMessage['headers'];
  readonly body: Record<string, unknown>;
  readonly bearer?: string;
}

async function readJson(req: IncomingMessage): Promise<Record<string, unknown>> {
  const chunks: Buffer[] = [];
  for await (const c of req) chunks.push(c as Buffer);
  const text = Buffer.concat(chunks).toString('utf8');
  return text ? (JSON.parse(text) as Record<string, unknown>) : {};
}

/** A loopback HTTP server that records JSON POSTs and answers with `answer(received)`. */
export class Receiver {
  /** Every POST, in order. */
  readonly received: Received[] = [];
  private readonly untaken: Received[] = [];
  private readonly waiters: Array<(r: Received) => void> = [];
  /** Status to answer with, or 'hang' to never answer; may be changed per test. */
  answer: (r: Received) => number | 'hang' = () => 201;
  /** Runs before answering (the entity verifies the JWT here). */
  onReceived: (r: Received) => Promise<void> | void = () => {};
  private constructor(
    readonly server: Server,
    readonly url: string,
  ) {}

  static async start(path = '/'): Promise<Receiver> {
    const server = createServer();
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    const r = new Receiver(server, `http://127.0.0.1:${(server.address() as AddressInfo).port}${path}`);
    server.on('request', async (req, res) => {
      const body = await readJson(req);
      const auth = req.headers.authorization;
      const got: Received = { headers: req.headers, body, ...(auth?.startsWith('Bearer ') ? { bearer: auth.slice(7) } : {}) };
      await r.onReceived(got);
      r.received.push(got);
      const waiter = r.waiters.shift();
      if (waiter) waiter(got);
      else r.untaken.push(got);
      const status = r.answer(got);
      if (status === 'hang') return;
      res.writeHead(status, status >= 300 && status < 400 ? { Location: `${r.url}/followed` } : {}).end();
    });
    return r;
  }

  /** The next POST not yet taken (waits for it). */
  next(timeoutMs = 5000): Promise<Received> {
    const first = this.untaken.shift();
    if (first) return Promise.resolve(first);
    return new Promise<Received>((resolve, reject) => {
      const waiter = (r: Received) => {
        clearTimeout(t);
        resolve(r);
      };
      const t = setTimeout(() => {
        this.waiters.splice(this.waiters.indexOf(waiter), 1);
        reject(new Error('nothing received in time'));
      }, timeoutMs);
      this.waiters.push(waiter);
    });
  }

  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise((r) => this.server.close(r));
  }
}

export interface Delegation extends Received {
  readonly body: DelegationRequest & Record<string, unknown>;
  readonly bearer: string;
  /** The verified claims of the bearer JWT, or the verification error. */
  readonly claims?: JWTPayload;
  readonly verifyError?: string;
}

/** The test authentication entity: verifies each delegation's bearer JWT against the provider JWKS. */
export class Entity {
  issuer = '';
  private constructor(readonly receiver: Receiver) {}
  static async start(): Promise<Entity> {
    const receiver = await Receiver.start('/ciba/delegation');
    const entity = new Entity(receiver);
    receiver.onReceived = async (r) => {
      try {
        const jwks = createRemoteJWKSet(new URL(`${entity.issuer}/jwks`));
        const { payload } = await jwtVerify(r.bearer ?? '', jwks, { issuer: entity.issuer, audience: entity.issuer });
        Object.assign(r, { claims: payload });
      } catch (e) {
        Object.assign(r, { verifyError: (e as Error).message });
      }
    };
    return entity;
  }
  get url(): string {
    return this.receiver.url;
  }
  next(): Promise<Delegation> {
    return this.receiver.next() as Promise<Delegation>;
  }
  close(): Promise<void> {
    return this.receiver.close();
  }
}

export interface CibaSetup {
  readonly provider: TestProvider;
  readonly entity: Entity;
  readonly issuer: string;
  stop(): Promise<void>;
}

/** A provider in demo mode delegating to a fresh loopback entity, with a CIBA policy for fast tests. */
export async function startCiba(policy: Partial<CibaPolicy> = {}): Promise<CibaSetup> {
  const teardown = new Teardown();
  try {
    const entity = teardown.add(await Entity.start(), (e) => e.close());
    const provider = teardown.add(await startTestProvider({ authChannelUrl: entity.url }), (p) => p.stop());
    entity.issuer = provider.issuer;
    await setCibaPolicy(provider.ctx, { fatigueLimit: 1000, notificationRetryBaseMs: 50, ...policy });
    return { provider, entity, issuer: provider.issuer, stop: () => teardown.run() };
  } catch (e) {
    await teardown.run().catch(() => undefined);
    throw e;
  }
}

/** Registers a CIBA client (secret `<id>-secret`, client_secret_basic) with fast defaults. */
export async function cibaClient(setup: CibaSetup, id: string, metadata: Record<string, unknown> = {}): Promise<{ client_id: string; secret: string }> {
  const secret = `${id}-secret`;
  await upsertClient(setup.provider.ctx, {
    client_id: id,
    client_secret: secret,
    token_endpoint_auth_method: 'client_secret_basic',
    grant_types: [CIBA_GRANT_TYPE],
    response_types: [],
    scope: 'openid profile email offline_access',
    backchannel_token_delivery_mode: 'poll',
    ciba_interval: 1,
    ...metadata,
  });
  return { client_id: id, secret };
}

/** An openid-client v6 configuration for a client, by discovery. */
export function rp(setup: CibaSetup, clientId: string, secret: string): Promise<oidc.Configuration> {
  return oidc.discovery(new URL(setup.issuer), clientId, secret, undefined, { execute: [oidc.allowInsecureRequests] });
}

/** Posts a decision to the callback the way an entity does; returns the response status and body. */
export async function decide(
  setup: CibaSetup,
  token: string,
  status: CallbackStatus | string,
  body?: unknown,
): Promise<{ status: number; body: Record<string, unknown> }> {
  const res = await fetch(setup.provider.ctx.urls.cibaCallback, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${token}` },
    body: JSON.stringify(body ?? { status }),
  });
  const text = await res.text();
  return { status: res.status, body: text ? (JSON.parse(text) as Record<string, unknown>) : {} };
}

/** A raw form POST with Basic client authentication; returns status, headers and JSON body. */
export async function post(
  url: string,
  form: Record<string, string>,
  client?: { client_id: string; secret: string },
): Promise<{ status: number; headers: Headers; body: Record<string, unknown> }> {
  const headers: Record<string, string> = { 'Content-Type': 'application/x-www-form-urlencoded' };
  if (client) headers.Authorization = `Basic ${Buffer.from(`${encodeURIComponent(client.client_id)}:${encodeURIComponent(client.secret)}`).toString('base64')}`;
  const res = await fetch(url, { method: 'POST', headers, body: new URLSearchParams(form) });
  return { status: res.status, headers: res.headers, body: (await res.json()) as Record<string, unknown> };
}

/** Starts a request at the backchannel endpoint (raw) and returns the response. */
export function backchannel(setup: CibaSetup, client: { client_id: string; secret: string }, form: Record<string, string>) {
  return post(setup.provider.ctx.urls.backchannelAuthentication, form, client);
}

/** Polls the token endpoint once (raw). */
export function poll(setup: CibaSetup, client: { client_id: string; secret: string }, authReqId: string) {
  return post(setup.provider.ctx.urls.token, { grant_type: CIBA_GRANT_TYPE, auth_req_id: authReqId }, client);
}

/** Resolves with the next event of that name whose payload matches `authReqId`. */
export function nextEvent(setup: CibaSetup, name: string, authReqId?: string, timeoutMs = 5000): Promise<Record<string, unknown>> {
  return new Promise((resolve, reject) => {
    const t = setTimeout(() => reject(new Error(`no ${name} event in time`)), timeoutMs);
    const on = (e: Record<string, unknown>) => {
      if (authReqId !== undefined && e.authReqId !== authReqId) return;
      clearTimeout(t);
      setup.provider.ctx.events.off(name, on);
      resolve(e);
    };
    setup.provider.ctx.events.on(name, on);
  });
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
