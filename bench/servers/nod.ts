/**
 * Child process: our provider (demo mode, fresh data directory in the system temp folder),
 * persisting to its lowdb file with group commit as it does in production.
 */
import { mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import { startProvider } from '../../provider/app.ts';
import { upsertClient } from '../../provider/demo.ts';
import { hashPassword, type User } from '../../provider/models/user.ts';
import { failToParent, serveParent } from '../lib/child.ts';

export interface NodArgs {
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

try {
  const p = await startProvider({
    port: 0,
    host: '127.0.0.1',
    dataDir,
    demo: true,
    ...(args.authChannelUrl ? { authChannelUrl: args.authChannelUrl } : {}),
    ...(args.cibaInterval !== undefined ? { ciba: { expiresIn: 120, maxExpiresIn: 600, interval: args.cibaInterval } } : {}),
  });
  let closed = false;
  serveParent({ issuer: p.issuer, dataDir } satisfies NodInfo, {
    storeStats: () => p.ctx.store.stats(),
    /** Sizes of the files in the data directory. */
    files: () => Object.fromEntries(readdirSync(dataDir).map((f) => [f, statSync(join(dataDir, f)).size])),
    sweep: async () => {
      const removed = p.ctx.store.sweep();
      await p.ctx.store.flush();
      return removed;
    },
    flush: () => p.ctx.store.flush(),
    /**
     * Creates `count` users bench-<i> (one password hash shared by all: the bench never signs
     * them in with a password, and scrypt per user would take minutes). Returns their usernames and subs.
     */
    seedUsers: async ({ count, prefix = 'bench' }: { count: number; prefix?: string }) => {
      const passwordHash = await hashPassword('bench-password');
      const out: Array<{ username: string; sub: string }> = [];
      const writes: Promise<void>[] = [];
      for (let i = 0; i < count; i++) {
        const username = `${prefix}-${i}`;
        const existing = await p.ctx.models.users.findBy('username', username);
        if (existing.length) { out.push({ username, sub: existing[0]!.sub }); continue; }
        const user: User = { sub: randomUUID(), username, password_hash: passwordHash, name: `Bench User ${i}`, updated_at: Math.floor(Date.now() / 1000) };
        writes.push(p.ctx.models.users.upsert(user.sub, user));
        out.push({ username, sub: user.sub });
      }
      await Promise.all(writes);
      return out;
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
