/**
 * `npx tsx bench/floor.ts [trips] [warm-up trips]`: the floor of a CIBA round trip on this machine. The same
 * processes and hops as the round-trip row (client, provider, entity, device, each its own
 * process on loopback, keep-alive HTTP and one WebSocket), the same durable writes in series
 * (an O_DSYNC journal append where Nod waits for one) and the same ES256 signatures and
 * verifications (node:crypto), but nothing else: no routing, no validation, no store, no
 * logging. What Nod's trip takes above this is ours; this much is the machine's.
 *
 *   client   POST /bc            → provider: sign the delegation token, POST it to the entity
 *   entity   verify, append (E1), tell the device over the WebSocket, answer 201
 *   provider append (P1), answer the client
 *   device   sign the decision, POST it to the entity
 *   entity   verify, append (E2), answer the device, POST the callback (the same token)
 *   provider verify, append (P2), answer, POST the ping to the client
 *   client   answer the ping, POST /token
 *   provider append (P4) while it signs the ID token and the access token, answer
 *
 * `FLOOR_NO_SYNC=1` appends without O_DSYNC (what the fsyncs cost); `FLOOR_PROF=<dir>` writes a
 * `node --cpu-prof` profile of each process there.
 */
import { fork } from 'node:child_process';
import { generateKeyPairSync, sign, verify, type KeyObject } from 'node:crypto';
import { constants, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { open, type FileHandle } from 'node:fs/promises';
import { Agent, createServer, request, type IncomingMessage, type ServerResponse } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { WebSocket, WebSocketServer } from 'ws';

export type Role = 'provider' | 'entity' | 'device' | 'client';
const agent = new Agent({ keepAlive: true, maxSockets: 16 });
const b64 = (b: Buffer | string) => Buffer.from(b).toString('base64url');
const HEADER = b64(JSON.stringify({ alg: 'ES256', typ: 'JWT' }));

function signJwt(key: KeyObject, claims: object): string {
  const input = `${HEADER}.${b64(JSON.stringify(claims))}`;
  return `${input}.${b64(sign('sha256', Buffer.from(input), { key, dsaEncoding: 'ieee-p1363' }))}`;
}
function verifyJwt(key: KeyObject, jwt: string): object {
  const [h, p, s] = jwt.split('.');
  if (!verify('sha256', Buffer.from(`${h}.${p}`), { key, dsaEncoding: 'ieee-p1363' }, Buffer.from(s!, 'base64url'))) throw new Error('bad signature');
  return JSON.parse(Buffer.from(p!, 'base64url').toString());
}
function body(req: IncomingMessage): Promise<string> {
  return new Promise((resolve) => {
    let s = '';
    req.setEncoding('utf8');
    req.on('data', (c: string) => (s += c)).on('end', () => resolve(s));
  });
}
function post(url: string, payload: string, headers: Record<string, string> = {}): Promise<string> {
  return new Promise((resolve, reject) => {
    const req = request(
      url,
      { method: 'POST', agent, headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload), ...headers } },
      (res) => body(res).then(resolve, reject),
    );
    req.on('error', reject);
    req.end(payload);
  });
}
function json(res: ServerResponse, status: number, value: object): void {
  const text = JSON.stringify(value);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text), 'cache-control': 'no-store' });
  res.end(text);
}
async function journal(dir: string, name: string): Promise<(record: object) => Promise<void>> {
  const handle: FileHandle = await open(
    join(dir, name),
    constants.O_WRONLY | constants.O_APPEND | constants.O_CREAT | (process.env.FLOOR_NO_SYNC ? 0 : constants.O_DSYNC),
    0o600,
  );
  return async (record) => void (await handle.write(`${JSON.stringify(record)}\n`));
}
function listen(handler: (req: IncomingMessage, res: ServerResponse) => void): Promise<{ port: number; server: ReturnType<typeof createServer> }> {
  const server = createServer(handler);
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve({ port: (server.address() as { port: number }).port, server })));
}

/** The child side: runs one role, tells the parent its port, then waits for the parent's wiring. */
async function child(role: Role, dir: string): Promise<void> {
  const providerKey = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const wired = new Promise<Record<string, any>>((resolve) => process.once('message', resolve));
  process.on('disconnect', () => process.exit(0));
  process.on('SIGINT', () => process.exit(0));
  if (role === 'provider') {
    const append = await journal(dir, 'provider');
    let n = 0;
    const { port } = await listen(async (req, res) => {
      const text = await body(req);
      if (req.url === '/bc') {
        const id = `r${++n}`;
        const token = signJwt(providerKey.privateKey, { iss: 'p', aud: 'p', jti: id, exp: Date.now() / 1000 + 60 });
        await post(`${w.entity}/delegation`, JSON.stringify({ login_hint: 'u', binding_message: 'b', scope: 'openid' }), { authorization: `Bearer ${token}` });
        await append({ id, status: 'pending' });
        return json(res, 200, { auth_req_id: id, expires_in: 60, interval: 1 });
      }
      if (req.url === '/callback') {
        const claims = verifyJwt(providerKey.publicKey, req.headers.authorization!.slice(7)) as { jti: string };
        await append({ id: claims.jti, status: 'approved', ...JSON.parse(text) });
        json(res, 200, {});
        void post(`${w.client}/ping`, JSON.stringify({ auth_req_id: claims.jti }), { authorization: 'Bearer t' });
        return;
      }
      if (req.url === '/token') {
        const id = new URLSearchParams(text).get('auth_req_id')!;
        const written = append({ id, consumed: true });
        const idToken = signJwt(providerKey.privateKey, { iss: 'p', sub: 'u', aud: 'c', iat: 1, exp: 2 });
        const accessToken = signJwt(providerKey.privateKey, { iss: 'p', sub: 'u', aud: 'p', scope: 'openid', jti: id });
        await written;
        return json(res, 200, { access_token: accessToken, id_token: idToken, token_type: 'Bearer', expires_in: 300 });
      }
    });
    process.send!({ port, publicKey: providerKey.publicKey.export({ format: 'jwk' }) });
    const w = await wired;
    return;
  }
  if (role === 'entity') {
    const append = await journal(dir, 'entity');
    let socket: WebSocket | undefined;
    const tokens = new Map<string, string>();
    const { port, server } = await listen(async (req, res) => {
      const text = await body(req);
      if (req.url === '/delegation') {
        const token = req.headers.authorization!.slice(7);
        const claims = verifyJwt(w.providerKey, token) as { jti: string };
        tokens.set(claims.jti, token);
        await append({ id: claims.jti, token, ...JSON.parse(text) });
        socket!.send(JSON.stringify({ type: 'request', id: claims.jti, binding_message: 'b' }));
        return json(res, 201, { id: claims.jti });
      }
      if (req.url === '/decision') {
        const { signed } = JSON.parse(text) as { signed: string };
        const decision = verifyJwt(w.deviceKey, signed) as { request_id: string; decision: string };
        await append({ id: decision.request_id, status: 'approved' });
        json(res, 200, { id: decision.request_id, status: 'approved' });
        await post(`${w.provider}/callback`, JSON.stringify({ status: 'SUCCEED' }), { authorization: `Bearer ${tokens.get(decision.request_id)}` });
        tokens.delete(decision.request_id);
      }
    });
    const wss = new WebSocketServer({ server });
    wss.on('connection', (ws) => (socket = ws));
    process.send!({ port });
    const w = await wired;
    w.providerKey = (await import('node:crypto')).createPublicKey({ key: w.providerKey, format: 'jwk' });
    w.deviceKey = (await import('node:crypto')).createPublicKey({ key: w.deviceKey, format: 'jwk' });
    return;
  }
  if (role === 'device') {
    const deviceKey = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    process.send!({ publicKey: deviceKey.publicKey.export({ format: 'jwk' }) });
    const w = await wired;
    const ws = new WebSocket(w.entity.replace('http', 'ws'));
    ws.on('message', (data) => {
      const { id } = JSON.parse(String(data)) as { id: string };
      const signed = signJwt(deviceKey.privateKey, { request_id: id, device_id: 'd', decision: 'approve', iat: Math.floor(Date.now() / 1000) });
      void post(`${w.entity}/decision`, JSON.stringify({ signed }), { authorization: 'Bearer device' });
    });
    await new Promise((resolve) => ws.once('open', resolve));
    process.send!({ open: true });
    return;
  }
  // client: runs each batch the parent asks for, one trip after another, and answers its times.
  let pinged: ((id: string) => void) | undefined;
  const { port } = await listen(async (req, res) => {
    const text = await body(req);
    res.writeHead(204).end();
    pinged?.((JSON.parse(text) as { auth_req_id: string }).auth_req_id);
  });
  process.send!({ port });
  const w = await wired;
  process.on('message', async ({ trips }: { trips: number }) => {
    const times: number[] = [];
    for (let i = 0; i < trips; i++) {
      const t0 = performance.now();
      const ping = new Promise<string>((resolve) => (pinged = resolve));
      const started = JSON.parse(await post(`${w.provider}/bc`, 'scope=openid&login_hint=u', { 'content-type': 'application/x-www-form-urlencoded' })) as {
        auth_req_id: string;
      };
      const id = await ping;
      if (id !== started.auth_req_id) throw new Error('ping for another request');
      const tokens = JSON.parse(await post(`${w.provider}/token`, `grant_type=urn:openid:params:grant-type:ciba&auth_req_id=${id}`)) as { id_token?: string };
      if (!tokens.id_token) throw new Error('no tokens');
      times.push(performance.now() - t0);
    }
    process.send!({ times });
  });
  process.send!({ ready: true });
}

/** One batch of trips (and starting the four processes) must end within this, ms. */
const FLOOR_TIMEOUT_MS = 120_000;

function quantile(sorted: readonly number[], q: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;
}

/** A batch of sequential trips through the floor: latency, ms, and the CPU each process took. */
export interface FloorRun {
  readonly trips: number;
  readonly p50: number;
  readonly p99: number;
  readonly max: number;
  /** CPU per trip of each process (user + system, ms), over the batch. */
  readonly cpuPerTrip: Readonly<Record<Role, number>>;
}

export interface FloorResult extends FloorRun {
  /** Unmeasured trips before them. */
  readonly warmupTrips: number;
}

/** A batch with the latency of each of its trips, ms, in the order run. */
export interface FloorBatch extends FloorRun {
  readonly times: readonly number[];
}

/** The figures of trips taking `times` (ms, any order) and `cpuPerTrip`. */
function summarise(times: readonly number[], cpuPerTrip: Readonly<Record<Role, number>>): FloorRun {
  const sorted = [...times].sort((a, b) => a - b);
  const trips = sorted.length;
  return { trips, p50: trips ? quantile(sorted, 0.5) : 0, p99: trips ? quantile(sorted, 0.99) : 0, max: sorted.at(-1) ?? 0, cpuPerTrip };
}

/** One run's figures from several batches: the latencies pooled, the CPU per trip over all of them. */
export function poolBatches(batches: readonly FloorBatch[]): FloorRun {
  const times = batches.flatMap((b) => b.times);
  const roles = Object.keys(batches[0]?.cpuPerTrip ?? {}) as Role[];
  const cpuPerTrip = Object.fromEntries(
    roles.map((r) => [r, times.length ? batches.reduce((sum, b) => sum + b.cpuPerTrip[r] * b.trips, 0) / times.length : 0]),
  ) as Record<Role, number>;
  return summarise(times, cpuPerTrip);
}

/** The floor's four processes, alive between batches, so its runs can take turns with ours. */
export interface Floor {
  /** Runs `trips` trips one after another and measures them. */
  run(trips: number): Promise<FloorBatch>;
  /** Stops the four processes and removes their journals. Safe to call twice. */
  stop(): void;
}

/** user + system CPU time of a process so far, ms (Linux /proc; 0 elsewhere). */
function cpuMs(pid: number): number {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / 100;
  } catch {
    return 0;
  }
}

/** Races `p` against FLOOR_TIMEOUT_MS. */
async function limited<T>(p: Promise<T>, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const limit = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`the floor's ${what} did not end within ${FLOOR_TIMEOUT_MS / 1000} s`)), FLOOR_TIMEOUT_MS);
  });
  try {
    return await Promise.race([p, limit]);
  } finally {
    clearTimeout(timer);
  }
}

/** Starts the floor's four fresh processes on loopback and wires them together. */
export async function startFloor(): Promise<Floor> {
  const dir = mkdtempSync(join(tmpdir(), 'nod-floor-'));
  const self = fileURLToPath(import.meta.url);
  const roles: Role[] = ['provider', 'entity', 'device', 'client'];
  const profiling = process.env.FLOOR_PROF
    ? [
        '--cpu-prof',
        `--cpu-prof-dir=${process.env.FLOOR_PROF}`,
        ...(process.env.FLOOR_PROF_INTERVAL ? [`--cpu-prof-interval=${process.env.FLOOR_PROF_INTERVAL}`] : []),
      ]
    : [];
  const children = roles.map((role) =>
    fork(self, ['--role', role, dir], { execArgv: [...process.execArgv, ...profiling], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] }),
  );
  let stopped = false;
  const stop = () => {
    if (stopped) return;
    stopped = true;
    for (const c of children) c.kill(process.env.FLOOR_PROF ? 'SIGINT' : 'SIGTERM');
    rmSync(dir, { recursive: true, force: true });
  };
  const next = (i: number) =>
    new Promise<any>((resolve, reject) => {
      const onExit = (code: number | null) => reject(new Error(`the floor's ${roles[i]} exited (${code})`));
      children[i]!.once('exit', onExit);
      children[i]!.once('message', (m) => {
        children[i]!.off('exit', onExit);
        resolve(m);
      });
    });
  try {
    const [provider, entity, device, client] = await limited(Promise.all(children.map((_, i) => next(i))), 'start');
    const urls = { provider: `http://127.0.0.1:${provider.port}`, entity: `http://127.0.0.1:${entity.port}`, client: `http://127.0.0.1:${client.port}` };
    children[0]!.send(urls);
    children[1]!.send({ ...urls, providerKey: provider.publicKey, deviceKey: device.publicKey });
    const opened = next(2);
    children[2]!.send(urls);
    await limited(opened, 'device connection');
    const ready = next(3);
    children[3]!.send(urls);
    await limited(ready, 'client');
  } catch (e) {
    stop();
    throw e;
  }
  let queue: Promise<unknown> = Promise.resolve();
  const runOnce = async (trips: number): Promise<FloorBatch> => {
    if (stopped) throw new Error('the floor is stopped');
    const before = children.map((c) => cpuMs(c.pid!));
    const answered = next(3);
    children[3]!.send({ trips });
    const { times } = (await limited(answered, `${trips} trips`)) as { times: number[] };
    const cpuPerTrip = Object.fromEntries(roles.map((role, i) => [role, (cpuMs(children[i]!.pid!) - before[i]!) / trips])) as Record<Role, number>;
    return { ...summarise(times, cpuPerTrip), times };
  };
  return {
    // One batch at a time: the client process runs one loop.
    run: (trips) => {
      const result = queue.then(() => runOnce(trips));
      queue = result.catch(() => undefined);
      return result;
    },
    stop,
  };
}

/**
 * Runs `warm` unmeasured trips, then `trips` measured ones, one after another, through four
 * fresh processes, and returns their latency, ms, and the CPU they took.
 */
export async function measureFloor(trips: number, warm: number): Promise<FloorResult> {
  const floor = await startFloor();
  try {
    if (warm > 0) await floor.run(warm);
    const { times: _, ...run } = await floor.run(trips);
    return { ...run, warmupTrips: warm };
  } finally {
    floor.stop();
  }
}

const roleAt = process.argv.indexOf('--role');
if (roleAt > 0) {
  child(process.argv[roleAt + 1] as Role, process.argv[roleAt + 2]!).catch((e) => {
    console.error(e);
    process.exit(1);
  });
} else if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const trips = Number(process.argv[2] ?? 1000);
  const r = await measureFloor(trips, Number(process.argv[3] ?? 2 * trips));
  const cpu = Object.entries(r.cpuPerTrip)
    .map(([role, ms]) => `${role} ${ms.toFixed(2)}`)
    .join(', ');
  console.log(
    `floor: ${r.trips} sequential trips (after ${r.warmupTrips} unmeasured): p50 ${r.p50.toFixed(2)} ms, p99 ${r.p99.toFixed(2)} ms, max ${r.max.toFixed(2)} ms; CPU per trip (ms): ${cpu}`,
  );
}
