/**
 * The fuzz target: a real provider (demo data) and a real entity (trusting it, serving the built
 * device app) on free loopback ports, in a child process of the fuzz runner, so a crash is a
 * process exit the runner sees (and survives). Logs go to stdout as JSON lines (the runner reads
 * the `error` ones); the first line is `{"fuzzTarget": {provider, entity}}` with the two ports.
 *
 *   node --import tsx test/fuzz/target.ts
 */
import { rmSync } from 'node:fs';
import { startProvider } from '../../provider/app.ts';
import { startServer } from '../../server/app.ts';
import { tempDir } from '../helpers/provider.ts';
import { testStore } from '../helpers/store.ts';

const providerDir = tempDir('nod-fuzz-provider-');
const entityDir = tempDir('nod-fuzz-entity-');
const provider = await startProvider({ port: 0, host: '127.0.0.1', demo: true, ...testStore(providerDir), dataDir: providerDir });
const entity = await startServer({ port: 0, host: '127.0.0.1', trustedIssuers: [provider.issuer], ...testStore(entityDir), dataDir: entityDir });
process.stdout.write(`${JSON.stringify({ fuzzTarget: { provider: provider.port, entity: entity.port } })}\n`);

let stopping = false;
async function stop(): Promise<void> {
  if (stopping) return;
  stopping = true;
  await Promise.allSettled([entity.close(), provider.close()]);
  rmSync(providerDir, { recursive: true, force: true });
  rmSync(entityDir, { recursive: true, force: true });
  process.exit(0);
}
process.on('SIGTERM', () => void stop());
process.on('SIGINT', () => void stop());
// The runner closes our stdin when it is done (and when it dies).
process.stdin.on('end', () => void stop());
process.stdin.resume();
