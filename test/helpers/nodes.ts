/**
 * Nodes of the provider or the entity as child processes (`nod provider` / `nod server`, as an
 * operator runs them), for tests that kill one with SIGKILL. Each is ready once its /readyz says
 * 200; a child that exits first fails the start with its output.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { setTimeout as sleep } from 'node:timers/promises';

const NOD = fileURLToPath(new URL('../../bin/nod.ts', import.meta.url));

export interface ChildNode {
  readonly url: string;
  readonly child: ChildProcess;
  /** stdout and stderr so far. */
  output(): string;
  /** SIGKILL: the node dies mid-way, holding whatever it held. */
  kill(): Promise<void>;
  /** SIGTERM and wait for the exit (SIGKILL after 15 s); nothing when it is gone already. */
  stop(): Promise<void>;
}

/** Starts `nod <part>` with `env` on top of this process's environment (NOD_LOG_LEVEL=warn unless given). */
/** The work lease (ms) of the nodes startNode starts, unless the caller sets NOD_WORK_LEASE_MS. */
export const CHILD_WORK_LEASE_MS = 3000;

export async function startNode(part: 'provider' | 'server', port: number, env: Record<string, string>): Promise<ChildNode> {
  const child = spawn(process.execPath, ['--import', 'tsx', NOD, part], {
    // A 3 s work lease (10 s in production): a node killed mid-work has its work taken over sooner.
    env: { ...process.env, NOD_LOG_LEVEL: 'warn', NOD_APP_BUILD: '0', NOD_LOG_FORMAT: 'json', NOD_WORK_LEASE_MS: String(CHILD_WORK_LEASE_MS), ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout!.on('data', (d) => (out += d));
  child.stderr!.on('data', (d) => (out += d));
  const exited = once(child, 'exit');
  const gone = () => child.exitCode !== null || child.signalCode !== null;
  const node: ChildNode = {
    url: `http://127.0.0.1:${port}`,
    child,
    output: () => out,
    async kill() {
      if (gone()) return;
      child.kill('SIGKILL');
      await exited;
    },
    async stop() {
      if (gone()) return;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
      await exited;
      clearTimeout(timer);
    },
  };
  const deadline = Date.now() + 60_000;
  for (;;) {
    if (gone()) throw new Error(`nod ${part} on port ${port} exited (${child.exitCode ?? child.signalCode}) before it was ready:\n${out}`);
    const ready = await fetch(`${node.url}/readyz`, { signal: AbortSignal.timeout(2000) }).then(
      (r) => r.status === 200,
      () => false,
    );
    if (ready) return node;
    if (Date.now() > deadline) {
      await node.kill();
      throw new Error(`nod ${part} on port ${port} was not ready within 60 s:\n${out}`);
    }
    await sleep(100);
  }
}
