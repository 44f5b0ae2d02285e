/** Starts a real provider on a free loopback port with a fresh temporary data directory. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startProvider, type RunningProvider, type StartProviderOptions } from '../../provider/app.ts';
import { testStore } from './store.ts';

export interface TestProvider extends RunningProvider {
  readonly dataDir: string;
  /** Closes the provider and deletes its data directory. */
  stop(): Promise<void>;
}

/** A temporary data directory (removed by the caller or the returned cleanup). */
export function tempDir(prefix = 'nod-test-'): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

/** A provider in demo mode on 127.0.0.1:<free port>. */
export async function startTestProvider(options: StartProviderOptions = {}): Promise<TestProvider> {
  const dataDir = options.dataDir ?? tempDir();
  const p = await startProvider({ port: 0, host: '127.0.0.1', demo: true, ...testStore(dataDir), ...options, dataDir });
  return Object.assign(p, {
    dataDir,
    async stop() {
      await p.close();
      rmSync(dataDir, { recursive: true, force: true });
    },
  });
}
