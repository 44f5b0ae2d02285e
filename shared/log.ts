/**
 * Structured logs: one JSON line per event on stdout, or a readable line per event when
 * `NOD_LOG_FORMAT=pretty`. `NOD_LOG_LEVEL` = debug | info | warn | error | silent (default info).
 * Never pass secrets or tokens in fields.
 */
const LEVELS = { debug: 10, info: 20, warn: 30, error: 40, silent: 100 } as const;
export type LogLevel = keyof typeof LEVELS;
export type LogFields = Record<string, unknown>;

export interface Logger {
  debug(event: string, fields?: LogFields): void;
  info(event: string, fields?: LogFields): void;
  warn(event: string, fields?: LogFields): void;
  error(event: string, fields?: LogFields): void;
}

/** A logger for one component (`provider`, `server`, ...). */
export function createLogger(component: string, env: NodeJS.ProcessEnv = process.env): Logger {
  const threshold = LEVELS[(env.NOD_LOG_LEVEL as LogLevel) in LEVELS ? (env.NOD_LOG_LEVEL as LogLevel) : 'info'];
  const pretty = env.NOD_LOG_FORMAT === 'pretty';
  const emit = (level: LogLevel, event: string, fields: LogFields = {}) => {
    if (LEVELS[level] < threshold) return;
    const time = new Date().toISOString();
    if (pretty) {
      const rest = Object.entries(fields)
        .map(([k, v]) => `${k}=${typeof v === 'string' ? v : JSON.stringify(v)}`)
        .join(' ');
      process.stdout.write(`${time.slice(11, 19)} ${level.toUpperCase().padEnd(5)} ${component.padEnd(8)} ${event} ${rest}\n`);
    } else {
      process.stdout.write(`${JSON.stringify({ time, level, component, event, ...fields })}\n`);
    }
  };
  return {
    debug: (e, f) => emit('debug', e, f),
    info: (e, f) => emit('info', e, f),
    warn: (e, f) => emit('warn', e, f),
    error: (e, f) => emit('error', e, f),
  };
}
