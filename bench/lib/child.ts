/**
 * Every server under test and the load generator run in their own child process, so resident
 * memory and CPU time are per process. Parent and child talk over the IPC channel: the child
 * announces `ready` with what it serves, then answers `{id, method, args}` calls.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { profileStart, profileStop } from './profile.ts';

/** Resident memory and CPU time of one process. */
export interface Usage {
  readonly rssBytes: number;
  /** user + system CPU time in microseconds since the process started. */
  readonly cpuMicros: number;
}

export type Handlers = Record<string, (args: any) => unknown>;

interface Call {
  readonly id: number;
  readonly method: string;
  readonly args: unknown;
}

/** In the child: announces `info` and answers the parent's calls with `handlers` (plus `usage`, `profileStart`, `profileStop` and `exit`). */
export function serveParent(info: unknown, handlers: Handlers): void {
  const all: Handlers = {
    usage: (): Usage => {
      const c = process.cpuUsage();
      return { rssBytes: process.memoryUsage().rss, cpuMicros: c.user + c.system };
    },
    profileStart,
    profileStop,
    exit: async () => {
      await handlers.close?.(undefined);
      setImmediate(() => process.exit(0));
      return true;
    },
    ...handlers,
  };
  process.on('message', async (m: Call) => {
    try {
      const fn = all[m.method];
      if (!fn) throw new Error(`no method ${m.method}`);
      process.send!({ id: m.id, result: await fn(m.args) });
    } catch (e) {
      process.send!({ id: m.id, error: (e as Error).stack ?? String(e) });
    }
  });
  // The parent going away takes the child with it (no stray processes).
  process.on('disconnect', () => process.exit(0));
  process.send!({ ready: info });
}

/** In the child: reports a failure to start and exits. */
export function failToParent(e: unknown): never {
  process.send?.({ failed: (e as Error).stack ?? String(e) });
  process.exit(1);
}

export interface Child<I> {
  readonly info: I;
  readonly pid: number;
  call<R = unknown>(method: string, args?: unknown): Promise<R>;
  usage(): Promise<Usage>;
  /** Asks the child to close and exit; kills it after a grace period. */
  stop(): Promise<void>;
}

export interface SpawnOptions {
  /** Extra node flags (e.g. --cpu-prof). */
  readonly nodeFlags?: readonly string[];
  readonly env?: NodeJS.ProcessEnv;
  readonly readyTimeoutMs?: number;
  /** A call with no answer within this many ms fails (the run stops instead of hanging). Default 10 minutes: longer than any call of a full run. */
  readonly callTimeoutMs?: number;
  /** The bench directory to take the module from (another checkout's, for an A/B run; default this one). */
  readonly benchDir?: string;
}

/** See SpawnOptions.callTimeoutMs. */
const CALL_TIMEOUT_MS = 10 * 60_000;

/** Forks `bench/<module>` (TypeScript, through tsx) with `args` as JSON in argv[2]. */
export function spawnChild<I>(module: string, args: unknown, options: SpawnOptions = {}): Promise<Child<I>> {
  const file = options.benchDir ? join(options.benchDir, module) : fileURLToPath(new URL(`../${module}`, import.meta.url));
  const proc: ChildProcess = fork(file, [JSON.stringify(args ?? {})], {
    execArgv: ['--import', 'tsx', ...(options.nodeFlags ?? [])],
    env: { NOD_LOG_LEVEL: 'error', ...process.env, ...options.env },
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  let next = 1;
  const waiting = new Map<number, { resolve: (v: any) => void; reject: (e: Error) => void }>();
  let exited = false;
  const exitedP = new Promise<void>((resolve) =>
    proc.once('exit', () => {
      exited = true;
      resolve();
    }),
  );
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      proc.kill('SIGKILL');
      reject(new Error(`${module}: not ready in time`));
    }, options.readyTimeoutMs ?? 60_000);
    proc.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`${module} exited with ${code} before it was ready`));
      for (const w of waiting.values()) w.reject(new Error(`${module} exited with ${code}`));
    });
    proc.on('message', (m: { id?: number; result?: unknown; error?: string; ready?: I; failed?: string }) => {
      if (m.failed) {
        clearTimeout(timer);
        reject(new Error(`${module} failed to start: ${m.failed}`));
        return;
      }
      if (m.ready !== undefined) {
        clearTimeout(timer);
        const child: Child<I> = {
          info: m.ready,
          pid: proc.pid!,
          call(method, callArgs) {
            if (exited) return Promise.reject(new Error(`${module} has exited`));
            const id = next++;
            const ms = options.callTimeoutMs ?? CALL_TIMEOUT_MS;
            return new Promise((res, rej) => {
              const deadline = setTimeout(() => {
                waiting.delete(id);
                rej(new Error(`${module}: ${method} gave no answer within ${ms / 1000} s`));
              }, ms);
              const settle = (f: () => void) => {
                clearTimeout(deadline);
                f();
              };
              waiting.set(id, { resolve: (v) => settle(() => res(v)), reject: (e) => settle(() => rej(e)) });
              proc.send({ id, method, args: callArgs });
            });
          },
          usage() {
            return child.call<Usage>('usage');
          },
          async stop() {
            if (exited) return;
            child.call('exit').catch(() => undefined);
            const t = setTimeout(() => proc.kill('SIGKILL'), 10_000);
            await exitedP;
            clearTimeout(t);
          },
        };
        resolve(child);
        return;
      }
      if (m.id !== undefined) {
        const w = waiting.get(m.id);
        waiting.delete(m.id);
        if (m.error !== undefined) w?.reject(new Error(m.error));
        else w?.resolve(m.result);
      }
    });
  });
}

/** The children a run started, and `track` to add each as it comes up (so the run stops them all in its `finally`). */
export function childTracker(): { readonly children: Child<unknown>[]; track<T extends Child<unknown>>(p: Promise<T>): Promise<T> } {
  const children: Child<unknown>[] = [];
  return {
    children,
    track: (p) =>
      p.then((c) => {
        children.push(c);
        return c;
      }),
  };
}
