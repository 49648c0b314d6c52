// The project's pino logger factory: JSON with ISO timestamps by default, human output with --pretty or on a TTY.
import { pino, type Logger, type LevelWithSilent } from 'pino';

export type { Logger };

/** The levels --log-level and AOEKIT_LOG_LEVEL accept. */
export const LOG_LEVELS = ['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

export interface LoggerOptions {
  /** Becomes the `name` key of every line: no call may log a field called `name` as well. */
  name?: string;
  level?: LevelWithSilent | string;
  /** true: pino-pretty; false: JSON; undefined: pretty when stderr is a TTY. */
  pretty?: boolean;
}

/** True for a level pino knows. */
export function isLogLevel(level: string): level is LogLevel {
  return (LOG_LEVELS as readonly string[]).includes(level);
}

/** Logs go to stderr so that stdout stays clean for data (`--json`). A level pino does not know is an ERR_CONFIG error. */
export function createLogger(options: LoggerOptions = {}): Logger {
  const level = options.level ?? process.env.AOEKIT_LOG_LEVEL ?? 'info';
  if (!isLogLevel(level)) {
    throw Object.assign(new Error(`log level must be one of ${LOG_LEVELS.join(', ')}, got '${level}'`), { code: 'ERR_CONFIG' });
  }
  const pretty = options.pretty ?? Boolean(process.stderr.isTTY);
  const timestamp = pino.stdTimeFunctions.isoTime;
  if (pretty) {
    return pino({
      name: options.name,
      level,
      timestamp,
      transport: { target: 'pino-pretty', options: { destination: 2, colorize: Boolean(process.stderr.isTTY) } },
    });
  }
  return pino({ name: options.name, level, timestamp }, pino.destination({ fd: 2, sync: true }));
}

/** A logger that drops everything: the default for library code when the caller gives none. */
export const silentLogger: Logger = pino({ level: 'silent' });
