/**
 * `nod <command>`: the whole system, each part alone, and the scenario clients.
 * Configuration: NOD_ environment variables (see README). Ctrl-C / SIGTERM stop cleanly,
 * flushing pending writes.
 */
import { parseArgs } from 'node:util';
import { banner } from './banner.ts';
import { ensureAppBuilt } from './app-build.ts';
import { stopOnSignals } from './signals.ts';

const USAGE = `Usage: nod <command> [options]

  start         the provider (:3000) and the entity with the device app (:3001), in one process
                --workers N: in N worker processes on the same ports (needs NOD_STORE=redis://...)
  provider      the provider alone
  server        the authentication entity (and the device app) alone
  ciba          phone approval: CIBA poll client          (npm run ciba -- --help)
  tv            smart TV: device authorization client     (npm run tv -- --help)
  call-center   agent console: CIBA ping client           (npm run call-center -- --help)

Configuration is by NOD_ environment variables; see README.md.`;

/** Logs read as lines on a terminal unless NOD_LOG_FORMAT says otherwise. */
function preferPrettyLogs(): void {
  if (process.stdout.isTTY && !process.env.NOD_LOG_FORMAT) process.env.NOD_LOG_FORMAT = 'pretty';
}

async function start(argv: string[]): Promise<void> {
  preferPrettyLogs();
  const cluster = (await import('node:cluster')).default;
  const { runPrimary, runWorker, workersRefusal } = await import('./cluster.ts');
  if (cluster.isWorker) return runWorker();
  const { values } = parseArgs({ args: argv, strict: true, options: { workers: { type: 'string' } } });
  if (values.workers !== undefined) {
    const workers = Number(values.workers);
    const refusal = workersRefusal(workers);
    if (refusal) {
      process.stderr.write(`nod start: ${refusal}\n`);
      process.exitCode = 2;
      return;
    }
    await ensureAppBuilt();
    return runPrimary(workers);
  }
  await ensureAppBuilt();
  const { startSystem } = await import('./system.ts');
  const system = await startSystem();
  stopOnSignals([system]);
  const { provider, server } = system;
  process.stdout.write(`${banner({ issuer: provider.issuer, entityUrl: server.url, dataDir: provider.ctx.config.dataDir, demo: provider.demo })}\n`);
}

async function provider(): Promise<void> {
  preferPrettyLogs();
  const { startProvider } = await import('../provider/app.ts');
  const p = await startProvider();
  stopOnSignals([p]);
  process.stdout.write(`${banner({ issuer: p.issuer, dataDir: p.ctx.config.dataDir, demo: p.demo })}\n`);
}

async function server(): Promise<void> {
  preferPrettyLogs();
  await ensureAppBuilt();
  const { startServer } = await import('../server/app.ts');
  const s = await startServer();
  stopOnSignals([s]);
  const notes = [`Trusted issuers: ${s.ctx.config.trustedIssuers.join(', ')}; delegation URL: ${s.delegationUrl}`];
  process.stdout.write(`${banner({ entityUrl: s.url, dataDir: s.ctx.config.dataDir, demo: false, notes })}\n`);
}

/** A scenario client: its module exports one function named like the command. */
async function client(name: 'ciba' | 'tv' | 'call-center', argv: string[]): Promise<void> {
  const { runCommand } = await import('./cli/errors.ts');
  const load = {
    ciba: async () => (await import('./cli/ciba.ts')).ciba,
    tv: async () => (await import('./cli/tv.ts')).tv,
    'call-center': async () => (await import('./cli/call-center.ts')).callCenter,
  }[name];
  const run = await load();
  await runCommand(() => run(argv));
}

async function main([command, ...argv]: string[]): Promise<void> {
  switch (command) {
    case 'start':
      return start(argv);
    case 'provider':
      return provider();
    case 'server':
      return server();
    case 'ciba':
    case 'tv':
    case 'call-center':
      return client(command, argv);
    case 'help':
    case '--help':
    case '-h':
      process.stdout.write(`${USAGE}\n`);
      return;
    default:
      process.stderr.write(`${command ? `unknown command: ${command}\n\n` : ''}${USAGE}\n`);
      process.exitCode = 2;
  }
}

/** One line on why a part could not start. */
function startFailure(e: unknown): string {
  const err = e as NodeJS.ErrnoException & { port?: number };
  if (err.code === 'EADDRINUSE')
    return `port ${err.port ?? ''} is already in use (is Nod already running?); set NOD_PROVIDER_PORT / NOD_SERVER_PORT to use others`;
  return err.message ?? String(e);
}

main(process.argv.slice(2)).catch((e: unknown) => {
  process.stderr.write(`nod: ${startFailure(e)}\n`);
  process.exit(1);
});
