// Options and arguments several commands share: --log-level (a choice), --metrics-listen, device names (e1.1 or aoe:e1.1).
import { Option } from 'commander';
import { parseDeviceName } from '../initiator/open.js';
import { LOG_LEVELS } from '../log.js';
import { type ListenAddress, parseListenAddress } from '../metrics/listen.js';
import { UsageError } from './common.js';

/** --log-level (or AOEKIT_LOG_LEVEL), checked by commander: a level pino does not know is a one-line usage error. */
export function logLevelOption(): Option {
  return new Option('--log-level <level>', 'log verbosity').choices(LOG_LEVELS).default('info').env('AOEKIT_LOG_LEVEL');
}

/** --metrics-listen HOST:PORT: Prometheus text format at http://HOST:PORT/metrics. */
export function metricsListenOption(note?: string): Option {
  const description = 'serve Prometheus metrics at http://HOST:PORT/metrics (PORT alone: 127.0.0.1)';
  return new Option('--metrics-listen <host:port>', note ? `${description}; ${note}` : description);
}

export function parseMetricsListen(text: string): ListenAddress {
  const address = parseListenAddress(text);
  if (address === undefined) throw new UsageError(`--metrics-listen must be HOST:PORT, [IPv6]:PORT or PORT, got '${text}'`);
  return address;
}

/**
 * A device as the user names it: 'e1.1' or 'aoe:e1.1' (both accepted wherever a device is taken; copy needs the
 * prefix to tell devices from files). Returns the one form every command shows: 'e1.1'.
 */
export function deviceArgument(text: string): string {
  try {
    const { shelf, slot } = parseDeviceName(text);
    return `e${shelf}.${slot}`;
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
}
