/**
 * Child process: panva's node-oidc-provider (the reference implementation), configured the way
 * a competent operator would for the same work as ours:
 * - the same clients, secrets and client authentication (client_secret_basic);
 * - ES256 JWT access tokens through a resource indicator (client credentials, code, refresh),
 *   and its default opaque token for one extra client_credentials row;
 * - ID tokens signed with ES256 for the bench's web client, as ours;
 * - accounts looked up by username (login_hint) and carrying the same profile claims as ours;
 * - refresh tokens rotated on every use (`rotateRefreshToken: true`), as ours;
 * - CIBA whose `triggerAuthenticationDevice` (run after the request is saved and before the
 *   client is answered) signs an ES256 bearer token with the provider's own key (published in its
 *   JWKS) and POSTs Keycloak's HTTP Authentication Channel body to our entity, awaiting its 201,
 *   like ours does; the bench can switch it to a no-op to show what the channel costs.
 * It keeps everything in memory with its own memory adapter (nothing on disk), whose LRU is
 * raised from 1,000 to 200,000 entries so that codes and refresh tokens minted before a round
 * are not evicted during it.
 */
import { createHash, randomBytes } from 'node:crypto';
import { createServer } from 'node:http';
import { exportJWK, generateKeyPair, SignJWT } from 'jose';
import Provider, { errors } from 'oidc-provider';
import MemoryAdapter from 'oidc-provider/lib/adapters/memory_adapter.js';
import LRU from 'oidc-provider/lib/helpers/lru.js';
import { failToParent, serveParent } from '../lib/child.ts';
import { BENCH_WEB } from './bench_web.ts';
import { nowSeconds } from '../../shared/time.ts';

export interface PanvaArgs {
  /** Fixed port, so the entity can trust this issuer before either starts. */
  readonly port: number;
  /** Our entity's delegation URL (Keycloak's Authentication Requested URI). */
  readonly delegationUrl?: string;
}

export interface PanvaInfo {
  readonly issuer: string;
  /** resource indicator that yields ES256 JWT access tokens */
  readonly jwtResource: string;
  /** resource indicator that yields opaque (stored) access tokens */
  readonly opaqueResource: string;
}

/** What `triggerAuthenticationDevice` does: POST to the entity (same work as ours) or nothing. */
export type CibaHook = 'delegate' | 'none';

const JWT_RESOURCE = 'urn:nod-bench:jwt';
const OPAQUE_RESOURCE = 'urn:nod-bench:opaque';
const CIBA = 'urn:openid:params:grant-type:ciba';
/** Seconds, as ours (provider/defaults.ts). */
const TTL = { accessToken: 3600, code: 60, idToken: 3600, refreshToken: 14 * 24 * 3600, grant: 30 * 24 * 3600, cibaDefault: 120, cibaMax: 600 };
const BINDING_MESSAGE = /^[\p{L}\p{N}\p{P}\p{Zs}]{1,50}$/u;

/** What the CIBA hook reads of oidc-provider's BackchannelAuthenticationRequest and Client. */
interface BackchannelRequest {
  readonly jti: string;
  readonly scope: string;
  /** Seconds the request lives. */
  readonly expiration: number;
  readonly params: Record<string, string | undefined>;
}
interface ProviderClient {
  readonly clientId: string;
  readonly clientName?: string;
}

interface Account {
  readonly accountId: string;
  readonly username: string;
  readonly claims: Record<string, unknown>;
}

const args = JSON.parse(process.argv[2] ?? '{}') as PanvaArgs;
const accounts = new Map<string, Account>();
const byUsername = new Map<string, Account>();
let cibaHook: CibaHook = args.delegationUrl ? 'delegate' : 'none';

function addAccount(username: string): Account {
  const existing = byUsername.get(username);
  if (existing) return existing;
  const accountId = randomBytes(16).toString('hex');
  const account = { accountId, username, claims: { name: `Bench User ${username}`, preferred_username: username, updated_at: nowSeconds() } };
  accounts.set(accountId, account);
  byUsername.set(username, account);
  return account;
}

try {
  const es = await generateKeyPair('ES256', { extractable: true });
  const rs = await generateKeyPair('RS256', { extractable: true, modulusLength: 2048 });
  const keys = [
    { ...(await exportJWK(rs.privateKey)), alg: 'RS256', use: 'sig', kid: 'rs' },
    { ...(await exportJWK(es.privateKey)), alg: 'ES256', use: 'sig', kid: 'es' },
  ];
  const issuer = `http://127.0.0.1:${args.port}`;
  const store = new LRU({ maxSize: 200_000 });
  const none = async () => undefined;

  /** The delegation: ES256 bearer token (iss = aud = issuer, jti = auth_req_id, azp, sub, exp = the request's expiry) and Keycloak's body. */
  const delegate = async (request: BackchannelRequest, account: { accountId: string }, client: ProviderClient): Promise<void> => {
    const { params } = request;
    // The auth_req_id is the token's jti: the callback finds the request from it without another record.
    const token = await new SignJWT({ azp: client.clientId, sub: account.accountId })
      .setProtectedHeader({ alg: 'ES256', kid: 'es' })
      .setIssuer(issuer)
      .setAudience(issuer)
      .setJti(request.jti)
      .setIssuedAt()
      .setExpirationTime(nowSeconds() + request.expiration)
      .sign(es.privateKey);
    const res = await fetch(args.delegationUrl!, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
      body: JSON.stringify({
        login_hint: params.login_hint,
        scope: request.scope,
        is_consent_required: true,
        ...(params.binding_message ? { binding_message: params.binding_message } : {}),
        ...(params.acr_values ? { acr_values: params.acr_values } : {}),
        client_id: client.clientId,
        ...(client.clientName ? { client_name: client.clientName } : {}),
      }),
      redirect: 'manual',
      signal: AbortSignal.timeout(10_000),
    });
    await res.body?.cancel();
    if (res.status !== 201) throw new errors.CustomOIDCProviderError('temporarily_unavailable', `the authentication channel answered ${res.status}`);
  };

  const provider = new Provider(issuer, {
    adapter: (name: string) => new MemoryAdapter(name, store),
    jwks: { keys },
    clients: [
      {
        client_id: 'demo-service',
        client_secret: 'demo-service-secret',
        token_endpoint_auth_method: 'client_secret_basic',
        grant_types: ['client_credentials'],
        response_types: [],
        redirect_uris: [],
        scope: 'api',
      },
      {
        client_id: 'demo-bank',
        client_name: 'Acme Bank',
        client_secret: 'demo-bank-secret',
        token_endpoint_auth_method: 'client_secret_basic',
        grant_types: [CIBA],
        response_types: [],
        redirect_uris: [],
        scope: 'openid profile email',
        backchannel_token_delivery_mode: 'poll',
      },
      {
        client_id: BENCH_WEB.client_id,
        client_secret: BENCH_WEB.client_secret,
        token_endpoint_auth_method: 'client_secret_basic',
        grant_types: ['authorization_code', 'refresh_token'],
        response_types: ['code'],
        redirect_uris: [BENCH_WEB.redirect_uri],
        scope: BENCH_WEB.scope,
        id_token_signed_response_alg: 'ES256',
      },
    ],
    scopes: ['openid', 'profile', 'email', 'offline_access', 'api'],
    claims: { openid: ['sub'], profile: ['name', 'preferred_username', 'updated_at'] },
    findAccount: async (_ctx: unknown, sub: string) => {
      const account = accounts.get(sub);
      return account && { accountId: sub, claims: async () => ({ sub, ...account.claims }) };
    },
    rotateRefreshToken: true,
    ttl: {
      AccessToken: TTL.accessToken,
      ClientCredentials: TTL.accessToken,
      AuthorizationCode: TTL.code,
      IdToken: TTL.idToken,
      RefreshToken: TTL.refreshToken,
      Grant: TTL.grant,
      BackchannelAuthenticationRequest: (ctx: { oidc?: { params?: Record<string, unknown> } } | undefined) => {
        const requested = Number(ctx?.oidc?.params?.requested_expiry);
        return requested > 0 ? Math.min(TTL.cibaMax, requested) : TTL.cibaDefault;
      },
    },
    features: {
      devInteractions: { enabled: false },
      clientCredentials: { enabled: true },
      resourceIndicators: {
        enabled: true,
        defaultResource: async () => undefined,
        // Codes and refresh tokens carry the resource they were granted for: their access tokens are JWTs for it.
        useGrantedResource: async () => true,
        getResourceServerInfo: async (_ctx: unknown, resource: string) => {
          if (resource === JWT_RESOURCE)
            return { scope: 'api', audience: JWT_RESOURCE, accessTokenTTL: TTL.accessToken, accessTokenFormat: 'jwt', jwt: { sign: { alg: 'ES256' } } };
          if (resource === OPAQUE_RESOURCE) return { scope: 'api', audience: OPAQUE_RESOURCE, accessTokenTTL: TTL.accessToken, accessTokenFormat: 'opaque' };
          throw new errors.InvalidTarget();
        },
      },
      ciba: {
        enabled: true,
        deliveryModes: ['poll'],
        processLoginHint: async (_ctx: unknown, loginHint: string) => byUsername.get(loginHint)?.accountId,
        validateBindingMessage: async (_ctx: unknown, message: string | undefined) => {
          if (message !== undefined && !BINDING_MESSAGE.test(message)) throw new errors.InvalidBindingMessage('binding_message: 1-50 printable characters');
        },
        validateRequestContext: none,
        verifyUserCode: none,
        triggerAuthenticationDevice: async (_ctx: unknown, request: BackchannelRequest, account: { accountId: string }, client: ProviderClient) => {
          if (cibaHook === 'delegate') await delegate(request, account, client);
        },
      },
    },
  });
  const server = createServer(provider.callback());
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(args.port, '127.0.0.1', resolve);
  });

  const webClient = await provider.Client.find(BENCH_WEB.client_id);
  /** A grant of `openid profile offline_access` plus `api` at the JWT resource, as a login with consent leaves. */
  const newGrant = async (account: Account) => {
    const grant = new provider.Grant({ accountId: account.accountId, clientId: BENCH_WEB.client_id });
    grant.addOIDCScope('openid profile offline_access');
    grant.addResourceScope(JWT_RESOURCE, 'api');
    return grant.save();
  };
  const pickAccounts = (usernames: string[]) => usernames.map(addAccount);

  serveParent({ issuer, jwtResource: JWT_RESOURCE, opaqueResource: OPAQUE_RESOURCE } satisfies PanvaInfo, {
    /** Accounts with these usernames (login_hint), like ours' seeded users. */
    seedAccounts: ({ usernames }: { usernames: string[] }) => pickAccounts(usernames).length,
    setCibaHook: ({ hook }: { hook: CibaHook }) => {
      if (hook === 'delegate' && !args.delegationUrl) throw new Error('no delegation URL was given');
      cibaHook = hook;
      return hook;
    },
    /** `count` authorization codes (each from its own grant, PKCE S256), as the authorization endpoint stores them. */
    mintCodes: async ({ count, usernames }: { count: number; usernames: string[] }) => {
      const users = pickAccounts(usernames);
      const out: Array<{ code: string; verifier: string }> = [];
      for (let i = 0; i < count; i++) {
        const account = users[i % users.length]!;
        const grantId = await newGrant(account);
        const verifier = randomBytes(32).toString('base64url');
        const code = new provider.AuthorizationCode({
          accountId: account.accountId,
          authTime: nowSeconds(),
          client: webClient,
          grantId,
          redirectUri: BENCH_WEB.redirect_uri,
          scope: BENCH_WEB.scope,
          resource: JWT_RESOURCE,
          codeChallenge: createHash('sha256').update(verifier).digest('base64url'),
          codeChallengeMethod: 'S256',
          expiresWithSession: false,
        });
        out.push({ code: await code.save(), verifier });
      }
      return out;
    },
    /** `count` refresh tokens, each from its own grant, as a code exchange leaves them. */
    mintRefreshTokens: async ({ count, usernames }: { count: number; usernames: string[] }) => {
      const users = pickAccounts(usernames);
      const out: string[] = [];
      for (let i = 0; i < count; i++) {
        const account = users[i % users.length]!;
        const grantId = await newGrant(account);
        const rt = new provider.RefreshToken({
          accountId: account.accountId,
          authTime: nowSeconds(),
          client: webClient,
          grantId,
          gty: 'authorization_code',
          scope: BENCH_WEB.scope,
          resource: JWT_RESOURCE,
          rotations: 0,
          expiresWithSession: false,
        });
        out.push(await rt.save());
      }
      return out;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  });
} catch (e) {
  failToParent(e);
}
