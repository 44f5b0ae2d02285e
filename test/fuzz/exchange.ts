/**
 * One raw request over a node:net socket, and its answer: the status and headers of the final
 * response (interim 1xx responses other than 101 skipped) once the response is complete (its
 * Content-Length, its last chunk, or the close of the connection), or why there was none:
 * `timeout` (nothing complete within the case's time) or `closed` (the server closed or reset
 * the connection without a response).
 */
import { connect } from 'node:net';

export type Outcome =
  | { readonly kind: 'answer'; readonly status: number; readonly headers: Readonly<Record<string, string>>; readonly body: string; readonly ms: number }
  | { readonly kind: 'timeout' | 'closed'; readonly ms: number; readonly received: string };

interface Parsed {
  readonly status: number;
  readonly headers: Record<string, string>;
  /** Bytes up to the end of the response, or undefined while it is not complete yet (or ends at close). */
  readonly end?: number;
  readonly bodyStart: number;
}

/** The final response in `buf`, or undefined while its head has not arrived. */
function parse(buf: Buffer, head: boolean): Parsed | undefined {
  let at = 0;
  for (;;) {
    const stop = buf.indexOf('\r\n\r\n', at);
    if (stop < 0) return undefined;
    const lines = buf.subarray(at, stop).toString('latin1').split('\r\n');
    const status = Number(/^HTTP\/\d\.\d (\d{3})/.exec(lines[0] ?? '')?.[1] ?? 0);
    const headers: Record<string, string> = {};
    for (const line of lines.slice(1)) {
      const colon = line.indexOf(':');
      if (colon > 0) {
        const name = line.slice(0, colon).trim().toLowerCase();
        headers[name] = headers[name] === undefined ? line.slice(colon + 1).trim() : `${headers[name]}, ${line.slice(colon + 1).trim()}`;
      }
    }
    const bodyStart = stop + 4;
    if (status >= 100 && status < 200 && status !== 101) {
      at = bodyStart;
      continue;
    }
    if (head || status === 101 || status === 204 || status === 304) return { status, headers, bodyStart, end: bodyStart };
    const length = headers['content-length'];
    if (length !== undefined) {
      const end = bodyStart + Number(length);
      return { status, headers, bodyStart, ...(buf.length >= end ? { end } : {}) };
    }
    if (/chunked/i.test(headers['transfer-encoding'] ?? '')) {
      let p = bodyStart;
      for (;;) {
        const eol = buf.indexOf('\r\n', p);
        if (eol < 0) return { status, headers, bodyStart };
        const size = Number.parseInt(buf.subarray(p, eol).toString('latin1'), 16);
        if (size === 0) {
          const trailerEnd = buf.indexOf('\r\n\r\n', eol);
          return { status, headers, bodyStart, ...(trailerEnd >= 0 ? { end: trailerEnd + 4 } : {}) };
        }
        p = eol + 2 + size + 2;
        if (p > buf.length) return { status, headers, bodyStart };
      }
    }
    return { status, headers, bodyStart };
  }
}

/** Sends `bytes` to 127.0.0.1:`port` and waits up to `timeoutMs` for the complete answer. */
export function exchange(port: number, bytes: Buffer, timeoutMs: number, head: boolean): Promise<Outcome> {
  const started = Date.now();
  return new Promise((resolve) => {
    const socket = connect({ port, host: '127.0.0.1' });
    let buf = Buffer.alloc(0);
    let done = false;
    const finish = (o: Outcome) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      socket.destroy();
      resolve(o);
    };
    const answer = (p: Parsed, end: number) =>
      finish({
        kind: 'answer',
        status: p.status,
        headers: p.headers,
        body: buf.subarray(p.bodyStart, Math.min(end, p.bodyStart + 2048)).toString('utf8'),
        ms: Date.now() - started,
      });
    const timer = setTimeout(() => finish({ kind: 'timeout', ms: Date.now() - started, received: buf.subarray(0, 300).toString('latin1') }), timeoutMs);
    socket.on('data', (d: Buffer) => {
      buf = Buffer.concat([buf, d]);
      const p = parse(buf, head);
      if (p?.end !== undefined) answer(p, p.end);
    });
    const closed = () => {
      const p = parse(buf, head);
      // A response without a length ends at the close; one cut short is still an answer (its status was sent).
      if (p) answer(p, buf.length);
      else finish({ kind: 'closed', ms: Date.now() - started, received: buf.subarray(0, 300).toString('latin1') });
    };
    socket.on('end', closed);
    socket.on('close', closed);
    // EPIPE/ECONNRESET while we still write a body the server refused: what it answered counts.
    socket.on('error', () => undefined);
    socket.write(bytes);
  });
}
