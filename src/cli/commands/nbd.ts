// `aoe nbd aoe:eX.Y`: serve a multipath AoE device as an NBD export on a unix socket or TCP until SIGINT/SIGTERM/SIGHUP.
import { Command } from 'commander';
import { type Device, openDevice, type PolicyName } from '../../initiator/index.js';
import { createLogger } from '../../log.js';
import { startMetricsServer, type MetricsServer } from '../../metrics/http-server.js';
import { formatListenAddress, parseListenAddress } from '../../metrics/listen.js';
import { renderNbdMetrics } from '../../metrics/nbd-metrics.js';
import { NbdServer, resolveLimits, type NbdLimits, type NbdListen } from '../../nbd/index.js';
import { parseInteger, parseSize, UsageError } from '../common.js';
import { deviceArgument, logLevelOption, metricsListenOption, parseMetricsListen } from '../options.js';
import { resolveInterfaces, withInitiatorOptions, type InitiatorCliOptions } from './initiator-options.js';

interface NbdOptions extends InitiatorCliOptions {
  socket?: string;
  listen?: string;
  readOnly?: boolean;
  name: string;
  queueDepth: string;
  policy?: string;
  deadline: string;
  logLevel: string;
  pretty?: boolean;
  maxRequest: string;
  connectionBuffer: string;
  serverBuffer: string;
  maxConnections: string;
  metricsListen?: string;
}

const LIMIT_FLAGS: Partial<Record<keyof NbdLimits, string>> = {
  maxRequestBytes: '--max-request',
  connectionBufferBytes: '--connection-buffer',
  serverBufferBytes: '--server-buffer',
  maxConnections: '--max-connections',
  queueDepth: '--queue-depth',
};

/** The resource-limit flags as NbdLimits, checked before anything is opened. */
export function parseNbdLimits(
  options: Pick<NbdOptions, 'maxRequest' | 'connectionBuffer' | 'serverBuffer' | 'maxConnections' | 'queueDepth'>,
): Partial<NbdLimits> {
  const limits: Partial<NbdLimits> = {
    maxRequestBytes: parseSize(options.maxRequest, '--max-request'),
    connectionBufferBytes: parseSize(options.connectionBuffer, '--connection-buffer'),
    serverBufferBytes: parseSize(options.serverBuffer, '--server-buffer'),
    maxConnections: parseInteger(options.maxConnections, '--max-connections', 1, 65536),
    queueDepth: parseInteger(options.queueDepth, '--queue-depth', 1, 1024),
  };
  try {
    resolveLimits(limits, LIMIT_FLAGS);
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
  return limits;
}

/** 'HOST:PORT', '[v6]:PORT' or 'PORT' (loopback). */
export function parseListen(text: string): { host: string; port: number } {
  const address = parseListenAddress(text);
  if (address === undefined) throw new UsageError(`--listen must be HOST:PORT or PORT, got '${text}'`);
  return address;
}

export function nbdCommand(): Command {
  return withInitiatorOptions(new Command('nbd'), { io: true })
    .description('serve an AoE device as an NBD export (nbd-client, qemu, nbdcopy, nbdfuse)')
    .argument('<device>', 'e1.1 or aoe:e1.1')
    .option('--socket <path>', 'listen on this unix socket')
    .option('--listen <host:port>', 'listen on TCP (host defaults to 127.0.0.1; default port 10809)')
    .option('--read-only', 'refuse writes (NBD_FLAG_READ_ONLY, EPERM)')
    .option('--name <name>', 'export name (the empty name selects it too)', '')
    .option('--queue-depth <n>', 'requests in flight per connection', '32')
    .option('--max-request <size>', 'largest READ/WRITE (advertised as the maximum block size); larger ones get EINVAL', '32M')
    .option(
      '--connection-buffer <size>',
      'bytes one connection may hold in flight (read buffers, write payloads, replies the client has not read); over it, its socket is not read',
      '64M',
    )
    .option('--server-buffer <size>', 'the same, over all connections together', '256M')
    .option('--max-connections <n>', 'connections served at once; more are closed at once', '16')
    .option('--policy <name>', 'multipath policy: round-robin, least-queue, weighted, failover')
    .option('--deadline <ms>', 'fail I/O after this long with no path answering', '60000')
    .addOption(logLevelOption())
    .option('--pretty', 'human-readable logs instead of JSON')
    .addOption(metricsListenOption())
    .addHelpText(
      'after',
      `
Memory: requests hold at most --server-buffer (plus 1 MiB per connection) however the clients behave, and
up to 64 MiB of free read buffers are kept for reuse. A connection over --connection-buffer (for instance a
client that never reads its replies) is not read until its replies drain. Requests of a connection that
closes are dropped before they reach the device. SIGINT, SIGTERM and SIGHUP finish the requests in flight,
flush and exit 0. --metrics-listen serves requests, bytes, errors, connections and per-path figures.

Examples:
  aoe nbd e1.1 -i eth1,eth2 --socket /run/aoe-e1.1.sock --name e1.1
  aoe nbd e1.1 --listen 0.0.0.0:10809 --read-only
  aoe nbd e1.1 --socket /run/aoe-e1.1.sock --metrics-listen 127.0.0.1:9101`,
    )
    .action(async (deviceSpec: string, options: NbdOptions) => {
      if (options.socket && options.listen) throw new UsageError('give --socket or --listen, not both');
      const deviceName = deviceArgument(deviceSpec);
      const where: NbdListen = options.socket ? { socket: options.socket } : parseListen(options.listen ?? '10809');
      const metricsListen = options.metricsListen === undefined ? undefined : parseMetricsListen(options.metricsListen);
      const limits = parseNbdLimits(options);
      const deadlineMs = parseInteger(options.deadline, '--deadline', 1);
      const logger = createLogger({ name: 'aoe-nbd', level: options.logLevel, pretty: options.pretty });
      const stopSignal = new Promise<NodeJS.Signals>((resolve) => {
        for (const signal of ['SIGTERM', 'SIGINT', 'SIGHUP'] as const) process.once(signal, () => resolve(signal));
      });
      // The metrics port first (cheap and local): a port in use fails the start before any NIC or device is opened.
      let server: NbdServer | undefined;
      let device: Device | undefined;
      let metrics: MetricsServer | undefined;
      if (metricsListen) metrics = await startMetricsServer(metricsListen, () => renderNbdMetrics(server?.stats(), device?.stats()));
      try {
        const { interfaces, netns } = await resolveInterfaces(options);
        device = await openDevice(deviceName, { interfaces, netns, policy: options.policy as PolicyName | undefined, deadlineMs });
      } catch (error) {
        await metrics?.close();
        throw error;
      }
      device.on('path-down', (event) => logger.warn(event, 'path down'));
      device.on('path-up', (event) => logger.info(event, 'path up'));
      server = new NbdServer({ device, name: options.name, readOnly: options.readOnly, ...limits, logger });
      try {
        const address = await server.listen(where);
        logger.info(
          {
            device: device.name,
            size: device.size,
            paths: device.paths.length,
            // Not `name`: that key is the logger's own (aoe-nbd).
            exportName: options.name,
            readOnly: Boolean(options.readOnly),
            ...address,
            limits: server.limits,
            ...(metrics ? { metrics: formatListenAddress(metrics.address) } : {}),
          },
          'nbd export ready',
        );
        const signal = await stopSignal;
        logger.info({ signal }, 'stopping: finishing requests in flight');
        await server.close();
        if (!options.readOnly) await device.flush().catch((error: unknown) => logger.error({ err: error }, 'final flush failed'));
      } finally {
        await server.close(0).catch(() => {});
        await device.close();
        await metrics?.close();
      }
      logger.info('stopped');
      process.exitCode = 0;
    });
}
