/**
 * One HTTP request on its own connection (as a load balancer's health probe makes it), with a
 * deadline: the answer, or why there was none. Never rejects, never outlives `timeoutMs`.
 */
import { request } from 'node:http';

export type ProbeResult =
  | {
      readonly kind: 'answer';
      readonly status: number;
      readonly headers: Record<string, string | string[] | undefined>;
      readonly body: string;
      readonly ms: number;
    }
  /** No HTTP answer: `code` is the socket error (ECONNREFUSED: nothing listens) or 'TIMEOUT'. */
  | { readonly kind: 'error'; readonly code: string; readonly ms: number };

export function probe(url: string, options: { readonly timeoutMs?: number; readonly method?: string; readonly body?: string } = {}): Promise<ProbeResult> {
  const started = performance.now();
  const ms = () => Math.round(performance.now() - started);
  return new Promise((resolve) => {
    let settled = false;
    const finish = (r: ProbeResult) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      req.destroy();
      resolve(r);
    };
    const req = request(url, { method: options.method ?? 'GET', agent: false, headers: options.body ? { 'content-type': 'application/json' } : {} }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => (body += d));
      res.on('end', () => finish({ kind: 'answer', status: res.statusCode ?? 0, headers: res.headers, body, ms: ms() }));
      res.on('error', (e: NodeJS.ErrnoException) => finish({ kind: 'error', code: e.code ?? e.message, ms: ms() }));
    });
    const timer = setTimeout(() => finish({ kind: 'error', code: 'TIMEOUT', ms: ms() }), options.timeoutMs ?? 2000);
    req.on('error', (e: NodeJS.ErrnoException) => finish({ kind: 'error', code: e.code ?? e.message, ms: ms() }));
    req.end(options.body);
  });
}
