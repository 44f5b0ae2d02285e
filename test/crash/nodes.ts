/**
 * The provider and the entity as two `nod` child processes on fixed loopback ports and one data
 * directory (or one Redis), each killable with SIGKILL and restartable on the same port and data:
 * what a machine or container that dies and comes back does.
 */
import { appendFileSync } from 'node:fs';
import { join } from 'node:path';
import { DELEGATION_PATH } from '../../shared/auth-channel.ts';
import { CIBA_GRANT_TYPE } from '../../shared/constants.ts';
import { loadStoreConfig, openStore } from '../../shared/store/open.ts';
import { openModels } from '../../provider/models/index.ts';
import { upsertClient } from '../../provider/demo.ts';
import { freePort, NodProcess } from '../cli/helpers.ts';

/** The CIBA poll client of the crash test: refresh tokens (offline_access), 1 s polls, no anti-fatigue limit. */
export const CRASH_CLIENT = { id: 'crash-bank', secret: 'crash-bank-secret' } as const;

/** One `nod provider` or `nod server`, restartable. */
export class Part {
  private current: NodProcess | undefined;
  /** Output of every run so far, oldest first. */
  readonly runs: NodProcess[] = [];

  constructor(
    readonly command: 'provider' | 'server',
    private readonly env: NodeJS.ProcessEnv,
  ) {}

  /** Starts it and waits for its banner. */
  async start(): Promise<NodProcess> {
    const p = new NodProcess([this.command], this.env);
    this.current = p;
    this.runs.push(p);
    await p.waitFor(/Stop: Ctrl-C/, 60_000);
    return p;
  }

  /** SIGKILL, and waits until the process is gone (reaped). */
  async kill(): Promise<void> {
    const p = this.current;
    this.current = undefined;
    if (!p) return;
    p.kill('SIGKILL');
    await p.exited;
  }
}

export interface CrashSystem {
  readonly issuer: string;
  readonly serverUrl: string;
  readonly provider: Part;
  readonly entity: Part;
  readonly dataDir: string;
}

/**
 * Registers the crash client in the provider's store (before the provider first starts, so the
 * lowdb lock is free) and describes the two parts; nothing runs yet. `storeEnv` is NOD_STORE and
 * NOD_STORE_PREFIX (empty for lowdb).
 */
export async function crashSystem(dataDir: string, storeEnv: NodeJS.ProcessEnv, workLeaseMs: number): Promise<CrashSystem> {
  const store = await openStore({ store: loadStoreConfig(storeEnv), dataDir, name: 'provider', sweepIntervalMs: 0 });
  try {
    await upsertClient(
      { models: openModels(store) },
      {
        client_id: CRASH_CLIENT.id,
        client_name: 'Crash test bank',
        client_secret: CRASH_CLIENT.secret,
        token_endpoint_auth_method: 'client_secret_basic',
        grant_types: [CIBA_GRANT_TYPE, 'refresh_token'],
        response_types: [],
        scope: 'openid profile offline_access',
        backchannel_token_delivery_mode: 'poll',
        ciba_interval: 1,
        ciba_fatigue_limit: 0,
      },
    );
  } finally {
    await store.close();
  }
  const [providerPort, serverPort] = [await freePort(), await freePort()];
  const issuer = `http://127.0.0.1:${providerPort}`;
  const serverUrl = `http://127.0.0.1:${serverPort}`;
  const common = {
    ...storeEnv,
    NOD_DATA_DIR: dataDir,
    NOD_LOG_FORMAT: 'json',
    NOD_LOG_LEVEL: 'warn',
    NOD_WORK_LEASE_MS: String(workLeaseMs),
    // lowdb: a new snapshot every 32 KB of journal, so the kills also land while snapshots are written (journal retired, snapshot half done).
    NOD_STORE_COMPACT_BYTES: String(32 * 1024),
  };
  const provider = new Part('provider', {
    ...common,
    NOD_PROVIDER_PORT: String(providerPort),
    NOD_PROVIDER_HOST: '127.0.0.1',
    NOD_ISSUER: issuer,
    NOD_AUTH_CHANNEL_URL: `${serverUrl}${DELEGATION_PATH}`,
    NOD_DEVICE_APP_URL: serverUrl,
    NOD_DEMO: '1',
  });
  const entity = new Part('server', {
    ...common,
    NOD_SERVER_PORT: String(serverPort),
    NOD_SERVER_HOST: '127.0.0.1',
    NOD_SERVER_URL: serverUrl,
    NOD_TRUSTED_ISSUERS: issuer,
  });
  return { issuer, serverUrl, provider, entity, dataDir };
}

/** What a crash mid-append leaves: half a journal line at the end of `<name>.journal`. */
export function tearJournal(dataDir: string, name: 'provider' | 'server'): void {
  appendFileSync(join(dataDir, `${name}.journal`), '{"c":"CibaRequest","i":"torn","r":{"p":{"status":"pe');
}

/** mulberry32: a small seeded generator, so a failing run can be replayed with its seed. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
