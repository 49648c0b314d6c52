// `aoe copy SRC DST`: pipelined copy between AoE devices and files with progress, MB/s and per-path summary.
import { Command } from 'commander';
import { performance } from 'node:perf_hooks';
import type { PolicyName } from '../../initiator/index.js';
import { SECTOR_SIZE } from '../../wire/constants.js';
import { parseInteger, parseSize, UsageError } from '../common.js';
import { formatMegabytesPerSecond, printJson, resolveInterfaces, table, withInitiatorOptions, type InitiatorCliOptions } from './initiator-options.js';
import { isDeviceSpec, openEndpoint, type Endpoint } from './transfer.js';

interface CopyOptions extends InitiatorCliOptions { offset?: string; length?: string; chunk: string; depth: string; policy?: string; deadline?: string; progress?: boolean }

export function copyCommand(): Command {
  return withInitiatorOptions(new Command('copy'))
    .description('copy between aoe:eX.Y devices and files (--offset applies to the AoE side)')
    .argument('<src>', 'aoe:eX.Y or a file')
    .argument('<dst>', 'aoe:eX.Y or a file')
    .option('--offset <bytes>', 'byte offset on the AoE device(s), multiple of 512', '0')
    .option('--length <bytes>', 'bytes to copy (default: to the end of the source)')
    .option('--chunk <bytes>', 'bytes per I/O request', '1M')
    .option('--depth <n>', 'requests in flight', '8')
    .option('--policy <name>', 'multipath policy: round-robin, least-queue, weighted, failover')
    .option('--deadline <ms>', 'fail after this long with no path answering', '60000')
    .option('--no-progress', 'no progress bar even on a TTY')
    .action(async (source: string, destination: string, options: CopyOptions) => {
      const offset = options.offset === '0' ? 0 : parseSize(options.offset ?? '0', '--offset');
      if (offset % SECTOR_SIZE !== 0) throw new UsageError(`--offset must be a multiple of ${SECTOR_SIZE}`);
      if (!isDeviceSpec(source) && !isDeviceSpec(destination)) throw new UsageError('one of SRC and DST must be an AoE device (aoe:eX.Y)');
      const chunk = parseSize(options.chunk, '--chunk');
      if (chunk % SECTOR_SIZE !== 0) throw new UsageError(`--chunk must be a multiple of ${SECTOR_SIZE}`);
      const depth = parseInteger(options.depth, '--depth', 1, 256);
      const deadlineMs = parseInteger(options.deadline ?? '60000', '--deadline', 1);
      const requestedLength = options.length ? parseSize(options.length, '--length') : undefined;
      const { interfaces, netns } = await resolveInterfaces(options);
      const context = { interfaces, netns, policy: options.policy as PolicyName | undefined, deadlineMs };
      const endpoints: Endpoint[] = [];
      try {
        const from = await openEndpoint(source, false, isDeviceSpec(source) ? offset : 0, context);
        endpoints.push(from);
        const to = await openEndpoint(destination, true, isDeviceSpec(destination) ? offset : 0, context);
        endpoints.push(to);
        let length = requestedLength ?? from.size;
        if (length > from.size) throw new UsageError(`--length ${length} is more than ${source} holds (${from.size} bytes)`, { code: 'ERR_AOE_RANGE', exitCode: 1 });
        if (length > to.size) throw new UsageError(`${length} bytes do not fit in ${destination} (${to.size} bytes)`, { code: 'ERR_AOE_RANGE', exitCode: 1 });
        const padded = Math.ceil(length / SECTOR_SIZE) * SECTOR_SIZE;
        if (padded !== length && isDeviceSpec(destination)) process.stderr.write(`note: padding the last ${padded - length} bytes with zeros to a whole sector\n`);
        if (isDeviceSpec(source)) length = padded;
        const started = performance.now();
        const showProgress = options.progress !== false && Boolean(process.stderr.isTTY) && !options.json;
        let copied = 0;
        let next = 0;
        const progressTimer = showProgress ? setInterval(() => drawProgress(copied, length, started), 200) : undefined;
        const worker = async () => {
          const buffer = Buffer.alloc(chunk);
          while (next < length) {
            const position = next;
            next += chunk;
            const size = Math.min(chunk, length - position);
            const view = buffer.subarray(0, Math.ceil(size / SECTOR_SIZE) * SECTOR_SIZE);
            await from.read(view, position);
            await to.write(isDeviceSpec(destination) ? view : view.subarray(0, size), position);
            copied += size;
          }
        };
        try {
          await Promise.all(Array.from({ length: depth }, worker));
          await to.finish();
        } finally {
          if (progressTimer) clearInterval(progressTimer);
          if (showProgress) process.stderr.write('\n');
        }
        const seconds = (performance.now() - started) / 1000;
        const paths = endpoints.flatMap((endpoint) => (endpoint.device ? endpoint.device.stats().paths.map((path) => ({ device: endpoint.label, ...path })) : []));
        const totalFrames = paths.reduce((sum, path) => sum + path.framesAcked, 0) || 1;
        const summary = {
          source, destination, bytes: copied, seconds: Math.round(seconds * 1000) / 1000, megabytesPerSecond: Math.round((copied / 1e6 / seconds) * 10) / 10,
          paths: paths.map((path) => ({
            device: path.device, interface: path.interface, targetMac: path.targetMac, payloadBytes: path.payloadBytes, frames: path.framesAcked,
            bytes: path.bytesAcked, retransmits: path.retransmits, share: Math.round((path.framesAcked / totalFrames) * 1000) / 1000, state: path.state,
          })),
        };
        if (options.json) { printJson(summary); return; }
        process.stdout.write(`copied ${copied} bytes in ${summary.seconds.toFixed(3)} s: ${formatMegabytesPerSecond(copied, seconds)}\n`);
        process.stdout.write(table([['DEVICE', 'NETIF', 'TARGET MAC', 'PAYLOAD', 'FRAMES', 'SHARE', 'RETRANSMITS', 'STATE'],
          ...summary.paths.map((path) => [path.device, path.interface, path.targetMac, String(path.payloadBytes), String(path.frames), `${(path.share * 100).toFixed(1)}%`, String(path.retransmits), path.state])]));
      } finally {
        for (const endpoint of endpoints.reverse()) await endpoint.close().catch(() => {});
      }
    });
}

function drawProgress(copied: number, total: number, started: number): void {
  const seconds = (performance.now() - started) / 1000;
  const fraction = total > 0 ? copied / total : 1;
  const width = 30;
  const filled = Math.round(fraction * width);
  process.stderr.write(`\r[${'#'.repeat(filled)}${' '.repeat(width - filled)}] ${(copied / 2 ** 20).toFixed(1)}/${(total / 2 ** 20).toFixed(1)} MiB ${(fraction * 100).toFixed(0)}% ${formatMegabytesPerSecond(copied, seconds)}   `);
}
