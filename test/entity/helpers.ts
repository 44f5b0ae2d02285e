/**
 * Test-side pieces for the entity's tests, all real servers on loopback: the entity itself, a
 * Keycloak-shaped issuer (discovery + JWKS with its own key + callback endpoint), a simulated
 * device (WebCrypto P-256 key, non-extractable, like the app), and a WebSocket client.
 */
import { freePort as freeLoopbackPort } from '../../shared/http/free_port.ts';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { randomUUID, webcrypto } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CompactSign, exportJWK, generateKeyPair, SignJWT, type JWK } from 'jose';
import WebSocket from 'ws';
import { startServer, type RunningServer, type StartServerOptions } from '../../server/app.ts';
import type { DecisionPayload, DenyReason, EnrollResponse, ServerMessage } from '../../shared/entity-api.ts';
import { ENTITY_API } from '../../shared/entity-api.ts';
import { CIBA_CALLBACK_PATH } from '../../shared/auth-channel.ts';
import { nowSeconds } from '../../shared/time.ts';
import { testStore } from '../helpers/store.ts';
import type { Teardown } from '../helpers/teardown.ts';

/** A fresh temporary directory (not importing the provider helper keeps these tests provider-free). */
export function tempDir(prefix = 'nod-test-'): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

export interface TestServer extends RunningServer {
  readonly dataDir: string;
  stop(): Promise<void>;
}

/** The entity on 127.0.0.1:<free port> with a fresh data directory. */
export async function startTestServer(options: StartServerOptions = {}): Promise<TestServer> {
  const dataDir = options.dataDir ?? tempDir('nod-server-test-');
  const s = await startServer({ port: 0, host: '127.0.0.1', ...testStore(dataDir), ...options, dataDir });
  return Object.assign(s, {
    dataDir,
    async stop() {
      await s.close();
      rmSync(dataDir, { recursive: true, force: true });
    },
  });
}

/** The one clock of the contract, re-exported for the entity tests. */
export { nowSeconds } from '../../shared/time.ts';

export async function listen(server: Server): Promise<string> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

export function close(server: Server): Promise<void> {
  return new Promise((resolve) => {
    server.close(() => resolve());
    server.closeAllConnections();
  });
}

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of req) chunks.push(c as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

export interface ReceivedCallback {
  readonly authorization: string | undefined;
  readonly contentType: string | undefined;
  readonly body: unknown;
}

/**
 * A Keycloak-shaped issuer on loopback: `{base}/realms/nod` with discovery, JWKS at
 * `/protocol/openid-connect/certs`, and the HTTP Authentication Channel callback. Its key is
 * its own (RS256, kid), unrelated to our provider.
 */
export async function startKeycloakIssuer() {
  const { privateKey, publicKey } = await generateKeyPair('RS256');
  const kid = randomUUID();
  const jwk: JWK = { ...(await exportJWK(publicKey)), kid, alg: 'RS256', use: 'sig' };
  const callbacks: ReceivedCallback[] = [];
  const state = {
    callbackStatus: 200,
    discoveryFetches: 0,
    jwksFetches: 0,
    /** While set, callbacks are answered only once it resolves. */
    holdCallbacks: undefined as Promise<void> | undefined,
    /** Callbacks being answered now, and the most at once. */
    callbacksInFlight: 0,
    maxCallbacksInFlight: 0,
  };
  let issuer = '';
  const server = createServer(async (req, res) => {
    const path = (req.url ?? '').replace(/^\/realms\/nod/, '');
    if (req.method === 'GET' && path === '/.well-known/openid-configuration') {
      state.discoveryFetches++;
      res.setHeader('content-type', 'application/json');
      return res.end(
        JSON.stringify({
          issuer,
          authorization_endpoint: `${issuer}/protocol/openid-connect/auth`,
          token_endpoint: `${issuer}/protocol/openid-connect/token`,
          userinfo_endpoint: `${issuer}/protocol/openid-connect/userinfo`,
          jwks_uri: `${issuer}/protocol/openid-connect/certs`,
          backchannel_authentication_endpoint: `${issuer}/protocol/openid-connect/ext/ciba/auth`,
        }),
      );
    }
    if (req.method === 'GET' && path === '/protocol/openid-connect/certs') {
      state.jwksFetches++;
      res.setHeader('content-type', 'application/json');
      return res.end(JSON.stringify({ keys: [jwk] }));
    }
    if (req.method === 'POST' && path === CIBA_CALLBACK_PATH) {
      state.maxCallbacksInFlight = Math.max(state.maxCallbacksInFlight, ++state.callbacksInFlight);
      const text = await readBody(req);
      await state.holdCallbacks;
      state.callbacksInFlight--;
      callbacks.push({ authorization: req.headers.authorization, contentType: req.headers['content-type'], body: JSON.parse(text || 'null') });
      res.statusCode = state.callbackStatus;
      return res.end();
    }
    res.statusCode = 404;
    res.end();
  });
  const base = await listen(server);
  issuer = `${base}/realms/nod`;
  return {
    issuer,
    callbacks,
    state,
    /** The bearer token Keycloak sends with a delegation: iss, aud = iss, jti, azp, sub, typ, iat, exp; RS256 with kid. */
    delegationToken(claims: { sub?: string; azp?: string; jti?: string; exp?: number; iat?: number; [k: string]: unknown } = {}): Promise<string> {
      const iat = claims.iat ?? nowSeconds();
      return new SignJWT({ typ: 'Bearer', azp: 'acme-bank', sub: randomUUID(), jti: randomUUID(), ...claims, iat, exp: claims.exp ?? iat + 120 })
        .setProtectedHeader({ alg: 'RS256', typ: 'JWT', kid })
        .setIssuer(issuer)
        .setAudience(issuer)
        .sign(privateKey);
    },
    /** A Keycloak access token for the device app (carries preferred_username). */
    accessToken(claims: { sub: string; preferred_username: string; azp?: string }): Promise<string> {
      const iat = nowSeconds();
      return new SignJWT({ typ: 'Bearer', azp: 'nod-device-app', scope: 'openid profile', jti: randomUUID(), ...claims, iat, exp: iat + 300 })
        .setProtectedHeader({ alg: 'RS256', typ: 'JWT', kid })
        .setIssuer(issuer)
        .setAudience('account')
        .sign(privateKey);
    },
    close: () => close(server),
  };
}

/** A WebSocket client that records every message in arrival order. */
export class WsClient {
  readonly messages: ServerMessage[] = [];
  closeCode?: number;
  private waiters: Array<() => void> = [];
  readonly opened: Promise<void>;
  readonly closed: Promise<number>;

  constructor(readonly ws: WebSocket) {
    ws.on('message', (data) => {
      this.messages.push(JSON.parse(data.toString()) as ServerMessage);
      this.wake();
    });
    this.opened = new Promise((resolve, reject) => {
      ws.once('open', () => resolve());
      ws.once('error', reject);
    });
    this.closed = new Promise((resolve) =>
      ws.once('close', (code) => {
        this.closeCode = code;
        this.wake();
        resolve(code);
      }),
    );
  }

  static async connect(serverUrl: string): Promise<WsClient> {
    const c = new WsClient(new WebSocket(serverUrl.replace(/^http/, 'ws') + ENTITY_API.ws));
    await c.opened;
    return c;
  }

  send(msg: unknown): void {
    this.ws.send(typeof msg === 'string' ? msg : JSON.stringify(msg));
  }

  private wake(): void {
    for (const w of this.waiters.splice(0)) w();
  }

  /** Waits until `predicate` holds on the messages so far (default 5 s). */
  async until(predicate: (m: ServerMessage[]) => boolean, timeoutMs = 5000): Promise<ServerMessage[]> {
    const deadline = Date.now() + timeoutMs;
    while (!predicate(this.messages)) {
      if (Date.now() > deadline) throw new Error(`timed out; messages so far: ${JSON.stringify(this.messages)}`);
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, Math.max(1, deadline - Date.now()));
        this.waiters.push(() => {
          clearTimeout(t);
          resolve();
        });
      });
    }
    return this.messages;
  }

  close(): void {
    this.ws.close();
  }
}

/** A simulated device: a non-extractable WebCrypto P-256 key, enrolled like the app does. */
export class SimDevice {
  enrollment?: EnrollResponse;
  private constructor(
    readonly serverUrl: string,
    private readonly keys: CryptoKeyPair,
    readonly publicJwk: JsonWebKey,
  ) {}

  static async create(serverUrl: string): Promise<SimDevice> {
    const keys = (await webcrypto.subtle.generateKey({ name: 'ECDSA', namedCurve: 'P-256' }, false, ['sign', 'verify'])) as CryptoKeyPair;
    if (keys.privateKey.extractable) throw new Error('the device key must be non-extractable');
    const publicJwk = await webcrypto.subtle.exportKey('jwk', keys.publicKey);
    return new SimDevice(serverUrl, keys, publicJwk);
  }

  get id(): string {
    return this.enrollment!.device_id;
  }

  /** The same enrolled device talking to another node of the entity (its session and key are the same). */
  at(serverUrl: string): SimDevice {
    const other = new SimDevice(serverUrl, this.keys, this.publicJwk);
    if (this.enrollment) other.enrollment = this.enrollment;
    return other;
  }

  /** POST /api/devices with a provider access token; keeps the answer. */
  async enroll(accessToken: string, name = 'Test phone'): Promise<Response> {
    const { kty, crv, x, y } = this.publicJwk;
    const res = await fetch(this.serverUrl + ENTITY_API.devices, {
      method: 'POST',
      headers: { authorization: `Bearer ${accessToken}`, 'content-type': 'application/json' },
      body: JSON.stringify({ name, public_key: { kty, crv, x, y } }),
    });
    if (res.status === 201) this.enrollment = (await res.clone().json()) as EnrollResponse;
    return res;
  }

  /** An authenticated call to the app API. */
  api(method: string, path: string, body?: unknown): Promise<Response> {
    return fetch(this.serverUrl + path, {
      method,
      headers: { authorization: `Bearer ${this.enrollment!.device_token}`, ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
      ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
    });
  }

  /** Signs a decision payload with the device key (compact JWS, ES256). */
  async sign(payload: Partial<DecisionPayload> & Record<string, unknown>): Promise<string> {
    return new CompactSign(new TextEncoder().encode(JSON.stringify(payload))).setProtectedHeader({ alg: 'ES256' }).sign(this.keys.privateKey);
  }

  /** POST a signed decision for request `id`. */
  async decide(id: string, decision: 'approve' | 'deny', reason?: DenyReason, overrides: Partial<DecisionPayload> = {}): Promise<Response> {
    const signed = await this.sign({ request_id: id, device_id: this.id, decision, ...(reason ? { reason } : {}), iat: nowSeconds(), ...overrides });
    return this.api('POST', ENTITY_API.decision(id), { signed });
  }

  /** Opens the WebSocket and authenticates it; resolves after `ready`. */
  async connect(): Promise<WsClient> {
    const c = await WsClient.connect(this.serverUrl);
    c.send({ type: 'auth', device_token: this.enrollment!.device_token });
    await c.until((m) => m.some((x) => x.type === 'ready'));
    return c;
  }
}

/** POSTs a delegation like Keycloak does. */
export function delegate(url: string, token: string | undefined, body: unknown, headers: Record<string, string> = {}): Promise<Response> {
  return fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}), ...headers },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
}

/** Resolves on the next `event` from the entity whose payload matches. */
export function nextEvent<T = unknown>(s: RunningServer, event: string, match: (payload: T) => boolean = () => true, timeoutMs = 10_000): Promise<T> {
  return new Promise((resolve, reject) => {
    const t = setTimeout(() => {
      s.ctx.events.off(event, on);
      reject(new Error(`no ${event} within ${timeoutMs} ms`));
    }, timeoutMs);
    const on = (p: T) => {
      if (!match(p)) return;
      clearTimeout(t);
      s.ctx.events.off(event, on);
      resolve(p);
    };
    s.ctx.events.on(event, on);
  });
}

/** A free loopback port (for servers that must know each other's URL before starting). */
export const freePort = (): Promise<number> => freeLoopbackPort('127.0.0.1');

/** A Keycloak-shaped issuer, an entity trusting it, and alice's phone enrolled with it. */
export interface EntityWithPhone {
  readonly keycloak: Awaited<ReturnType<typeof startKeycloakIssuer>>;
  readonly server: TestServer;
  readonly phone: SimDevice;
  /** Alice's subject at the issuer. */
  readonly sub: string;
}

/** Starts an issuer and an entity (each stopped by `teardown`, also when a later step fails) and enrolls alice's phone. */
export async function startEntityWithPhone(teardown: Teardown): Promise<EntityWithPhone> {
  const sub = randomUUID();
  const keycloak = teardown.add(await startKeycloakIssuer(), (x) => x.close());
  const server = teardown.add(await startTestServer({ trustedIssuers: [keycloak.issuer] }), (x) => x.stop());
  const phone = await SimDevice.create(server.url);
  const enrolled = await phone.enroll(await keycloak.accessToken({ sub, preferred_username: 'alice' }));
  if (enrolled.status !== 201) throw new Error(`enrollment answered ${enrolled.status}: ${await enrolled.text()}`);
  return { keycloak, server, phone, sub };
}
