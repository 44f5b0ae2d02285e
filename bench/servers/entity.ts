/**
 * Child process: our authentication entity (server/), persisting to its own lowdb file, with
 * the provider of this run as its trusted issuer (and oidc-provider, whose CIBA hook delegates to it too).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startServer } from '../../server/app.ts';
import { defaults } from '../../server/defaults.ts';
import { failToParent, serveParent } from '../lib/child.ts';
import { storeProbes } from '../lib/store_probes.ts';

export interface EntityArgs {
  readonly port: number;
  /** Our provider: trusted, and where devices enroll. */
  readonly issuer: string;
  /** Other issuers whose delegations it accepts (oidc-provider's, in the fair CIBA row). */
  readonly alsoTrusted?: readonly string[];
  /** Seconds requests are remembered past expiry (defaults.settledRetention, 600 in production), short so the sweep shows in one run. */
  readonly settledRetention?: number;
  /** Directory of the built device app to serve. */
  readonly appDir?: string;
}

export interface EntityInfo {
  readonly url: string;
  readonly delegationUrl: string;
  readonly dataDir: string;
}

const args = JSON.parse(process.argv[2] ?? '{}') as EntityArgs;
const dataDir = mkdtempSync(join(tmpdir(), 'nod-bench-entity-'));
if (args.settledRetention !== undefined) (defaults as { settledRetention: number }).settledRetention = args.settledRetention;

try {
  const url = `http://127.0.0.1:${args.port}`;
  const s = await startServer({
    port: args.port,
    host: '127.0.0.1',
    url,
    dataDir,
    trustedIssuers: [args.issuer, ...(args.alsoTrusted ?? [])],
    enrollIssuer: args.issuer,
    ...(args.appDir ? { appDir: args.appDir } : {}),
  });
  let closed = false;
  serveParent({ url: s.url, delegationUrl: s.delegationUrl, dataDir } satisfies EntityInfo, {
    ...storeProbes(s.ctx.store, dataDir),
    connections: () => s.hub.size,
    close: async () => {
      if (closed) return;
      closed = true;
      await s.close();
      rmSync(dataDir, { recursive: true, force: true });
    },
  });
} catch (e) {
  rmSync(dataDir, { recursive: true, force: true });
  failToParent(e);
}
