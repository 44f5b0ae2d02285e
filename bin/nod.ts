/**
 * `nod <command>`: the main job and each part alone.
 *   nod start      the whole system (provider, and the entity with the device app when present)
 *   nod provider   the provider alone
 * Configuration: NOD_ environment variables (see README). Ctrl-C / SIGTERM stop cleanly,
 * flushing pending writes.
 */
import { startProvider, type RunningProvider } from '../provider/app.ts';
import { demoBanner } from './banner.ts';

interface Stoppable {
  close(): Promise<void>;
}

function stopOnSignals(parts: Stoppable[]): void {
  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    process.stderr.write(`\n${signal}: stopping, flushing pending writes...\n`);
    for (const p of [...parts].reverse()) await p.close().catch((e: unknown) => process.stderr.write(`${String(e)}\n`));
    process.exit(0);
  };
  process.on('SIGINT', () => void stop('SIGINT'));
  process.on('SIGTERM', () => void stop('SIGTERM'));
}

async function provider(): Promise<RunningProvider> {
  return startProvider();
}

async function main(command: string | undefined): Promise<void> {
  switch (command) {
    case 'start':
    case 'provider': {
      const p = await provider();
      stopOnSignals([p]);
      if (p.demo) process.stdout.write(`${demoBanner({ issuer: p.issuer, dataDir: p.ctx.config.dataDir })}\n`);
      return;
    }
    default:
      process.stderr.write('usage: nod start | provider\n');
      process.exit(1);
  }
}

main(process.argv[2]).catch((e: unknown) => {
  process.stderr.write(`nod: ${(e as Error).message ?? String(e)}\n`);
  process.exit(1);
});
