/**
 * Runs `nod` commands as child processes, the way a person runs them, and plays the user's part:
 * the device app's sign-in and enrollment (a simulated device with a WebCrypto key, as in the
 * entity's tests) and the provider's pages in a cookie-jar browser.
 */
import { freePort as freeLoopbackPort } from '../../shared/http/free_port.ts';
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import * as oidc from 'openid-client';
import { authorize, providerBrowser } from '../helpers/sign-in.ts';
import { SimDevice } from '../entity/helpers.ts';
import { DEVICE_APP_CLIENT_ID } from '../../shared/constants.ts';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));

/** A free TCP port on loopback. */
export const freePort = (): Promise<number> => freeLoopbackPort('127.0.0.1');

export interface Exit {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** Every `nod` child still running: killed when the test process exits, however it exits. */
const running = new Set<ChildProcess>();
process.once('exit', () => {
  for (const child of running) child.kill('SIGKILL');
});

/** One running `nod` command with its output so far. */
export class NodProcess {
  stdout = '';
  stderr = '';
  readonly exited: Promise<Exit>;
  private readonly child: ChildProcess;
  private readonly waiters = new Set<() => void>();

  constructor(args: string[], env: NodeJS.ProcessEnv) {
    this.child = spawn(process.execPath, ['--import', 'tsx', 'bin/nod.ts', ...args], {
      cwd: ROOT,
      env: { ...process.env, NOD_LOG_LEVEL: 'warn', NOD_APP_BUILD: '0', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    running.add(this.child);
    this.child.once('exit', () => running.delete(this.child));
    this.child.stdout!.on('data', (d: Buffer) => this.append('stdout', d));
    this.child.stderr!.on('data', (d: Buffer) => this.append('stderr', d));
    this.exited = new Promise((resolve) =>
      this.child.once('close', (code, signal) => {
        this.wake();
        resolve({ code, signal, stdout: this.stdout, stderr: this.stderr });
      }),
    );
  }

  private append(which: 'stdout' | 'stderr', d: Buffer): void {
    this[which] += d.toString('utf8');
    this.wake();
  }

  private wake(): void {
    for (const w of this.waiters) w();
  }

  /** Waits until stdout matches `pattern` (fails if the process ends first or after `timeoutMs`). */
  async waitFor(pattern: RegExp, timeoutMs = 20_000): Promise<RegExpMatchArray> {
    const deadline = Date.now() + timeoutMs;
    let ended = false;
    void this.exited.then(() => (ended = true));
    for (;;) {
      const m = this.stdout.match(pattern);
      if (m) return m;
      if (ended || Date.now() > deadline) {
        throw new Error(`${ended ? 'exited' : 'timed out'} before ${pattern}\nstdout: ${this.stdout}\nstderr: ${this.stderr}`);
      }
      await new Promise<void>((resolve) => {
        const done = () => {
          clearTimeout(t);
          this.waiters.delete(done);
          resolve();
        };
        const t = setTimeout(done, 200);
        this.waiters.add(done);
      });
    }
  }

  kill(signal: NodeJS.Signals = 'SIGTERM'): void {
    this.child.kill(signal);
  }
}

/** Runs a `nod` command to its end. */
export function runNod(args: string[], env: NodeJS.ProcessEnv = {}): Promise<Exit> {
  return new NodProcess(args, env).exited;
}

export interface System {
  readonly process: NodProcess;
  readonly issuer: string;
  readonly serverUrl: string;
  /** SIGTERM, and the exit. */
  stop(): Promise<Exit>;
}

/** Free loopback ports for `nod start`'s two parts, their URLs, and the NOD_ variables that put them there. */
export async function loopbackSystem(dataDir: string): Promise<{ issuer: string; serverUrl: string; env: NodeJS.ProcessEnv }> {
  const [providerPort, serverPort] = [await freePort(), await freePort()];
  const issuer = `http://127.0.0.1:${providerPort}`;
  const serverUrl = `http://127.0.0.1:${serverPort}`;
  const env = {
    NOD_DATA_DIR: dataDir,
    NOD_PROVIDER_PORT: String(providerPort),
    NOD_SERVER_PORT: String(serverPort),
    NOD_PROVIDER_HOST: '127.0.0.1',
    NOD_SERVER_HOST: '127.0.0.1',
    NOD_ISSUER: issuer,
    NOD_SERVER_URL: serverUrl,
  };
  return { issuer, serverUrl, env };
}

/** `nod start` on free loopback ports in `dataDir`; resolves once the banner is out. */
export async function startNod(dataDir: string, env: NodeJS.ProcessEnv = {}): Promise<System> {
  const { issuer, serverUrl, env: system } = await loopbackSystem(dataDir);
  const p = new NodProcess(['start'], { ...system, ...env });
  try {
    // A deadline, not a sleep: on a loaded machine tsx's first compile of everything takes a while.
    await p.waitFor(/Stop: Ctrl-C/, 60_000);
  } catch (e) {
    p.kill('SIGKILL');
    await p.exited;
    throw e;
  }
  return {
    process: p,
    issuer,
    serverUrl,
    async stop() {
      p.kill('SIGTERM');
      return p.exited;
    },
  };
}

/** What the device app's sign-in at the provider gave: the tokens, and the code it redeemed (for replay checks). */
export interface DeviceAppSignIn {
  readonly tokens: oidc.TokenEndpointResponse;
  readonly code: string;
  readonly redirectUri: string;
  readonly verifier: string;
}

/** The device app's sign-in: the user signs in at the provider and the app redeems the code (code + PKCE). */
export async function signInDeviceApp(issuer: string, serverUrl: string, username = 'alice', password = 'wonderland'): Promise<DeviceAppSignIn> {
  const config = await oidc.discovery(new URL(issuer), DEVICE_APP_CLIENT_ID, undefined, oidc.None(), { execute: [oidc.allowInsecureRequests] });
  const verifier = oidc.randomPKCECodeVerifier();
  const state = oidc.randomState();
  const redirectUri = `${serverUrl}/callback`;
  const url = oidc.buildAuthorizationUrl(config, {
    redirect_uri: redirectUri,
    scope: 'openid profile',
    code_challenge: await oidc.calculatePKCECodeChallenge(verifier),
    code_challenge_method: 'S256',
    state,
  });
  const page = await authorize(providerBrowser(issuer), url, { username, password });
  if (!page.location) throw new Error(`sign-in did not return to the app (status ${page.status}): ${page.body.slice(0, 300)}`);
  const code = new URL(page.location).searchParams.get('code') ?? '';
  const tokens = await oidc.authorizationCodeGrant(config, page.location, { pkceCodeVerifier: verifier, expectedState: state });
  return { tokens, code, redirectUri, verifier };
}

/** The device app's part: alice signs in at the provider (code + PKCE) and the device enrolls with the entity. */
export async function enrollDevice(issuer: string, serverUrl: string, username = 'alice', password = 'wonderland'): Promise<SimDevice> {
  const { tokens } = await signInDeviceApp(issuer, serverUrl, username, password);
  const device = await SimDevice.create(serverUrl);
  const res = await device.enroll(tokens.access_token, `${username}'s test phone`);
  if (res.status !== 201) throw new Error(`enrollment failed: ${res.status} ${await res.text()}`);
  return device;
}
