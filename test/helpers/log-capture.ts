/** A real logger (shared/log.ts, pino) whose JSON lines a test can read back: which events were logged, with which fields. */
import { Writable } from 'node:stream';
import { createLogger, type Logger } from '../../shared/log.ts';

export interface CapturedLog {
  readonly log: Logger;
  /** Every line logged so far, parsed. */
  readonly lines: Array<Record<string, unknown>>;
  /** The lines of one event. */
  events(event: string): Array<Record<string, unknown>>;
}

/** Captures `component`'s lines at `level` and above. */
export function captureLog(component: string, level: 'debug' | 'info' | 'warn' = 'info'): CapturedLog {
  const lines: Array<Record<string, unknown>> = [];
  const sink = new Writable({
    write(chunk: Buffer, _enc, done) {
      for (const line of chunk.toString('utf8').split('\n')) if (line.trim()) lines.push(JSON.parse(line) as Record<string, unknown>);
      done();
    },
  });
  const log = createLogger(component, { NOD_LOG_LEVEL: level }, sink);
  return { log, lines, events: (event) => lines.filter((l) => l.event === event) };
}
