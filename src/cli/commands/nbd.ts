// `aoe nbd aoe:eX.Y`: serve a multipath AoE device as an NBD export on a unix socket or TCP until SIGINT/SIGTERM.
import { Command } from 'commander';
import { openDevice, type PolicyName } from '../../initiator/index.js';
import { createLogger } from '../../log.js';
import { NbdServer, type NbdListen } from '../../nbd/index.js';
import { parseInteger, UsageError } from '../common.js';
import { resolveInterfaces, withInitiatorOptions, type InitiatorCliOptions } from './initiator-options.js';

interface NbdOptions extends InitiatorCliOptions {
  socket?: string; listen?: string; readOnly?: boolean; name: string; queueDepth: string; policy?: string; deadline: string; logLevel: string; pretty?: boolean;
}

/** 'HOST:PORT', '[v6]:PORT' or 'PORT' (loopback). */
export function parseListen(text: string): { host: string; port: number } {
  const match = /^(?:\[([^\]]+)\]:|([^:]*):)?(\d+)$/.exec(text.trim());
  if (!match) throw new UsageError(`--listen must be HOST:PORT or PORT, got '${text}'`);
  return { host: match[1] ?? (match[2] || '127.0.0.1'), port: parseInteger(match[3], '--listen port', 0, 65535) };
}

export function nbdCommand(): Command {
  return withInitiatorOptions(new Command('nbd'))
    .description('serve an AoE device as an NBD export (nbd-client, qemu, nbdcopy, nbdfuse)')
    .argument('<device>', 'aoe:eX.Y')
    .option('--socket <path>', 'listen on this unix socket')
    .option('--listen <host:port>', 'listen on TCP (host defaults to 127.0.0.1; default port 10809)')
    .option('--read-only', 'refuse writes (NBD_FLAG_READ_ONLY, EPERM)')
    .option('--name <name>', 'export name (the empty name selects it too)', '')
    .option('--queue-depth <n>', 'requests in flight per connection', '32')
    .option('--policy <name>', 'multipath policy: round-robin, least-queue, weighted, failover')
    .option('--deadline <ms>', 'fail I/O after this long with no path answering', '60000')
    .option('--log-level <level>', 'trace, debug, info, warn, error or silent', 'info')
    .option('--pretty', 'human-readable logs instead of JSON')
    .action(async (deviceName: string, options: NbdOptions) => {
      if (options.socket && options.listen) throw new UsageError('give --socket or --listen, not both');
      const where: NbdListen = options.socket ? { socket: options.socket } : parseListen(options.listen ?? '10809');
      const queueDepth = parseInteger(options.queueDepth, '--queue-depth', 1, 1024);
      const deadlineMs = parseInteger(options.deadline, '--deadline', 1);
      const logger = createLogger({ name: 'aoe-nbd', level: options.logLevel, pretty: options.pretty });
      const { interfaces, netns } = await resolveInterfaces(options);
      const device = await openDevice(deviceName, { interfaces, netns, policy: options.policy as PolicyName | undefined, deadlineMs });
      device.on('path-down', (event) => logger.warn(event, 'path down'));
      device.on('path-up', (event) => logger.info(event, 'path up'));
      const server = new NbdServer({ device, name: options.name, readOnly: options.readOnly, queueDepth, logger });
      try {
        const address = await server.listen(where);
        logger.info({ device: device.name, size: device.size, paths: device.paths.length, name: options.name, readOnly: Boolean(options.readOnly), ...address }, 'nbd export ready');
        const signal = await new Promise<NodeJS.Signals>((resolve) => {
          process.once('SIGTERM', () => resolve('SIGTERM'));
          process.once('SIGINT', () => resolve('SIGINT'));
        });
        logger.info({ signal }, 'stopping: finishing requests in flight');
        await server.close();
        if (!options.readOnly) await device.flush().catch((error: unknown) => logger.error({ err: error }, 'final flush failed'));
      } finally {
        await server.close(0).catch(() => {});
        await device.close();
      }
      logger.info('stopped');
      process.exitCode = 0;
    });
}
