/**
 * Composition of one authentication entity: store, issuer keys, VAPID keys, WebSocket hub,
 * request lifecycle and the route table. `startServer` runs it as a service (shared/http/service.ts:
 * 503 while starting and stopping, load shed past the in-flight limit); port 0 picks a free port.
 *
 * Routes:
 *   POST {delegationPath}              delegation from a trusted provider (Keycloak's contract)
 *   GET  /api/config                   the app's bootstrap
 *   POST /api/devices                  enroll (provider access token)
 *   GET  /api/devices, PATCH/DELETE /api/devices/:id
 *   GET  /api/requests, GET /api/requests/:id, POST /api/requests/:id/decision
 *   POST /api/requests/:id/passkey-challenge, GET/POST/DELETE /api/passkey, POST /api/passkey/options
 *   GET/PUT/DELETE /api/push, POST /api/push/test
 *   GET  /ws (upgrade)                 live channel
 */
import { DeviceKeys } from './devices/device_key.ts';
import express from 'express';
import { EventEmitter } from 'node:events';
import type { RequestListener, Server } from 'node:http';
import { API_CORS_HEADERS, type DirectRoute, directApi, exactPath, idPath } from './direct_api.ts';
import { expressJsonEndpoint } from './endpoints/json_endpoint.ts';
import type { Agent } from 'node:https';
import { ENTITY_API } from '../shared/entity-api.ts';
import type { AdmissionGate } from '../shared/http/admission.ts';
import { JsonPoster } from '../shared/http/post_json.ts';
import { startService, type ServiceLimits } from '../shared/http/service.ts';
import { createLogger, type Logger } from '../shared/log.ts';
import { loadServerConfig, type ServerConfig } from './config.ts';
import type { ServerContext } from './context.ts';
import { defaults } from './defaults.ts';
import { configEndpoint } from './endpoints/config.ts';
import { decisionEndpoint } from './endpoints/decision.ts';
import { delegationEndpoint } from './endpoints/delegation.ts';
import { enrollEndpoint, listDevicesEndpoint, removeDeviceEndpoint, renameDeviceEndpoint } from './endpoints/devices.ts';
import { deletePushEndpoint, getPushEndpoint, putPushEndpoint, testPushEndpoint } from './endpoints/push.ts';
import { getRequestEndpoint, listRequestsEndpoint } from './endpoints/requests.ts';
import { getPasskeyEndpoint, passkeyChallengeEndpoint, passkeyOptionsEndpoint, registerPasskeyEndpoint, removePasskeyEndpoint } from './endpoints/passkey.ts';
import { PASSKEY_API } from '../shared/passkey-api.ts';
import { authenticateDevice, requireDevice } from './middleware/authenticate_device.ts';
import { NotFound } from './errors.ts';
import { renderError } from './middleware/render_error.ts';
import { openModels } from './models.ts';
import { loadVapidKeys } from './notify/vapid.ts';
import { WsHub } from './notify/ws_hub.ts';
import { installAutoApprove } from './requests/auto_approve.ts';
import { RequestLifecycle } from './requests/lifecycle.ts';
import { serveDeviceApp } from './static.ts';
import { securityHeaders } from '../shared/http/security_headers.ts';
import { IssuerKeys } from './tokens/issuer_keys.ts';

export interface RunningServer {
  readonly ctx: ServerContext;
  readonly server: Server;
  /** The admission gate: its state and the requests in flight. */
  readonly gate: AdmissionGate;
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
  /** How many WebSockets may wait to authenticate at once (default defaults.wsMaxUnauthenticated). */
  readonly wsMaxUnauthenticated?: number;
  /** Overrides of the HTTP limits in defaults.ts (tests make them small). */
  readonly limits?: Partial<ServiceLimits>;
}

/**
 * The entity's request listener: the delegation and the decision straight off node:http when their
 * body is plain JSON (direct_api.ts), everything else (those too, otherwise) through the express app.
 */
export function buildHandler(ctx: ServerContext, hub: WsHub, lifecycle: RequestLifecycle): RequestListener {
  const routes: DirectRoute[] = [
    { match: exactPath(ctx.config.delegationPath), endpoint: delegationEndpoint(ctx, lifecycle), api: ctx.config.delegationPath.startsWith('/api/') },
    {
      match: idPath('/api/requests/', '/decision'),
      endpoint: decisionEndpoint(ctx, lifecycle),
      device: async (authorization) => (await requireDevice(ctx, authorization)).device,
      api: true,
    },
  ];
  return directApi({ routes, limit: defaults.maxBodyBytes, log: ctx.log }, buildApp(ctx, hub, lifecycle));
}

/** The express app with every route of the entity. */
export function buildApp(ctx: ServerContext, hub: WsHub, lifecycle: RequestLifecycle): express.Express {
  const app = express();
  app.disable('x-powered-by');
  app.set('trust proxy', ctx.config.trustProxy);
  const json = express.json({ limit: defaults.maxBodyBytes });
  const device = authenticateDevice(ctx);
  app.use(securityHeaders());
  // The app API authenticates with bearer tokens, never cookies, so any origin may call it.
  app.use('/api', (req, res, next) => {
    res.set(API_CORS_HEADERS);
    if (req.method === 'OPTIONS') return void res.status(204).end();
    next();
  });

  app.post(ctx.config.delegationPath, json, expressJsonEndpoint(delegationEndpoint(ctx, lifecycle)));

  app.get(ENTITY_API.config, configEndpoint(ctx));
  app.post(ENTITY_API.devices, json, enrollEndpoint(ctx));
  app.get(ENTITY_API.devices, device, listDevicesEndpoint(ctx));
  app.patch('/api/devices/:id', device, json, renameDeviceEndpoint(ctx));
  app.delete('/api/devices/:id', device, removeDeviceEndpoint(ctx, hub));
  app.get(ENTITY_API.requests, device, listRequestsEndpoint(ctx));
  app.get('/api/requests/:id', device, getRequestEndpoint(ctx));
  app.post('/api/requests/:id/decision', device, json, expressJsonEndpoint(decisionEndpoint(ctx, lifecycle)));
  app.post('/api/requests/:id/passkey-challenge', device, json, passkeyChallengeEndpoint(ctx));
  app.get(PASSKEY_API.passkey, device, getPasskeyEndpoint(ctx));
  app.post(PASSKEY_API.options, device, passkeyOptionsEndpoint(ctx));
  app.post(PASSKEY_API.passkey, device, json, registerPasskeyEndpoint(ctx));
  app.delete(PASSKEY_API.passkey, device, removePasskeyEndpoint(ctx));
  app.get(ENTITY_API.push, device, getPushEndpoint(ctx));
  app.put(ENTITY_API.push, device, json, putPushEndpoint(ctx));
  app.delete(ENTITY_API.push, device, deletePushEndpoint(ctx));
  app.post(ENTITY_API.pushTest, device, testPushEndpoint(ctx));

  // /healthz and /readyz are answered by the admission gate (shared/http/admission.ts), in every state.
  serveDeviceApp(app, ctx.config.appDir, [ctx.config.delegationPath, ENTITY_API.ws], [ctx.config.enrollIssuer]);

  app.use((req) => {
    throw new NotFound(`no endpoint at ${req.method} ${req.path}`);
  });
  app.use(renderError(ctx.log));
  return app;
}

/**
 * Listens at once (answering 503 "starting"), then opens the store and keys, starts the work
 * queued in the store (expiries, callbacks, telling devices), and opens the gate to the routes and
 * the WebSocket channel.
 */
export async function startServer(options: StartServerOptions = {}): Promise<RunningServer> {
  const base = loadServerConfig(options);
  const log = options.log ?? createLogger('server');
  if (base.autoApprove && !base.demo) throw new Error('NOD_AUTO_APPROVE is refused outside demo mode (NOD_DEMO=1)');
  const service = await startService({
    name: 'server',
    config: base,
    limits: { ...defaults, ...options.limits },
    log,
    upgrades: true,
    async build({ port, store }) {
      const url = options.url ?? (base.port === 0 ? `http://127.0.0.1:${port}` : base.url);
      const config: ServerConfig = { ...base, url, port };
      const models = openModels(store);
      const ctx: ServerContext = {
        config,
        store,
        log,
        models,
        issuers: new IssuerKeys(config.trustedIssuers),
        vapid: await loadVapidKeys(models.settings, config.dataDir),
        deviceKeys: new DeviceKeys(),
        ...(options.pushAgent ? { pushAgent: options.pushAgent } : {}),
        events: new EventEmitter(),
        http: new JsonPoster(),
      };
      const hub = new WsHub(ctx, options.wsAuthTimeoutMs, options.wsMaxUnauthenticated);
      const lifecycle = new RequestLifecycle(ctx, hub);
      let autoApprove: { stop(): Promise<void> } | undefined;
      const stop = async () => {
        await autoApprove?.stop();
        await lifecycle.stop();
        await hub.shutdown();
        ctx.http.close();
        ctx.events.removeAllListeners();
      };
      try {
        await hub.start();
        autoApprove = config.autoApprove ? installAutoApprove(ctx, lifecycle) : undefined;
        lifecycle.start();
      } catch (e) {
        await stop();
        throw e;
      }
      return {
        ctx,
        hub,
        lifecycle,
        handler: buildHandler(ctx, hub, lifecycle),
        upgrade: hub.upgrade,
        async readiness() {
          const health = await ctx.store.ready();
          return { ready: health.ok, store: health, connections: hub.size };
        },
        stop,
      };
    },
  });
  const { ctx, hub, lifecycle } = service.app;
  const { url, delegationPath } = ctx.config;
  log.info('server.started', {
    url,
    port: service.port,
    dataDir: ctx.config.dataDir,
    trustedIssuers: ctx.config.trustedIssuers,
    delegationPath,
    demo: ctx.config.demo,
  });
  return {
    ctx,
    server: service.server,
    gate: service.gate,
    hub,
    lifecycle,
    url,
    port: service.port,
    delegationUrl: `${url}${delegationPath}`,
    close: service.close,
  };
}
