/**
 * Composition of one provider instance: store, keys, models and the route table.
 * `startProvider` runs it as a service (shared/http/service.ts: 503 while starting and stopping,
 * load shed past the in-flight limit); port 0 picks a free port, and the issuer follows it unless given.
 */
import express from 'express';
import type { RequestListener, Server } from 'node:http';
import type { AdmissionGate } from '../shared/http/admission.ts';
import { startService, type ServiceLimits } from '../shared/http/service.ts';
import { errorCode } from '../shared/errors.ts';
import { createLogger, type Logger } from '../shared/log.ts';
import { loadProviderConfig, type ProviderConfig } from './config.ts';
import { PATHS, type ProviderContext } from './context.ts';
import { createContext, startContext, stopContext } from './create_context.ts';
import { defaults } from './defaults.ts';
import { renderHtmlError, renderJsonError } from './middleware/render_error.ts';
import { loginPage, loginSubmit } from './endpoints/login.ts';
import { authorizationEndpoint, resumeEndpoint } from './endpoints/authorization/index.ts';
import { resumePath } from './endpoints/authorization/interaction.ts';
import { FORM_POST_SCRIPT, FORM_POST_SCRIPT_PATH } from './endpoints/authorization/respond.ts';
import { assetEndpoint } from './views/assets.ts';
import { securityHeaders } from '../shared/http/security_headers.ts';
import { consentPage, consentSubmit } from './endpoints/consent.ts';
import { endSessionEndpoint } from './endpoints/end_session.ts';
import { CHECK_SESSION_SCRIPT, CHECK_SESSION_SCRIPT_PATH, checkSessionEndpoint } from './endpoints/check_session.ts';
import { STYLESHEET_PATH, stylesheetEndpoint } from './views/stylesheet.ts';
import { discoveryEndpoint } from './endpoints/discovery.ts';
import { jwksEndpoint } from './endpoints/jwks.ts';
import { tokenEndpoint } from './endpoints/token.ts';
import { userinfoEndpoint } from './endpoints/userinfo.ts';
import { introspectionEndpoint } from './endpoints/introspection.ts';
import { revocationEndpoint } from './endpoints/revocation.ts';
import { deviceAuthorizationEndpoint } from './endpoints/device_authorization.ts';
import { DEVICE_CONFIRM_PATH, deviceConfirmPage, deviceConfirmSubmit, deviceEntryPage, deviceEntrySubmit } from './endpoints/device_verification.ts';
import { backchannelAuthenticationEndpoint } from './endpoints/backchannel_authentication.ts';
import { cibaCallbackEndpoint } from './endpoints/ciba_callback.ts';
import { seedDemo, wasSeededForDemo } from './demo.ts';
import { logEvents } from './log_events.ts';
import { cors } from './middleware/cors.ts';
import { parseForm } from './middleware/parse_form.ts';
import { type DirectRoute, directForms } from './middleware/direct_forms.ts';
import { type JsonBodyEndpoint, expressForm, expressJsonBody } from './middleware/form_endpoint.ts';

/** 404 for a path no route serves (its description, like every error's, is capped where errors are made). */
class NoEndpoint extends errorCode('not_found', 404, 'no endpoint here') {}

export interface RunningProvider {
  readonly ctx: ProviderContext;
  readonly server: Server;
  /** The admission gate: its state and the requests in flight. */
  readonly gate: AdmissionGate;
  /** The issuer URL (equals the base URL the provider listens on unless configured). */
  readonly issuer: string;
  readonly port: number;
  /** Demo credentials seeded on this start, if any. */
  readonly demo: boolean;
  close(): Promise<void>;
}

/** The back-channel form endpoints: served directly (direct_forms.ts) and, for other bodies, through express. */
function formRoutes(ctx: ProviderContext): ReadonlyMap<string, DirectRoute> {
  return new Map<string, DirectRoute>([
    [PATHS.token, { endpoint: tokenEndpoint(ctx), cors: true }],
    [PATHS.introspection, { endpoint: introspectionEndpoint(ctx), cors: false }],
    [PATHS.revocation, { endpoint: revocationEndpoint(ctx), cors: true }],
    [PATHS.deviceAuthorization, { endpoint: deviceAuthorizationEndpoint(ctx), cors: true }],
    [PATHS.backchannelAuthentication, { endpoint: backchannelAuthenticationEndpoint(ctx), cors: false }],
  ]);
}

/** The request listener of the provider: the form endpoints and the CIBA callback directly, every route through express. */
export function buildHandler(ctx: ProviderContext): RequestListener {
  const routes = formRoutes(ctx);
  const callback = cibaCallbackEndpoint(ctx);
  const app = buildApp(ctx, routes, callback);
  const jsonRoutes = new Map([[PATHS.cibaCallback, callback]]);
  return directForms({ routes, jsonRoutes, form: FORM_LIMITS, trust: app.get('trust proxy fn'), log: ctx.log }, app);
}

const FORM_LIMITS = { limit: defaults.maxBodyBytes, parameterLimit: 100 } as const;

/** The express app with every route of the provider. */
function buildApp(ctx: ProviderContext, forms: ReadonlyMap<string, DirectRoute>, callback: JsonBodyEndpoint): express.Express {
  const app = express();
  app.disable('x-powered-by');
  // Protocol answers are no-store: no ETag hashing of every body.
  app.set('etag', false);
  app.set('trust proxy', ctx.config.trustProxy);
  const form = parseForm(FORM_LIMITS, express.urlencoded({ extended: false, ...FORM_LIMITS }));
  const json = express.json({ limit: defaults.maxBodyBytes });
  app.use(securityHeaders());

  // JSON endpoints first (the token endpoint is the hottest path); their errors render as JSON.
  const api = express.Router();
  // Endpoints browser-based clients call directly (the device app among them).
  const corsForms = [...forms].filter(([, route]) => route.cors).map(([path]) => path);
  api.use(['/.well-known', PATHS.jwks, PATHS.userinfo, ...corsForms], cors());
  api.get('/.well-known/openid-configuration', discoveryEndpoint(ctx));
  api.get('/.well-known/oauth-authorization-server', discoveryEndpoint(ctx));
  api.get(PATHS.jwks, jwksEndpoint(ctx));
  for (const [path, route] of forms) api.post(path, form, expressForm(route.endpoint));
  api.get(PATHS.userinfo, userinfoEndpoint(ctx));
  api.post(PATHS.userinfo, form, userinfoEndpoint(ctx));
  api.post(PATHS.cibaCallback, json, expressJsonBody(callback));
  api.use(renderJsonError(ctx.log));
  app.use(api);

  // HTML pages: errors render as pages, not JSON.
  const pages = express.Router();
  pages.get(STYLESHEET_PATH, stylesheetEndpoint());
  pages.get(FORM_POST_SCRIPT_PATH, assetEndpoint('text/javascript', FORM_POST_SCRIPT));
  pages.get(CHECK_SESSION_SCRIPT_PATH, assetEndpoint('text/javascript', CHECK_SESSION_SCRIPT));
  pages.get(PATHS.login, loginPage(ctx));
  pages.post(PATHS.login, form, loginSubmit(ctx));
  pages.get(PATHS.authorization, authorizationEndpoint(ctx));
  pages.post(PATHS.authorization, form, authorizationEndpoint(ctx));
  pages.get(resumePath(':id'), resumeEndpoint(ctx));
  pages.get(`${PATHS.consent}/:id`, consentPage(ctx));
  pages.post(`${PATHS.consent}/:id`, form, consentSubmit(ctx));
  pages.get(PATHS.endSession, endSessionEndpoint(ctx));
  pages.post(PATHS.endSession, form, endSessionEndpoint(ctx));
  pages.get(PATHS.checkSession, checkSessionEndpoint());
  pages.get(PATHS.deviceVerification, deviceEntryPage(ctx));
  pages.post(PATHS.deviceVerification, form, deviceEntrySubmit(ctx));
  pages.get(DEVICE_CONFIRM_PATH, deviceConfirmPage(ctx));
  pages.post(DEVICE_CONFIRM_PATH, form, deviceConfirmSubmit(ctx));
  pages.use(renderHtmlError(ctx.log));
  app.use(pages);

  // /healthz and /readyz are answered by the admission gate (shared/http/admission.ts), in every state.
  app.use((req, _res, next) => next(new NoEndpoint(`no endpoint at ${req.method} ${req.path}`)));
  app.use(renderJsonError(ctx.log));
  return app;
}

export interface StartProviderOptions extends Partial<ProviderConfig> {
  readonly log?: Logger;
  /** Overrides of the HTTP limits in defaults.ts (tests make them small). */
  readonly limits?: Partial<ServiceLimits>;
}

/**
 * Listens at once (answering 503 "starting"), then opens the store and keys, seeds demo data when
 * asked (or when the data directory is new), resumes CIBA deliveries, and opens the gate.
 */
export async function startProvider(options: StartProviderOptions = {}): Promise<RunningProvider> {
  const base = loadProviderConfig(options);
  const log = options.log ?? createLogger('provider');
  const service = await startService({
    name: 'provider',
    config: base,
    limits: { ...defaults, ...options.limits },
    log,
    async build({ port, store }) {
      const issuer = options.issuer ?? (base.port === 0 ? `http://127.0.0.1:${port}` : base.issuer);
      const config: ProviderConfig = { ...base, issuer, port };
      const ctx = await createContext(config, store, log);
      try {
        logEvents(ctx);
        const demo = config.demo ?? (store.created || (await wasSeededForDemo(ctx)));
        if (demo) await seedDemo(ctx);
        startContext(ctx);
        return {
          ctx,
          demo,
          handler: buildHandler(ctx),
          async readiness() {
            const health = await ctx.store.ready();
            const keys = ctx.keys.jwks().keys.length > 0;
            return { ready: health.ok && keys, store: health, keys };
          },
          stop: () => stopContext(ctx),
        };
      } catch (e) {
        await stopContext(ctx);
        throw e;
      }
    },
  });
  const { ctx, demo } = service.app;
  log.info('provider.started', { issuer: ctx.config.issuer, port: service.port, dataDir: ctx.config.dataDir, demo });
  return { ctx, server: service.server, gate: service.gate, issuer: ctx.config.issuer, port: service.port, demo, close: service.close };
}
