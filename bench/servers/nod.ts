/**
 * Child process: our provider (demo mode, fresh data directory in the system temp folder),
 * persisting to its lowdb file with group commit as it does in production.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { startProvider } from '../../provider/app.ts';
import { upsertClient } from '../../provider/demo.ts';
import { hashPassword, type User } from '../../provider/models/user.ts';
import { defaults } from '../../provider/defaults.ts';
import { setCibaPolicy, type CibaPolicy } from '../../provider/ciba/policy.ts';
import { recordTtl, type CibaRequest } from '../../provider/ciba/request.ts';
import { issueAccessToken, issueRefreshToken, saveGrant } from '../../provider/tokens/issue.ts';
import { issueAuthorizationResponse } from '../../provider/endpoints/authorization/issue_response.ts';
import type { Client } from '../../provider/models/client.ts';
import { randomId } from '../../shared/random.ts';
import { nowSeconds } from '../../shared/time.ts';
import { DEVICE_APP_CLIENT_ID } from '../../shared/constants.ts';
import { failToParent, serveParent } from '../lib/child.ts';
import { storeProbes } from '../lib/store_probes.ts';

export interface NodArgs {
  /** Fixed port (so the entity can be told the issuer before either starts); 0 picks one. */
  readonly port?: number;
  /**
   * Seconds a request's record outlives its expiry (defaults.expiredRequestGrace, 300 in
   * production) so that the sweep of expired requests can be watched within one run.
   */
  readonly expiredRequestGrace?: number;
  readonly authChannelUrl?: string;
  /** CIBA minimum poll interval (NOD_CIBA_INTERVAL), seconds. */
  readonly cibaInterval?: number;
}

export interface NodInfo {
  readonly issuer: string;
  readonly dataDir: string;
}

const args = JSON.parse(process.argv[2] ?? '{}') as NodArgs;
const dataDir = mkdtempSync(join(tmpdir(), 'nod-bench-'));
if (args.expiredRequestGrace !== undefined) (defaults as { expiredRequestGrace: number }).expiredRequestGrace = args.expiredRequestGrace;

try {
  const p = await startProvider({
    port: args.port ?? 0,
    host: '127.0.0.1',
    ...(args.port ? { issuer: `http://127.0.0.1:${args.port}` } : {}),
    dataDir,
    demo: true,
    ...(args.authChannelUrl ? { authChannelUrl: args.authChannelUrl } : {}),
    ...(args.cibaInterval !== undefined ? { ciba: { expiresIn: 120, maxExpiresIn: 600, interval: args.cibaInterval } } : {}),
  });
  let closed = false;
  const userSubs = async (usernames: string[]): Promise<string[]> =>
    Promise.all(
      usernames.map(async (username) => {
        const [user] = await p.ctx.models.users.findBy('username', username);
        if (!user) throw new Error(`no user ${username}`);
        return user.value.sub;
      }),
    );
  serveParent({ issuer: p.issuer, dataDir } satisfies NodInfo, {
    ...storeProbes(p.ctx.store, dataDir),
    flush: () => p.ctx.store.flush(),
    /**
     * Creates `count` users bench-<i> (one password hash shared by all: the bench never signs
     * them in with a password, and scrypt per user would take minutes). Returns their usernames and subs.
     */
    seedUsers: async ({ count, prefix = 'bench' }: { count: number; prefix?: string }) => {
      const passwordHash = await hashPassword('bench-password');
      const out: Array<{ username: string; sub: string }> = [];
      const writes: Promise<unknown>[] = [];
      for (let i = 0; i < count; i++) {
        const username = `${prefix}-${i}`;
        const existing = await p.ctx.models.users.findBy('username', username);
        if (existing.length) {
          out.push({ username, sub: existing[0]!.value.sub });
          continue;
        }
        const user: User = { sub: randomUUID(), username, password_hash: passwordHash, name: `Bench User ${i}`, updated_at: nowSeconds() };
        writes.push(p.ctx.models.users.put(user.sub, user));
        out.push({ username, sub: user.sub });
      }
      await Promise.all(writes);
      return out;
    },
    /** Run-time CIBA policy overrides (the settings record the admin command writes). */
    setCibaPolicy: (patch: Partial<CibaPolicy>) => setCibaPolicy(p.ctx, patch),
    /**
     * An access token of the device app for `username`, issued by the provider's own issuance
     * code over a stored grant (what the authorization code flow would end with), for enrollment.
     */
    deviceAppToken: async ({ username }: { username: string }) => {
      const user = (await p.ctx.models.users.findBy('username', username))[0]?.value;
      const client = await p.ctx.models.clients.find(DEVICE_APP_CLIENT_ID);
      if (!user || !client) throw new Error(`no user ${username} or no device app client`);
      const scope = 'openid profile';
      const grant = await saveGrant(p.ctx, { sub: user.sub, clientId: client.client_id, scope, authTime: nowSeconds() });
      return (await issueAccessToken(p.ctx, { client, grant, scope, ttl: 600 })).token;
    },
    /**
     * Stores `count` pending poll-mode CIBA requests of `clientId` for the given users (round
     * robin) with the provider's own save function, and returns their auth_req_ids: the pool a
     * poll benchmark cycles through. Nothing is delegated (the poll never reaches the entity).
     */
    pendingPool: async ({
      count,
      clientId,
      subs,
      expiresIn,
      interval,
    }: {
      count: number;
      clientId: string;
      subs: string[];
      expiresIn: number;
      interval: number;
    }) => {
      const ids: string[] = [];
      const writes: Promise<unknown>[] = [];
      const now = nowSeconds();
      for (let i = 0; i < count; i++) {
        const id = randomId(32);
        const request: CibaRequest = {
          clientId,
          sub: subs[i % subs.length]!,
          scope: 'openid profile',
          mode: 'poll',
          status: 'pending',
          jti: randomId(16),
          createdAt: now,
          expiresAt: now + expiresIn,
          interval,
          consentRequired: true,
        };
        writes.push(p.ctx.models.cibaRequests.put(id, request, { expiresIn: recordTtl(request.expiresAt) }));
        ids.push(id);
      }
      await Promise.all(writes);
      return ids;
    },
    /**
     * `count` authorization codes of `clientId` (scope `scope`, PKCE S256, the users in turn),
     * each from its own login, stored by the authorization endpoint's own issuance function.
     */
    mintCodes: async ({
      count,
      clientId,
      redirectUri,
      scope,
      usernames,
    }: {
      count: number;
      clientId: string;
      redirectUri: string;
      scope: string;
      usernames: string[];
    }) => {
      const client = await p.ctx.models.clients.find(clientId);
      if (!client) throw new Error(`no client ${clientId}`);
      const subs = await userSubs(usernames);
      const now = nowSeconds();
      return Promise.all(
        Array.from({ length: count }, async (_, i) => {
          const verifier = randomBytes(32).toString('base64url');
          const out = await issueAuthorizationResponse(
            p.ctx,
            client,
            {
              clientId,
              redirectUri,
              responseType: 'code',
              responseMode: 'query',
              scope,
              codeChallenge: createHash('sha256').update(verifier).digest('base64url'),
              codeChallengeMethod: 'S256',
              prompt: [],
            },
            { sid: randomId(16), session: { sub: subs[i % subs.length]!, authTime: now, amr: ['pwd'], acr: '1', clients: [clientId] } },
          );
          return { code: out.code!, verifier };
        }),
      );
    },
    /** `count` refresh tokens of `clientId` (scope `scope`, the users in turn), each from its own grant, as a code exchange leaves them. */
    mintRefreshTokens: async ({ count, clientId, scope, usernames }: { count: number; clientId: string; scope: string; usernames: string[] }) => {
      const client: Client | undefined = await p.ctx.models.clients.find(clientId);
      if (!client) throw new Error(`no client ${clientId}`);
      const subs = await userSubs(usernames);
      const now = nowSeconds();
      return Promise.all(
        Array.from({ length: count }, async (_, i) => {
          const grant = await saveGrant(p.ctx, { sub: subs[i % subs.length]!, clientId, scope, authTime: now, amr: ['pwd'], acr: '1' });
          return issueRefreshToken(p.ctx, grant);
        }),
      );
    },
    /**
     * Deletes every grant, code and refresh token of `clientId`, so that the rows after one that
     * minted tens of thousands of them start from the store they would have found. Returns how many.
     */
    purgeClient: async ({ clientId }: { clientId: string }) => {
      const { grants, codes, refreshTokens } = p.ctx.models;
      const ids = async (c: { list(): Promise<Array<{ id: string; value: { clientId: string } }>> }) =>
        (await c.list()).filter((r) => r.value.clientId === clientId).map((r) => r.id);
      const [g, c, r] = [await ids(grants), await ids(codes), await ids(refreshTokens)];
      await Promise.all([...g.map((id) => grants.delete(id)), ...c.map((id) => codes.delete(id)), ...r.map((id) => refreshTokens.delete(id))]);
      return g.length + c.length + r.length;
    },
    /** Deletes the given CIBA requests (a poll pool once its row is done). */
    destroyCibaRequests: async ({ ids }: { ids: string[] }) => {
      await Promise.all(ids.map((id) => p.ctx.models.cibaRequests.delete(id)));
      return ids.length;
    },
    /** Registers (or replaces) a client from RFC 7591 metadata. */
    upsertClient: (metadata: Record<string, unknown>) => upsertClient(p.ctx, metadata),
    close: async () => {
      if (closed) return;
      closed = true;
      await p.close();
      rmSync(dataDir, { recursive: true, force: true });
    },
  });
} catch (e) {
  rmSync(dataDir, { recursive: true, force: true });
  failToParent(e);
}
