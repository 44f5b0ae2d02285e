/**
 * Free TCP ports, for parts that must know each other's URL before either listens. The port is
 * free when this resolves; another process may still take it before it is bound again.
 */
import { createServer } from 'node:net';

/** A port free right now on `host` (every interface when omitted): listen on 0, close, hand it over. */
export function freePort(host?: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer().once('error', reject);
    const done = () => {
      const { port } = probe.address() as { port: number };
      probe.close(() => resolve(port));
    };
    if (host === undefined) probe.listen(0, done);
    else probe.listen(0, host, done);
  });
}

/** `port`, or a free one (on every interface) when it is 0. */
export function portOrFree(port: number): Promise<number> {
  return port === 0 ? freePort() : Promise.resolve(port);
}
