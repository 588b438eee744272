// The process logger (pino): one JSON object per line by default, or a plain human-readable line
// (`pretty`, no extra dependency). The destination is selectable because under MCP stdio, stdout
// carries the protocol and logs must go to stderr. Secrets are redacted by path before a line is
// written, so a careless `log.info({ headers })` never prints an API key.
import pino, { type DestinationStream, type Logger as PinoLogger } from 'pino';
import { formatPrettyLine } from './pretty.ts';

export type Logger = PinoLogger;
export type LogFormat = 'json' | 'pretty';
export const LOG_FORMATS: readonly LogFormat[] = ['json', 'pretty'];
export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

export interface LoggerOptions {
  readonly format?: LogFormat;
  readonly level?: LogLevel;
  /** 1 = stdout (default), 2 = stderr, or any stream with `write(line)` (tests). */
  readonly destination?: 1 | 2 | { write(line: string): unknown };
}

/** Keys whose values never reach a log line (at the top level and one level down). */
const SECRET_KEYS = [
  'authorization',
  'x-api-key',
  'api_key',
  'apiKey',
  'key',
  'password',
  'token',
  'secret',
  'dsn',
  'connection',
  'attestation_token',
];

export const REDACT_PATHS: readonly string[] = [
  'req.headers.authorization',
  'req.headers["x-api-key"]',
  'headers.authorization',
  'headers["x-api-key"]',
  ...SECRET_KEYS.map((k) => (/^[A-Za-z_]\w*$/.test(k) ? k : `["${k}"]`)),
  ...SECRET_KEYS.map((k) => (/^[A-Za-z_]\w*$/.test(k) ? `*.${k}` : `*["${k}"]`)),
];

export function createLogger(options: LoggerOptions = {}): Logger {
  const target = options.destination ?? 1;
  const raw: DestinationStream =
    typeof target === 'number' ? pino.destination({ dest: target, sync: true }) : target;
  const stream: DestinationStream =
    options.format === 'pretty'
      ? { write: (line: string) => raw.write(formatPrettyLine(line)) }
      : raw;
  return pino(
    {
      level: options.level ?? 'info',
      base: { pid: process.pid },
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
      redact: { paths: [...REDACT_PATHS], censor: '[redacted]' },
    },
    stream,
  );
}

/** Identifiers a request's log lines carry (absent ones are left out, not logged as null). */
export interface RequestLogContext {
  readonly request_id?: string | undefined;
  readonly session_id?: string | null | undefined;
  readonly agent_id?: string | undefined;
}

export function requestLogger(base: Logger, ids: RequestLogContext): Logger {
  const bindings: Record<string, string> = {};
  for (const [k, v] of Object.entries(ids)) if (typeof v === 'string') bindings[k] = v;
  return base.child(bindings);
}
