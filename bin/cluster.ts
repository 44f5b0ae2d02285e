/**
 * `nod start --workers N`: N worker processes, each running the provider and the entity (what
 * `nod start` runs in one), listening on the same two ports through node:cluster (the primary
 * accepts the connections and hands them to the workers in turn), so one machine's cores are
 * used. The workers share everything through the store, so it must be Redis (NOD_STORE): the
 * embedded lowdb store belongs to one process.
 *
 * The primary starts one worker first (it creates the keys and, in demo mode, seeds the demo
 * users and clients), then the others; starts a new worker when one dies; and on SIGTERM or
 * Ctrl-C stops every worker gracefully (each finishes its requests and hands its work back) before
 * it exits.
 */
import { portOrFree } from '../shared/http/free_port.ts';
import cluster, { type Worker } from 'node:cluster';
import { banner } from './banner.ts';
import { createLogger } from '../shared/log.ts';
import { envInt } from '../shared/env.ts';
import { loadStoreConfig } from '../shared/store/open.ts';
import { DEFAULT_PROVIDER_PORT, DEFAULT_SERVER_PORT } from '../shared/constants.ts';
import { stopOnSignals } from './signals.ts';

/** What a worker tells the primary once both of its parts serve. */
interface Ready {
  readonly type: 'nod.ready';
  readonly issuer: string;
  readonly entityUrl: string;
  readonly dataDir: string;
  readonly demo: boolean;
}

/** A worker that dies sooner than this after its start is restarted after RESTART_DELAY_MS, not at once (no crash loop at full speed), ms. */
const QUICK_DEATH_MS = 10_000;
const RESTART_DELAY_MS = 1_000;
/** How long the primary waits for workers to stop on SIGTERM before it kills them, ms (a worker drains for up to 15 s). */
const STOP_TIMEOUT_MS = 30_000;

/** Why `--workers` cannot run with this configuration, or undefined. */
export function workersRefusal(workers: number, env: NodeJS.ProcessEnv = process.env): string | undefined {
  if (!Number.isInteger(workers) || workers < 1 || workers > 256) return '--workers takes a whole number from 1 to 256';
  if (loadStoreConfig(env).url === 'lowdb')
    return '--workers needs a store every worker shares: set NOD_STORE=redis://host:port (the embedded lowdb store belongs to one process; see "Running more than one node" in README.md)';
  return undefined;
}

/** The primary: forks and watches the workers; resolves once the first one serves (the banner is printed). */
export async function runPrimary(workers: number): Promise<void> {
  const log = createLogger('cluster');
  // Every worker must agree on the ports (and so on the URLs derived from them).
  process.env.NOD_PROVIDER_PORT = String(await portOrFree(envInt('NOD_PROVIDER_PORT', DEFAULT_PROVIDER_PORT)));
  process.env.NOD_SERVER_PORT = String(await portOrFree(envInt('NOD_SERVER_PORT', DEFAULT_SERVER_PORT)));
  let stopping = false;
  const started = new Map<Worker, number>();
  const leaving = new WeakSet<Worker>();

  const fork = (): Worker => {
    const worker = cluster.fork();
    started.set(worker, Date.now());
    worker.on('message', (m: { type?: string }) => m?.type === 'nod.stopping' && leaving.add(worker));
    log.info('cluster.worker_started', { worker: worker.id, pid: worker.process.pid });
    return worker;
  };
  const whenReady = (worker: Worker) =>
    new Promise<Ready>((resolve, reject) => {
      const onMessage = (m: Ready) => {
        if (m?.type !== 'nod.ready') return;
        worker.off('exit', onExit);
        resolve(m);
      };
      const onExit = (code: number | null) => reject(new Error(`the first worker exited (${code}) before it served; see its messages above`));
      worker.on('message', onMessage);
      worker.once('exit', onExit);
    });

  cluster.on('exit', (worker, code, signal) => {
    const lived = Date.now() - (started.get(worker) ?? 0);
    started.delete(worker);
    if (stopping || leaving.has(worker)) return;
    log.warn('cluster.worker_died', { worker: worker.id, pid: worker.process.pid, exitCode: code, signal, livedMs: lived });
    setTimeout(() => !stopping && fork(), lived < QUICK_DEATH_MS ? RESTART_DELAY_MS : 0);
  });

  stopOnSignals([
    {
      async close() {
        stopping = true;
        const alive = [...started.keys()].filter((w) => !w.isDead());
        const exited = Promise.all(alive.map((w) => new Promise<void>((resolve) => (w.isDead() ? resolve() : w.once('exit', () => resolve())))));
        for (const w of alive) w.process.kill('SIGTERM');
        const timer = setTimeout(() => {
          for (const w of alive) if (!w.isDead()) w.process.kill('SIGKILL');
        }, STOP_TIMEOUT_MS);
        await exited;
        clearTimeout(timer);
      },
    },
  ]);

  const first = await whenReady(fork());
  for (let i = 1; i < workers; i++) fork();
  const notes = [
    `${workers} worker${workers > 1 ? 's' : ''} (node:cluster) on ports ${process.env.NOD_PROVIDER_PORT} and ${process.env.NOD_SERVER_PORT}, sharing the store at NOD_STORE`,
  ];
  process.stdout.write(`${banner({ issuer: first.issuer, entityUrl: first.entityUrl, dataDir: first.dataDir, demo: first.demo, notes })}\n`);
}

/** A worker: the provider and the entity in this process, on the ports the primary fixed; stops on SIGTERM/SIGINT. */
export async function runWorker(): Promise<void> {
  const { startSystem } = await import('./system.ts');
  // Ctrl-C reaches every process of the terminal's group: the primary stops the workers (SIGTERM), in order.
  process.on('SIGINT', () => undefined);
  // Told first, so that the primary does not replace a worker a service manager is stopping.
  process.once('SIGTERM', () => process.connected && process.send?.({ type: 'nod.stopping' }));
  const system = await startSystem();
  stopOnSignals([system], { signals: ['SIGTERM'], repeatExits: false });
  const ready: Ready = {
    type: 'nod.ready',
    issuer: system.provider.issuer,
    entityUrl: system.server.url,
    dataDir: system.provider.ctx.config.dataDir,
    demo: system.provider.demo,
  };
  process.send?.(ready);
}
