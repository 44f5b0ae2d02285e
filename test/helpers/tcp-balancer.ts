/**
 * A TCP load balancer on loopback, as a deployment puts in front of its nodes: each connection goes
 * to the next backend in turn, skipping one that refuses (a dead node); bytes are piped both ways,
 * so HTTP keep-alive and WebSocket upgrades pass unchanged. No sticky sessions.
 */
import { connect, createServer, type Server, type Socket } from 'node:net';

export interface Balancer {
  readonly url: string;
  readonly port: number;
  close(): Promise<void>;
}

/** Listens on a free loopback port (or `port`) in front of `backends` (ports on 127.0.0.1). */
export async function startBalancer(backends: readonly number[], port = 0): Promise<Balancer> {
  let next = 0;
  const open = new Set<Socket>();
  const track = (s: Socket) => {
    open.add(s);
    s.once('close', () => open.delete(s));
  };
  const server: Server = createServer((client) => {
    track(client);
    client.on('error', () => undefined);
    client.pause();
    const tryBackend = (left: number) => {
      if (left === 0) return void client.destroy();
      const backend = backends[next++ % backends.length]!;
      const upstream = connect(backend, '127.0.0.1');
      let connected = false;
      upstream.on('error', () => {
        upstream.destroy();
        if (connected) client.destroy();
        else tryBackend(left - 1);
      });
      upstream.once('connect', () => {
        connected = true;
        track(upstream);
        upstream.once('close', () => client.destroy());
        client.once('close', () => upstream.destroy());
        client.pipe(upstream).pipe(client);
        client.resume();
      });
    };
    tryBackend(backends.length);
  });
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  const bound = (server.address() as { port: number }).port;
  return {
    url: `http://127.0.0.1:${bound}`,
    port: bound,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of open) s.destroy();
        server.close(() => resolve());
      }),
  };
}
