/**
 * Structured logs, written by pino: one JSON object per line on stdout (`time`, `level`,
 * `component`, `event`, fields), or one readable line per event when `NOD_LOG_FORMAT=pretty`.
 * `NOD_LOG_LEVEL` = debug | info | warn | error | silent (default info).
 * Never pass secrets or tokens in fields; the names in SECRET_FIELDS are redacted anyway, at the
 * top level and one level down, in case one slips in.
 * @see https://getpino.io/#/docs/redaction
 */
import { type DestinationStream, type Logger as Pino, pino } from 'pino';

const LEVELS = ['debug', 'info', 'warn', 'error', 'silent'] as const;
export type LogLevel = (typeof LEVELS)[number];
export type LogFields = Record<string, unknown>;

/** The logger every part of Nod takes: an event name (`area.what_happened`) and fields. */
export interface Logger {
  debug(event: string, fields?: LogFields): void;
  info(event: string, fields?: LogFields): void;
  warn(event: string, fields?: LogFields): void;
  error(event: string, fields?: LogFields): void;
  /** Whether lines of `level` are written (callers that build fields for a line can skip the work). */
  enabled(level: Exclude<LogLevel, 'silent'>): boolean;
}

/** Field names whose values never reach a log line (shown as [redacted]). */
export const SECRET_FIELDS = [
  'password',
  'secret',
  'client_secret',
  'client_assertion',
  'authorization',
  'cookie',
  'token',
  'access_token',
  'refresh_token',
  'id_token',
  'id_token_hint',
  'login_hint_token',
  'device_token',
  'client_notification_token',
  'code',
  'code_verifier',
  'device_code',
  'user_code',
  'auth_req_id',
  'private_key',
  'privateJwk',
] as const;

const REDACT = { paths: SECRET_FIELDS.flatMap((f) => [f, `*.${f}`]), censor: '[redacted]' };

/** Our one-line terminal format: `12:34:56 INFO  provider grant.success clientId=demo-bank`. */
export function prettyLine(line: string): string {
  const { time, level, component, event, ...fields } = JSON.parse(line) as Record<string, unknown>;
  const rest = Object.entries(fields)
    .map(([k, v]) => `${k}=${typeof v === 'string' ? v : JSON.stringify(v)}`)
    .join(' ');
  return `${String(time).slice(11, 19)} ${String(level).toUpperCase().padEnd(5)} ${String(component).padEnd(8)} ${String(event)} ${rest}\n`;
}

/** pino's JSON lines, reformatted by prettyLine (for people at a terminal: a few lines a second). */
function prettyDestination(out: NodeJS.WritableStream): DestinationStream {
  return { write: (line: string) => void out.write(prettyLine(line)) };
}

/** The pino instance behind createLogger: ISO times, level names, no pid/hostname, secrets redacted. */
function createPino(component: string, env: NodeJS.ProcessEnv = process.env, destination?: DestinationStream): Pino {
  const wanted = env.NOD_LOG_LEVEL as LogLevel | undefined;
  const options = {
    level: wanted && LEVELS.includes(wanted) ? wanted : 'info',
    base: { component },
    timestamp: pino.stdTimeFunctions.isoTime,
    formatters: { level: (label: string) => ({ level: label }) },
    redact: REDACT,
  };
  const out = destination ?? (env.NOD_LOG_FORMAT === 'pretty' ? prettyDestination(process.stdout) : pino.destination({ dest: 1, sync: true }));
  return pino(options, out);
}

/** A logger for one component (`provider`, `server`, ...); `destination` defaults to stdout. */
export function createLogger(component: string, env: NodeJS.ProcessEnv = process.env, destination?: DestinationStream): Logger {
  const p = createPino(component, env, destination);
  // A level that is off costs a check, not the line's object.
  return {
    debug: (event, fields) => void (p.isLevelEnabled('debug') && p.debug({ event, ...fields })),
    info: (event, fields) => void (p.isLevelEnabled('info') && p.info({ event, ...fields })),
    warn: (event, fields) => void (p.isLevelEnabled('warn') && p.warn({ event, ...fields })),
    error: (event, fields) => void (p.isLevelEnabled('error') && p.error({ event, ...fields })),
    enabled: (level) => p.isLevelEnabled(level),
  };
}
