// The project's pino logger factory: JSON by default, human output with --pretty or on a TTY.
import { pino, type Logger, type LevelWithSilent } from 'pino';

export type { Logger };

export interface LoggerOptions {
  name?: string;
  level?: LevelWithSilent | string;
  /** true: pino-pretty; false: JSON; undefined: pretty when stderr is a TTY. */
  pretty?: boolean;
}

/** Logs go to stderr so that stdout stays clean for data (`--json`). */
export function createLogger(options: LoggerOptions = {}): Logger {
  const level = options.level ?? process.env.AOEKIT_LOG_LEVEL ?? 'info';
  const pretty = options.pretty ?? Boolean(process.stderr.isTTY);
  if (pretty) {
    return pino({
      name: options.name,
      level,
      transport: { target: 'pino-pretty', options: { destination: 2, colorize: Boolean(process.stderr.isTTY) } },
    });
  }
  return pino({ name: options.name, level }, pino.destination({ fd: 2, sync: true }));
}

/** A logger that drops everything: the default for library code when the caller gives none. */
export const silentLogger: Logger = pino({ level: 'silent' });
