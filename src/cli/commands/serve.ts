// `aoe serve --config FILE`: run the target from a JSON config; also the signal loop shared with the aoeblade bin.
import { Command } from 'commander';
import { launchTarget } from '../../blade/launch.js';
import { loadServeConfig, type ServeConfig } from '../../blade/serve-config.js';
import type { Target } from '../../blade/server.js';
import { createLogger, type Logger } from '../../log.js';
import { parseInteger } from '../common.js';
import { logLevelOption, metricsListenOption, parseMetricsListen } from '../options.js';

interface ServeOptions {
  config: string;
  logLevel: string;
  pretty?: boolean;
  netns?: string;
  mtu?: string;
  workers?: string;
  metricsListen?: string;
}

/** The signals that stop a target cleanly. SIGHUP too: logs go to stderr, so there is no log file to reopen. */
export const STOP_SIGNALS = ['SIGTERM', 'SIGINT', 'SIGHUP'] as const;

/**
 * Catch the stop signals from now on (so one that arrives during start-up still stops cleanly). The first one
 * releases them: a second signal while stopping has its default effect and ends the process at once.
 */
function catchStopSignals(): { signal: Promise<NodeJS.Signals>; release(): void } {
  let resolveSignal: (signal: NodeJS.Signals) => void = () => {};
  const signal = new Promise<NodeJS.Signals>((resolve) => {
    resolveSignal = resolve;
  });
  const release = () => {
    for (const name of STOP_SIGNALS) process.off(name, handler);
  };
  const handler = (name: NodeJS.Signals) => {
    release();
    resolveSignal(name);
  };
  for (const name of STOP_SIGNALS) process.on(name, handler);
  return { signal, release };
}

/**
 * Serve until SIGTERM, SIGINT or SIGHUP (finish in-flight requests, save state, flush, resolve so the process exits 0).
 * SIGUSR1 logs one stats line.
 */
export async function serveUntilSignal(config: ServeConfig, logger: Logger): Promise<void> {
  const stop = catchStopSignals();
  let target: Target;
  try {
    target = await launchTarget(config, logger);
  } catch (error) {
    stop.release();
    throw error;
  }
  const onUsr1 = () => target.logStats();
  process.on('SIGUSR1', onUsr1);
  const signal = await stop.signal;
  logger.info({ signal }, 'stopping: finishing requests in flight and flushing');
  await target.stop();
  process.off('SIGUSR1', onUsr1);
  target.logStats();
  logger.info('stopped');
  process.exitCode = 0;
}

export function serveCommand(): Command {
  return new Command('serve')
    .description('serve AoE exports (many shelf.slot targets on many NICs) from a JSON config file')
    .requiredOption(
      '--config <file>',
      'JSON config: { "exports": [{ "shelf", "slot", "path", "interfaces", ... }], "stateDir", "statsInterval" } (see examples/serve.json)',
    )
    .option('--netns <name>', 'open the NICs inside this network namespace (overrides the file\'s "netns")')
    .option('--mtu <bytes>', 'set each served NIC to this MTU first (overrides the file\'s "mtu"; put back if the start fails)')
    .option('--workers <count>', 'threads serving the NICs (overrides the file\'s "workers"; 0 = one per NIC up to the CPU count)')
    .addOption(metricsListenOption('overrides the file\'s "metricsListen"'))
    .addOption(logLevelOption())
    .option('--pretty', 'human-readable logs instead of JSON')
    .addHelpText(
      'after',
      `
SIGTERM, SIGINT and SIGHUP stop it cleanly: requests in flight finish, state is saved, stores are flushed, exit 0.
SIGUSR1 logs one stats line.

Examples:
  aoe serve --config /etc/aoeblade/serve.json
  aoe serve --config examples/serve.json --netns lab-tgt --mtu 9000
  aoe serve --config serve.json --metrics-listen 0.0.0.0:9100   # Prometheus scrapes http://HOST:9100/metrics`,
    )
    .action(async (options: ServeOptions) => {
      const config = { ...loadServeConfig(options.config) };
      if (options.netns !== undefined) config.netns = options.netns;
      if (options.mtu !== undefined) config.mtu = parseInteger(options.mtu, '--mtu', 68, 65535);
      if (options.workers !== undefined) config.workers = parseInteger(options.workers, '--workers', 0, 256);
      if (options.metricsListen !== undefined) config.metricsListen = parseMetricsListen(options.metricsListen);
      const logger = createLogger({ name: 'aoe-serve', level: options.logLevel, pretty: options.pretty });
      await serveUntilSignal(config, logger);
    });
}
