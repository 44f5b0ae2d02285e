/**
 * Every route the fuzz suite covers: each endpoint of the provider (provider/app.ts) and of the
 * entity (server/app.ts), the entity's WebSocket upgrade, the device app's static files, the
 * health paths and unknown paths. A route names its usual methods, its path (`:id` is filled by
 * the generators), how its parameters travel, and the parameter names it reads, so generated
 * requests reach past the first check as well as fail it.
 */
import { PATHS } from '../../provider/context.ts';
import { DEVICE_CONFIRM_PATH } from '../../provider/endpoints/device_verification.ts';
import { STYLESHEET_PATH } from '../../provider/views/stylesheet.ts';
import { CIBA_CALLBACK_PATH, DELEGATION_PATH } from '../../shared/auth-channel.ts';
import { ENTITY_API } from '../../shared/entity-api.ts';
import { PASSKEY_API } from '../../shared/passkey-api.ts';

export type Target = 'provider' | 'entity';
/** How a route's parameters travel: the query, a form body, a JSON body, or none. */
export type Carrier = 'query' | 'form' | 'json' | 'none';

export interface FuzzRoute {
  /** The table's label (also the --route filter's subject). */
  readonly name: string;
  readonly target: Target;
  readonly methods: readonly string[];
  readonly path: string;
  readonly carrier: Carrier;
  /** Parameter (or JSON member) names the endpoint reads. */
  readonly params: readonly string[];
  /** The credentials it expects: client (Basic), bearer token, or none. */
  readonly auth?: 'client' | 'bearer';
  /** A WebSocket upgrade path. */
  readonly websocket?: boolean;
}

const CLIENT = ['client_id', 'client_secret', 'client_assertion', 'client_assertion_type'];
const AUTHZ = [
  'response_type',
  'client_id',
  'redirect_uri',
  'scope',
  'state',
  'nonce',
  'prompt',
  'max_age',
  'login_hint',
  'id_token_hint',
  'acr_values',
  'code_challenge',
  'code_challenge_method',
  'response_mode',
  'request',
  'request_uri',
  'claims',
  'authorization_details',
  'ui_locales',
  'display',
];

const route = (r: FuzzRoute): FuzzRoute => r;

/** An endpoint of the entity that takes a bearer token and a JSON body. */
const entityApi = (name: string, methods: readonly string[], path: string, params: readonly string[] = []): FuzzRoute =>
  route({ name: `entity ${name}`, target: 'entity', methods, path, carrier: 'json', auth: 'bearer', params });

export const ROUTES: readonly FuzzRoute[] = [
  // provider: discovery, keys, health
  route({ name: 'provider GET discovery', target: 'provider', methods: ['GET'], path: '/.well-known/openid-configuration', carrier: 'query', params: [] }),
  route({
    name: 'provider GET oauth metadata',
    target: 'provider',
    methods: ['GET'],
    path: '/.well-known/oauth-authorization-server',
    carrier: 'query',
    params: [],
  }),
  route({ name: 'provider GET jwks', target: 'provider', methods: ['GET'], path: PATHS.jwks, carrier: 'query', params: [] }),
  route({ name: 'provider GET healthz', target: 'provider', methods: ['GET', 'HEAD'], path: '/healthz', carrier: 'query', params: [] }),
  route({ name: 'provider GET readyz', target: 'provider', methods: ['GET', 'HEAD'], path: '/readyz', carrier: 'query', params: [] }),
  route({ name: 'provider GET stylesheet', target: 'provider', methods: ['GET'], path: STYLESHEET_PATH, carrier: 'query', params: [] }),
  // provider: OAuth endpoints
  route({
    name: 'provider POST token',
    target: 'provider',
    methods: ['POST'],
    path: PATHS.token,
    carrier: 'form',
    auth: 'client',
    params: [
      ...CLIENT,
      'grant_type',
      'code',
      'redirect_uri',
      'code_verifier',
      'refresh_token',
      'scope',
      'auth_req_id',
      'device_code',
      'resource',
      'authorization_details',
    ],
  }),
  route({
    name: 'provider GET/POST userinfo',
    target: 'provider',
    methods: ['GET', 'POST'],
    path: PATHS.userinfo,
    carrier: 'form',
    auth: 'bearer',
    params: ['access_token'],
  }),
  route({
    name: 'provider POST introspection',
    target: 'provider',
    methods: ['POST'],
    path: PATHS.introspection,
    carrier: 'form',
    auth: 'client',
    params: [...CLIENT, 'token', 'token_type_hint'],
  }),
  route({
    name: 'provider POST revocation',
    target: 'provider',
    methods: ['POST'],
    path: PATHS.revocation,
    carrier: 'form',
    auth: 'client',
    params: [...CLIENT, 'token', 'token_type_hint'],
  }),
  route({
    name: 'provider POST device_authorization',
    target: 'provider',
    methods: ['POST'],
    path: PATHS.deviceAuthorization,
    carrier: 'form',
    auth: 'client',
    params: [...CLIENT, 'scope', 'authorization_details', 'acr_values'],
  }),
  route({
    name: 'provider POST backchannel (CIBA)',
    target: 'provider',
    methods: ['POST'],
    path: PATHS.backchannelAuthentication,
    carrier: 'form',
    auth: 'client',
    params: [
      ...CLIENT,
      'scope',
      'login_hint',
      'login_hint_token',
      'id_token_hint',
      'binding_message',
      'user_code',
      'requested_expiry',
      'client_notification_token',
      'acr_values',
      'authorization_details',
      'request',
      'request_uri',
    ],
  }),
  route({
    name: 'provider POST CIBA callback',
    target: 'provider',
    methods: ['POST'],
    path: CIBA_CALLBACK_PATH,
    carrier: 'json',
    auth: 'bearer',
    params: ['status', 'auth_req_id', 'reason', 'amr', 'acr', 'sub', 'decision'],
  }),
  // provider: browser pages
  route({ name: 'provider GET/POST authorize', target: 'provider', methods: ['GET', 'POST'], path: PATHS.authorization, carrier: 'form', params: AUTHZ }),
  route({ name: 'provider GET authorize resume', target: 'provider', methods: ['GET'], path: '/authorize/resume/:id', carrier: 'query', params: [] }),
  route({
    name: 'provider GET/POST login',
    target: 'provider',
    methods: ['GET', 'POST'],
    path: PATHS.login,
    carrier: 'form',
    params: ['username', 'password', 'csrf', 'return_to', 'login_hint', 'client_id', 'passkey'],
  }),
  route({
    name: 'provider GET/POST consent',
    target: 'provider',
    methods: ['GET', 'POST'],
    path: '/consent/:id',
    carrier: 'form',
    params: ['csrf', 'decision', 'scope'],
  }),
  route({
    name: 'provider GET/POST end_session',
    target: 'provider',
    methods: ['GET', 'POST'],
    path: PATHS.endSession,
    carrier: 'form',
    params: ['id_token_hint', 'post_logout_redirect_uri', 'state', 'client_id', 'logout_hint', 'ui_locales', 'csrf', 'confirm'],
  }),
  route({ name: 'provider GET check_session', target: 'provider', methods: ['GET'], path: PATHS.checkSession, carrier: 'query', params: ['origin'] }),
  route({
    name: 'provider GET/POST device verification',
    target: 'provider',
    methods: ['GET', 'POST'],
    path: PATHS.deviceVerification,
    carrier: 'form',
    params: ['user_code', 'csrf'],
  }),
  route({
    name: 'provider GET/POST device confirm',
    target: 'provider',
    methods: ['GET', 'POST'],
    path: DEVICE_CONFIRM_PATH,
    carrier: 'form',
    params: ['user_code', 'csrf', 'decision'],
  }),
  route({ name: 'provider unknown paths', target: 'provider', methods: ['GET', 'POST'], path: '/:id', carrier: 'query', params: [] }),
  // entity
  route({ name: 'entity GET healthz/readyz', target: 'entity', methods: ['GET', 'HEAD'], path: '/readyz', carrier: 'query', params: [] }),
  entityApi('POST delegation', ['POST'], DELEGATION_PATH, [
    'login_hint',
    'scope',
    'binding_message',
    'acr_values',
    'authorization_details',
    'consent_required',
    'user_code',
  ]),
  route({ name: 'entity GET config', target: 'entity', methods: ['GET'], path: ENTITY_API.config, carrier: 'query', params: [] }),
  entityApi('POST/GET devices (enroll)', ['POST', 'GET'], ENTITY_API.devices, ['name', 'public_key', 'jwk', 'platform']),
  entityApi('PATCH/DELETE device', ['PATCH', 'DELETE'], '/api/devices/:id', ['name']),
  entityApi('GET requests', ['GET'], ENTITY_API.requests),
  entityApi('GET request', ['GET'], '/api/requests/:id'),
  entityApi('POST decision', ['POST'], '/api/requests/:id/decision', ['decision', 'approve', 'shown_hash', 'number', 'proof', 'passkey', 'reason']),
  entityApi('POST passkey challenge', ['POST'], '/api/requests/:id/passkey-challenge', ['shown_hash']),
  entityApi('GET/POST/DELETE passkey', ['GET', 'POST', 'DELETE'], PASSKEY_API.passkey, ['credential']),
  entityApi('POST passkey options', ['POST'], PASSKEY_API.options),
  entityApi('GET/PUT/DELETE push', ['GET', 'PUT', 'DELETE'], ENTITY_API.push, ['subscription']),
  entityApi('POST push test', ['POST'], ENTITY_API.pushTest),
  route({ name: 'entity GET ws (upgrade)', target: 'entity', methods: ['GET'], path: ENTITY_API.ws, carrier: 'query', params: [], websocket: true }),
  ...['/', '/sw.js', '/manifest.webmanifest'].map((path) =>
    route({ name: `entity static ${path}`, target: 'entity', methods: ['GET', 'HEAD'], path, carrier: 'query', params: [] }),
  ),
  route({ name: 'entity unknown paths', target: 'entity', methods: ['GET', 'HEAD', 'POST'], path: '/:id', carrier: 'query', params: [] }),
];
