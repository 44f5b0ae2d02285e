/**
 * Whole deployments for the nodes row, started as an operator starts them: `nod start` (lowdb, one
 * process) or `nod start --workers N` on a redis-server of its own. Before a deployment starts,
 * its store is prepared in this process with the provider's own code: demo clients, bench users,
 * the bench's ping client and the devices' access tokens (signed with the keys the deployment
 * will load), so that nothing but the deployment itself runs during the rounds.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { setTimeout as sleep } from 'node:timers/promises';
import { loadProviderConfig } from '../../provider/config.ts';
import { createContext, stopContext } from '../../provider/create_context.ts';
import { seedDemo, upsertClient } from '../../provider/demo.ts';
import { hashPassword, type User } from '../../provider/models/user.ts';
import { issueAccessToken, saveGrant } from '../../provider/tokens/issue.ts';
import { DEVICE_APP_CLIENT_ID } from '../../shared/constants.ts';
import { createLogger } from '../../shared/log.ts';
import { openStore, type StoreConfig } from '../../shared/store/open.ts';
import { nowSeconds } from '../../shared/time.ts';

const NOD = fileURLToPath(new URL('../../bin/nod.ts', import.meta.url));
const CIBA = 'urn:openid:params:grant-type:ciba';

/** Why no Redis deployment can run here, or undefined. */
export const redisMissing: string | undefined = (() => {
  const r = spawnSync('redis-server', ['--version'], { encoding: 'utf8' });
  return r.error || r.status !== 0 ? 'redis-server not found on PATH (apt-get install redis-server)' : undefined;
})();

/** A redis-server on `port` that fsyncs every write (appendfsync always), in a temporary directory. */
export async function startRedis(port: number): Promise<{ url: string; stop(): Promise<void> }> {
  const dir = mkdtempSync(join(tmpdir(), 'nod-bench-redis-'));
  const child = spawn(
    'redis-server',
    ['--port', String(port), '--bind', '127.0.0.1', '--dir', dir, '--save', '', '--appendonly', 'yes', '--appendfsync', 'always'],
    { stdio: 'ignore' },
  );
  const url = `redis://127.0.0.1:${port}`;
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) {
      const gone = new Promise((r) => child.once('exit', r));
      child.kill('SIGTERM');
      await gone;
    }
    rmSync(dir, { recursive: true, force: true });
  };
  for (let i = 0; ; i++) {
    const store = await openStore({ store: { url, prefix: 'probe:' }, dataDir: dir, name: 'probe' }).catch(() => undefined);
    if (store) {
      await store.close();
      return { url, stop };
    }
    if (i > 50 || child.exitCode !== null) {
      await stop();
      throw new Error('redis-server did not start');
    }
    await sleep(100);
  }
}

export interface Shape {
  /** Printed name, e.g. `Redis, 2 workers`. */
  readonly name: string;
  /** `lowdb`, or the Redis URL. */
  readonly store: string;
  /** Workers (undefined: `nod start` in one process). */
  readonly workers?: number;
}

export interface Prepared {
  readonly usernames: string[];
  readonly tokens: Array<{ username: string; token: string }>;
}

/** Everything one deployment needs: ports, data directory, store. */
export interface Plan {
  readonly shape: Shape;
  readonly providerPort: number;
  readonly serverPort: number;
  readonly notifyPort: number;
  readonly dataDir: string;
  readonly prefix: string;
}

export const issuerOf = (plan: Plan) => `http://127.0.0.1:${plan.providerPort}`;
export const entityOf = (plan: Plan) => `http://127.0.0.1:${plan.serverPort}`;

function storeOf(plan: Plan): StoreConfig {
  return { url: plan.shape.store, prefix: plan.prefix };
}

/** Prepares the deployment's store: demo clients, `users` bench users, the ping client and the devices' tokens. */
export async function prepare(plan: Plan, users: number, clientId: string, secret: string): Promise<Prepared> {
  const config = loadProviderConfig({
    issuer: issuerOf(plan),
    port: plan.providerPort,
    dataDir: plan.dataDir,
    store: storeOf(plan),
    deviceAppUrl: entityOf(plan),
    demo: true,
  });
  const store = await openStore({ store: config.store, dataDir: plan.dataDir, name: 'provider', sweepIntervalMs: 0 });
  try {
    const ctx = await createContext(config, store, createLogger('bench-prepare', { NOD_LOG_LEVEL: 'error' }));
    try {
      await seedDemo(ctx);
      await upsertClient(ctx, {
        client_id: clientId,
        client_name: 'Bench Ping Client',
        client_secret: secret,
        token_endpoint_auth_method: 'client_secret_basic',
        grant_types: [CIBA],
        response_types: [],
        scope: 'openid profile',
        backchannel_token_delivery_mode: 'ping',
        backchannel_client_notification_endpoint: `http://127.0.0.1:${plan.notifyPort}/ciba/notify`,
      });
      const app = await ctx.models.clients.find(DEVICE_APP_CLIENT_ID);
      if (!app) throw new Error('no device app client after the demo seed');
      const passwordHash = await hashPassword('bench-password');
      const tokens: Prepared['tokens'] = [];
      for (let i = 0; i < users; i++) {
        const username = `bench-node-${i}`;
        const user: User = { sub: randomUUID(), username, password_hash: passwordHash, name: `Bench User ${i}`, updated_at: nowSeconds() };
        await ctx.models.users.put(user.sub, user);
        const grant = await saveGrant(ctx, { sub: user.sub, clientId: app.client_id, scope: 'openid profile', authTime: nowSeconds() });
        tokens.push({ username, token: (await issueAccessToken(ctx, { client: app, grant, scope: 'openid profile', ttl: 3600 })).token });
      }
      return { usernames: tokens.map((t) => t.username), tokens };
    } finally {
      await stopContext(ctx);
    }
  } finally {
    await store.close();
  }
}

export interface Deployment {
  readonly pid: number;
  stop(): Promise<void>;
}

/** Starts `nod start [--workers N]` for the plan and resolves once every worker serves. */
export async function startDeployment(plan: Plan): Promise<Deployment> {
  const { shape } = plan;
  const child: ChildProcess = spawn(process.execPath, ['--import', 'tsx', NOD, 'start', ...(shape.workers ? ['--workers', String(shape.workers)] : [])], {
    env: {
      ...process.env,
      NOD_STORE: shape.store,
      NOD_STORE_PREFIX: plan.prefix,
      NOD_DATA_DIR: plan.dataDir,
      NOD_PROVIDER_PORT: String(plan.providerPort),
      NOD_SERVER_PORT: String(plan.serverPort),
      NOD_PROVIDER_HOST: '127.0.0.1',
      NOD_SERVER_HOST: '127.0.0.1',
      NOD_ISSUER: issuerOf(plan),
      NOD_SERVER_URL: entityOf(plan),
      NOD_CIBA_INTERVAL: '1',
      NOD_DEMO: '1',
      NOD_APP_BUILD: '0',
      NOD_LOG_LEVEL: 'info',
      NOD_LOG_FORMAT: 'json',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (out += d.toString()));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const deployment: Deployment = {
    pid: child.pid!,
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGTERM');
      const t = setTimeout(() => child.kill('SIGKILL'), 30_000);
      await exited;
      clearTimeout(t);
    },
  };
  const want = shape.workers ?? 1;
  const deadline = Date.now() + 120_000;
  // Each worker (or the one process) logs server.started once both of its parts serve.
  while ((out.match(/"event":"server\.started"/g)?.length ?? 0) < want) {
    if (child.exitCode !== null || Date.now() > deadline) {
      await deployment.stop();
      throw new Error(`${shape.name} did not start: ${out.split('\n').slice(-5).join(' | ')}`);
    }
    await sleep(100);
  }
  // The logs are not needed any more; keep the pipes drained.
  out = '';
  child.stdout!.removeAllListeners('data').resume();
  child.stderr!.removeAllListeners('data').resume();
  return deployment;
}

/** A fresh data directory for a plan (removed by the caller). */
export function dataDir(): string {
  return mkdtempSync(join(tmpdir(), 'nod-bench-nodes-'));
}
