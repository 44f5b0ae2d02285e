/**
 * Demo mode: seeds well-known users and clients so a newcomer can try every flow. Only ever
 * seeded on an empty data directory or with NOD_DEMO=1, and announced with a loud banner.
 * The names below are a public contract (README, CLI defaults, tests).
 */
import { setTimeout as sleep } from 'node:timers/promises';
import type { ProviderContext } from './context.ts';
import { validateClientMetadata } from './models/client.ts';
import { newUser, type UserClaims } from './models/user.ts';
import { CIBA_GRANT_TYPE, DEFAULT_SERVER_PORT, DEVICE_APP_CLIENT_ID, DEVICE_CODE_GRANT_TYPE } from '../shared/constants.ts';
import { nowSeconds } from '../shared/time.ts';

/** How long one node may seed before another takes over (the lease), ms. */
const SEED_LEASE_MS = 30_000;

export const DEMO_USERS: ReadonlyArray<{ username: string; password: string; claims: UserClaims }> = [
  {
    username: 'alice',
    password: 'wonderland',
    claims: {
      name: 'Alice Liddell',
      given_name: 'Alice',
      family_name: 'Liddell',
      email: 'alice@example.com',
      email_verified: true,
      phone_number: '+15555550101',
      phone_number_verified: true,
    },
  },
  {
    username: 'bob',
    password: 'builder',
    claims: {
      name: 'Bob Builder',
      given_name: 'Bob',
      family_name: 'Builder',
      email: 'bob@example.com',
      email_verified: true,
      phone_number: '+15555550102',
      phone_number_verified: true,
    },
  },
];

/** The RFC 9396 types the demo relying parties (demo-web, demo-bank, demo-callcenter) may request. */
export const DEMO_AUTHORIZATION_DETAILS_TYPES = ['payment_initiation', 'account_information'];

/** Demo client metadata; `deviceAppOrigin` is where the entity serves the device app. */
export function demoClients(deviceAppOrigin = `http://localhost:${DEFAULT_SERVER_PORT}`): Array<Record<string, unknown>> {
  return [
    {
      client_id: 'demo-web',
      client_name: 'Demo Web App',
      client_secret: 'demo-web-secret',
      token_endpoint_auth_method: 'client_secret_basic',
      redirect_uris: ['http://localhost:8080/callback', 'http://127.0.0.1:8080/callback'],
      post_logout_redirect_uris: ['http://localhost:8080/', 'http://127.0.0.1:8080/'],
      response_types: ['code', 'id_token', 'id_token token', 'code id_token', 'code token', 'code id_token token'],
      grant_types: ['authorization_code', 'implicit', 'refresh_token'],
      scope: 'openid profile email phone offline_access',
      authorization_details_types: DEMO_AUTHORIZATION_DETAILS_TYPES,
    },
    {
      client_id: 'demo-spa',
      client_name: 'Demo Single-Page App',
      token_endpoint_auth_method: 'none',
      require_pkce: true,
      redirect_uris: ['http://localhost:8080/spa'],
      post_logout_redirect_uris: ['http://localhost:8080/spa'],
      response_types: ['code'],
      grant_types: ['authorization_code', 'refresh_token'],
      scope: 'openid profile email offline_access',
    },
    {
      client_id: 'demo-service',
      client_name: 'Demo Service',
      client_secret: 'demo-service-secret',
      token_endpoint_auth_method: 'client_secret_basic',
      grant_types: ['client_credentials'],
      response_types: [],
      scope: 'api',
    },
    {
      client_id: 'demo-bank',
      client_name: 'Acme Bank',
      client_secret: 'demo-bank-secret',
      token_endpoint_auth_method: 'client_secret_basic',
      grant_types: [CIBA_GRANT_TYPE, 'refresh_token'],
      response_types: [],
      scope: 'openid profile email',
      backchannel_token_delivery_mode: 'poll',
      authorization_details_types: DEMO_AUTHORIZATION_DETAILS_TYPES,
    },
    {
      client_id: 'demo-callcenter',
      client_name: 'Acme Call Center',
      client_secret: 'demo-callcenter-secret',
      token_endpoint_auth_method: 'client_secret_basic',
      grant_types: [CIBA_GRANT_TYPE],
      response_types: [],
      scope: 'openid profile email',
      backchannel_token_delivery_mode: 'ping',
      backchannel_client_notification_endpoint: 'http://localhost:8090/ciba/notify',
      authorization_details_types: DEMO_AUTHORIZATION_DETAILS_TYPES,
    },
    {
      client_id: 'demo-push',
      client_name: 'Acme Push Client',
      client_secret: 'demo-push-secret',
      token_endpoint_auth_method: 'client_secret_basic',
      grant_types: [CIBA_GRANT_TYPE],
      response_types: [],
      scope: 'openid profile email',
      backchannel_token_delivery_mode: 'push',
      backchannel_client_notification_endpoint: 'http://localhost:8091/ciba/push',
    },
    {
      client_id: 'demo-tv',
      client_name: 'Living Room TV',
      token_endpoint_auth_method: 'none',
      grant_types: [DEVICE_CODE_GRANT_TYPE, 'refresh_token'],
      response_types: [],
      scope: 'openid profile offline_access',
    },
    {
      client_id: DEVICE_APP_CLIENT_ID,
      client_name: 'Nod',
      token_endpoint_auth_method: 'none',
      require_pkce: true,
      redirect_uris: [`${deviceAppOrigin}/`, `${deviceAppOrigin}/callback`],
      post_logout_redirect_uris: [`${deviceAppOrigin}/`],
      response_types: ['code'],
      grant_types: ['authorization_code', 'refresh_token'],
      scope: 'openid profile offline_access',
    },
  ];
}

/** Validates and stores a client from RFC 7591 metadata (replacing one with the same id). */
export async function upsertClient(ctx: Pick<ProviderContext, 'models'>, metadata: Record<string, unknown>): Promise<{ client_id: string; secret?: string }> {
  const { client, secret } = validateClientMetadata(metadata);
  await ctx.models.clients.put(client.client_id, client);
  return { client_id: client.client_id, ...(secret ? { secret } : {}) };
}

/** Whether this data directory was seeded in demo mode (so later starts keep the banner). */
export async function wasSeededForDemo(ctx: Pick<ProviderContext, 'models'>): Promise<boolean> {
  return (await ctx.models.settings.find('demo')) !== undefined;
}

/**
 * Seeds the demo users and clients that are missing. With several nodes starting at once, one
 * seeds (it holds a lease) while the others wait for it, so no user is created twice.
 */
export async function seedDemo(ctx: ProviderContext): Promise<void> {
  let lease = await ctx.store.leases.acquire('demo-seed', SEED_LEASE_MS);
  while (!lease) {
    await sleep(100);
    lease = await ctx.store.leases.acquire('demo-seed', SEED_LEASE_MS);
  }
  try {
    await ctx.models.settings.insert('demo', { seededAt: nowSeconds() });
    for (const u of DEMO_USERS) {
      const existing = await ctx.models.users.findBy('username', u.username);
      if (existing.length) continue;
      const user = await newUser(u.username, u.password, u.claims, 1);
      await ctx.models.users.insert(user.sub, user);
    }
    for (const metadata of demoClients(ctx.config.deviceAppUrl)) {
      if (await ctx.models.clients.find(metadata.client_id as string)) continue;
      await upsertClient(ctx, metadata);
    }
  } finally {
    await ctx.store.leases.release(lease);
  }
}
