/**
 * Child process: panva's node-oidc-provider (the reference implementation), configured for the
 * same work as ours: the same clients and secrets, ES256 JWT access tokens for client
 * credentials through a resource indicator (and its default opaque tokens for another), and
 * CIBA in poll mode whose `triggerAuthenticationDevice` does nothing. It persists with its
 * in-memory development adapter (an LRU of 1,000 entries; nothing is written to disk).
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { exportJWK, generateKeyPair } from 'jose';
import Provider from 'oidc-provider';
import { failToParent, serveParent } from '../lib/child.ts';

export interface PanvaInfo {
  readonly issuer: string;
  /** resource indicator that yields ES256 JWT access tokens */
  readonly jwtResource: string;
  /** resource indicator that yields opaque (stored) access tokens */
  readonly opaqueResource: string;
}

const JWT_RESOURCE = 'urn:nod-bench:jwt';
const OPAQUE_RESOURCE = 'urn:nod-bench:opaque';
const CIBA = 'urn:openid:params:grant-type:ciba';

try {
  const es = await generateKeyPair('ES256', { extractable: true });
  const rs = await generateKeyPair('RS256', { extractable: true, modulusLength: 2048 });
  const keys = [
    { ...(await exportJWK(rs.privateKey)), alg: 'RS256', use: 'sig', kid: 'rs' },
    { ...(await exportJWK(es.privateKey)), alg: 'ES256', use: 'sig', kid: 'es' },
  ];
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const issuer = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const none = async () => undefined;
  const provider = new Provider(issuer, {
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
        client_secret: 'demo-bank-secret',
        token_endpoint_auth_method: 'client_secret_basic',
        grant_types: [CIBA],
        response_types: [],
        redirect_uris: [],
        scope: 'openid profile email',
        backchannel_token_delivery_mode: 'poll',
      },
    ],
    scopes: ['openid', 'profile', 'email', 'api'],
    findAccount: async (_ctx: unknown, sub: string) => ({ accountId: sub, claims: async () => ({ sub }) }),
    features: {
      devInteractions: { enabled: false },
      clientCredentials: { enabled: true },
      resourceIndicators: {
        enabled: true,
        defaultResource: async () => undefined,
        useGrantedResource: async () => false,
        getResourceServerInfo: async (_ctx: unknown, resource: string) => {
          if (resource === JWT_RESOURCE)
            return { scope: 'api', audience: JWT_RESOURCE, accessTokenTTL: 3600, accessTokenFormat: 'jwt', jwt: { sign: { alg: 'ES256' } } };
          if (resource === OPAQUE_RESOURCE) return { scope: 'api', audience: OPAQUE_RESOURCE, accessTokenTTL: 3600, accessTokenFormat: 'opaque' };
          throw new Error('unknown resource');
        },
      },
      ciba: {
        enabled: true,
        deliveryModes: ['poll'],
        processLoginHint: async (_ctx: unknown, loginHint: string) => loginHint,
        validateBindingMessage: none,
        validateRequestContext: none,
        verifyUserCode: none,
        // Nothing expensive: the reference implementation leaves the device to its user.
        triggerAuthenticationDevice: none,
      },
    },
  });
  server.on('request', provider.callback());
  serveParent({ issuer, jwtResource: JWT_RESOURCE, opaqueResource: OPAQUE_RESOURCE } satisfies PanvaInfo, {
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  });
} catch (e) {
  failToParent(e);
}
