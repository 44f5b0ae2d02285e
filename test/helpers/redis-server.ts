/**
 * A real `redis-server` for tests: started from PATH on a free loopback port without
 * persistence, stopped (and restarted, for outage tests) by the test. Where redis-server is not
 * installed, `redisMissing` says so and how to install it, and Redis tests skip themselves.
 */
import { freePort } from '../../shared/http/free_port.ts';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { connect } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';

/** Why Redis tests cannot run here (a skip message), or undefined when redis-server is on PATH. */
export const redisMissing: string | undefined = (() => {
  const r = spawnSync('redis-server', ['--version'], { encoding: 'utf8' });
  return r.error || r.status !== 0 ? 'redis-server not found on PATH: install it with `apt-get install redis-server`' : undefined;
})();

/** Resolves once the server answers PING, or rejects after `ms`. */
async function waitForPong(port: number, ms: number): Promise<void> {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    const ok = await new Promise<boolean>((resolve) => {
      const socket = connect(port, '127.0.0.1');
      socket.setTimeout(500);
      socket.once('connect', () => socket.write('PING\r\n'));
      socket.once('data', (d) => {
        socket.destroy();
        resolve(d.toString().startsWith('+PONG'));
      });
      socket.once('error', () => resolve(false));
      socket.once('timeout', () => {
        socket.destroy();
        resolve(false);
      });
    });
    if (ok) return;
    await sleep(50);
  }
  throw new Error(`redis-server on port ${port} did not answer PING within ${ms} ms`);
}

export interface TestRedis {
  readonly port: number;
  /** `redis://127.0.0.1:<port>` */
  readonly url: string;
  /** Stops the server (SIGKILL after 3 s); the port stays reserved for start(). */
  stop(): Promise<void>;
  /** Starts it again on the same port (empty: no persistence). */
  start(): Promise<void>;
  /** Freezes the server (SIGSTOP): connections stay open but nothing answers. */
  pause(): void;
  /** Lets a paused server go on (SIGCONT). */
  resume(): void;
}

export interface StartRedisOptions {
  /** Keep data across stop/start in this directory (append-only file, fsync on every write); default none. */
  readonly persistDir?: string;
}

/** Starts a redis-server on a free port; call stop() in `after`/`finally`. */
export async function startRedis(options: StartRedisOptions = {}): Promise<TestRedis> {
  if (redisMissing) throw new Error(redisMissing);
  const port = await freePort('127.0.0.1');
  let child: ChildProcess | undefined;
  const persistence = options.persistDir
    ? ['--dir', options.persistDir, '--save', '', '--appendonly', 'yes', '--appendfsync', 'always']
    : ['--save', '', '--appendonly', 'no'];
  const start = async () => {
    child = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', ...persistence, '--protected-mode', 'yes'], {
      stdio: 'ignore',
    });
    const exited = new Promise<never>((_, reject) => child!.once('exit', (code) => reject(new Error(`redis-server exited with ${code}`))));
    exited.catch(() => undefined);
    try {
      await Promise.race([waitForPong(port, 10_000), exited]);
    } catch (e) {
      child.kill('SIGKILL');
      throw e;
    }
  };
  const stop = async () => {
    child?.kill('SIGCONT');
    const c = child;
    child = undefined;
    if (!c || c.exitCode !== null || c.signalCode !== null) return;
    const gone = new Promise<void>((resolve) => c.once('exit', () => resolve()));
    c.kill('SIGTERM');
    const timer = setTimeout(() => c.kill('SIGKILL'), 3000);
    await gone;
    clearTimeout(timer);
  };
  await start();
  return { port, url: `redis://127.0.0.1:${port}`, stop, start, pause: () => child?.kill('SIGSTOP'), resume: () => child?.kill('SIGCONT') };
}
