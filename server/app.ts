/**
 * Composition of one authentication entity: store, issuer keys, VAPID keys, WebSocket hub,
 * request lifecycle and the route table. `startServer` listens (port 0 picks a free port).
 *
 * Routes:
 *   POST {delegationPath}              delegation from a trusted provider (Keycloak's contract)
 *   GET  /api/config                   the app's bootstrap
 *   POST /api/devices                  enroll (provider access token)
 *   GET  /api/devices, PATCH/DELETE /api/devices/:id
 *   GET  /api/requests, GET /api/requests/:id, POST /api/requests/:id/decision
 *   GET/PUT/DELETE /api/push, POST /api/push/test
 *   GET  /ws (upgrade)                 live channel
 */
import express from 'express';
import { EventEmitter } from 'node:events';
import { createServer, type Server } from 'node:http';
import type { Agent } from 'node:https';
import type { AddressInfo } from 'node:net';
import { ENTITY_API } from '../shared/entity-api.ts';
import { createLogger, type Logger } from '../shared/log.ts';
import { LowdbStore } from '../shared/store/lowdb-store.ts';
import { loadServerConfig, type ServerConfig } from './config.ts';
import type { ServerContext } from './context.ts';
import { defaults } from './defaults.ts';
import { configEndpoint } from './endpoints/config.ts';
import { decisionEndpoint } from './endpoints/decision.ts';
import { delegationEndpoint } from './endpoints/delegation.ts';
import { enrollEndpoint, listDevicesEndpoint, removeDeviceEndpoint, renameDeviceEndpoint } from './endpoints/devices.ts';
import { deletePushEndpoint, getPushEndpoint, putPushEndpoint, testPushEndpoint } from './endpoints/push.ts';
import { getRequestEndpoint, listRequestsEndpoint } from './endpoints/requests.ts';
import { authenticateDevice } from './middleware/authenticate_device.ts';
import { NotFound } from './errors.ts';
import { renderError } from './middleware/render_error.ts';
import { openModels } from './models.ts';
import { loadVapidKeys } from './notify/vapid.ts';
import { WsHub } from './notify/ws_hub.ts';
import { installAutoApprove } from './requests/auto_approve.ts';
import { RequestLifecycle } from './requests/lifecycle.ts';
import { serveDeviceApp } from './static.ts';
import { IssuerKeys } from './tokens/issuer_keys.ts';

export interface RunningServer {
  readonly ctx: ServerContext;
  readonly server: Server;
  readonly hub: WsHub;
  readonly lifecycle: RequestLifecycle;
  /** Base URL the server listens on (loopback URL with the real port in tests). */
  readonly url: string;
  readonly port: number;
  /** Absolute delegation URL, to configure the provider's authentication channel with. */
  readonly delegationUrl: string;
  close(): Promise<void>;
}

export interface StartServerOptions extends Partial<ServerConfig> {
  readonly log?: Logger;
  /** HTTPS agent for Web Push deliveries (tests pass one trusting their loopback push service). */
  readonly pushAgent?: Agent;
  /** How long a new WebSocket has to authenticate, ms (default defaults.wsAuthTimeoutMs). */
  readonly wsAuthTimeoutMs?: number;
}

/** The express app with every route of the entity. */
export function buildApp(ctx: ServerContext, hub: WsHub, lifecycle: RequestLifecycle): express.Express {
  const app = express();
  app.disable('x-powered-by');
  app.set('trust proxy', 'loopback');
  const json = express.json({ limit: defaults.maxBodyBytes });
  const device = authenticateDevice(ctx);
  app.use((_req, res, next) => {
    res.set({ 'X-Content-Type-Options': 'nosniff', 'Referrer-Policy': 'no-referrer' });
    next();
  });
  // The app API authenticates with bearer tokens, never cookies, so any origin may call it.
  app.use('/api', (req, res, next) => {
    res.set({
      'Access-Control-Allow-Origin': '*',
      'Access-Control-Allow-Headers': 'Authorization, Content-Type',
      'Access-Control-Allow-Methods': 'GET, POST, PUT, PATCH, DELETE',
    });
    if (req.method === 'OPTIONS') return void res.status(204).end();
    next();
  });

  app.post(ctx.config.delegationPath, json, delegationEndpoint(ctx, lifecycle));

  app.get(ENTITY_API.config, configEndpoint(ctx));
  app.post(ENTITY_API.devices, json, enrollEndpoint(ctx));
  app.get(ENTITY_API.devices, device, listDevicesEndpoint(ctx));
  app.patch('/api/devices/:id', device, json, renameDeviceEndpoint(ctx));
  app.delete('/api/devices/:id', device, removeDeviceEndpoint(ctx, hub));
  app.get(ENTITY_API.requests, device, listRequestsEndpoint(ctx));
  app.get('/api/requests/:id', device, getRequestEndpoint(ctx));
  app.post('/api/requests/:id/decision', device, json, decisionEndpoint(ctx, lifecycle));
  app.get(ENTITY_API.push, device, getPushEndpoint(ctx));
  app.put(ENTITY_API.push, device, json, putPushEndpoint(ctx));
  app.delete(ENTITY_API.push, device, deletePushEndpoint(ctx));
  app.post(ENTITY_API.pushTest, device, testPushEndpoint(ctx));

  app.get('/healthz', (_req, res) => void res.json({ status: 'ok' }));
  app.get('/readyz', (_req, res) => void res.json({ status: 'ready', connections: hub.size, records: ctx.store.stats().records }));

  serveDeviceApp(app, ctx.config.appDir, [ctx.config.delegationPath, ENTITY_API.ws]);

  app.use((req) => {
    throw new NotFound(`no endpoint at ${req.method} ${req.path}`);
  });
  app.use(renderError(ctx.log));
  return app;
}

/** Opens the store and keys, resumes pending work, listens. */
export async function startServer(options: StartServerOptions = {}): Promise<RunningServer> {
  const base = loadServerConfig(options);
  const log = options.log ?? createLogger('server');
  if (base.autoApprove && !base.demo) throw new Error('NOD_AUTO_APPROVE is refused outside demo mode (NOD_DEMO=1)');
  const server = createServer();
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(base.port, base.host, () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  const url = options.url ?? (base.port === 0 ? `http://127.0.0.1:${port}` : base.url);
  const config: ServerConfig = { ...base, url, port };
  let store: LowdbStore | undefined;
  try {
    store = await LowdbStore.open({ dir: config.dataDir, name: 'server', sweepIntervalMs: defaults.sweepIntervalMs });
    const ctx: ServerContext = {
      config,
      store,
      log,
      models: openModels(store),
      issuers: new IssuerKeys(config.trustedIssuers),
      vapid: await loadVapidKeys(config.dataDir),
      ...(options.pushAgent ? { pushAgent: options.pushAgent } : {}),
      events: new EventEmitter(),
    };
    const hub = new WsHub(ctx, options.wsAuthTimeoutMs);
    const lifecycle = new RequestLifecycle(ctx, hub);
    const removeHook = config.autoApprove ? installAutoApprove(ctx, lifecycle) : undefined;
    server.on('request', buildApp(ctx, hub, lifecycle));
    hub.attach(server);
    await lifecycle.resume();
    log.info('server.started', {
      url,
      port,
      dataDir: config.dataDir,
      trustedIssuers: config.trustedIssuers,
      delegationPath: config.delegationPath,
      demo: config.demo,
    });
    const s = store;
    return {
      ctx,
      server,
      hub,
      lifecycle,
      url,
      port,
      delegationUrl: `${url}${config.delegationPath}`,
      async close() {
        removeHook?.();
        await lifecycle.stop();
        hub.shutdown();
        await new Promise<void>((resolve) => {
          server.close(() => resolve());
          server.closeAllConnections();
        });
        await s.close();
      },
    };
  } catch (e) {
    server.close();
    await store?.close();
    throw e;
  }
}
