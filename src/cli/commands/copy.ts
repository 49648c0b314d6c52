// `aoe copy SRC DST`: argv to a copy between AoE devices, files and pipes ('-' = stdin/stdout), with progress and a per-path summary.
import { Command } from 'commander';
import fs from 'node:fs';
import { performance } from 'node:perf_hooks';
import {
  copy,
  formatProgress,
  isDeviceSpec,
  openCopyDestination,
  openCopySource,
  ProgressMeter,
  type Opened,
  type CopyDestination,
  type CopySource,
} from '../../copy/index.js';
import type { PolicyName } from '../../initiator/index.js';
import { SECTOR_SIZE } from '../../wire/constants.js';
import { parseInteger, parseSize, UsageError } from '../common.js';
import { deviceArgument } from '../options.js';
import { formatMegabytesPerSecond, resolveInterfaces, table, withInitiatorOptions, type InitiatorCliOptions } from './initiator-options.js';

interface CopyCliOptions extends InitiatorCliOptions {
  offset?: string;
  length?: string;
  chunk: string;
  depth: string;
  policy?: string;
  deadline?: string;
  progress?: boolean;
}

export function copyCommand(): Command {
  return withInitiatorOptions(new Command('copy'), { io: true })
    .description(
      'copy between AoE devices (aoe:e1.1), files, block devices and pipes (- is stdin or stdout); --offset applies to the AoE side',
    )
    .argument('<src>', 'aoe:e1.1 (a device), a file or block device, or - for stdin')
    .argument('<dst>', 'aoe:e1.1 (a device), a file or block device, or - for stdout')
    .option('--offset <bytes>', 'byte offset on the AoE device(s), multiple of 512', '0')
    .option('--length <bytes>', 'bytes to copy (default: the whole source; a pipe is read to its end)')
    .option('--chunk <bytes>', 'bytes per I/O request', '1M')
    .option('--depth <n>', 'requests in flight', '8')
    .option('--policy <name>', 'multipath policy: round-robin, least-queue, weighted, failover')
    .option('--deadline <ms>', 'fail after this long with no path answering', '60000')
    .option('--no-progress', 'no progress bar even on a TTY')
    .addHelpText(
      'after',
      `
Devices need the aoe: prefix here (to tell them from files); the summary shows them as e1.1. The progress
line (on a terminal) shows the rate over the last 5 s, the ETA, and 'stalled: N/M paths up' when nothing
moved for 2 s.

Examples:
  aoe copy aoe:e1.1 disk.img                          # read the whole device
  aoe copy disk.img aoe:e1.1 --offset 1G              # write at 1 GiB
  head -c 64M /dev/urandom | aoe copy - aoe:e1.1      # from a pipe
  aoe copy aoe:e1.1 - --length 64M | sha256sum        # to a pipe (the summary goes to stderr)`,
    )
    .action(async (source: string, destination: string, options: CopyCliOptions) => {
      const offset = options.offset === '0' ? 0 : parseSize(options.offset ?? '0', '--offset');
      if (offset % SECTOR_SIZE !== 0) throw new UsageError(`--offset must be a multiple of ${SECTOR_SIZE}`);
      if (!isDeviceSpec(source) && !isDeviceSpec(destination)) {
        const bare = [source, destination].find((spec) => /^e\d+\.\d+$/.test(spec) && !fs.existsSync(spec));
        throw new UsageError(
          `one of SRC and DST must be an AoE device (aoe:e1.1)${bare ? `: did you mean aoe:${bare}? (copy needs the prefix to tell devices from files)` : ''}`,
        );
      }
      for (const spec of [source, destination]) if (isDeviceSpec(spec)) deviceArgument(spec);
      if (source === '-' && destination === '-') throw new UsageError('SRC and DST cannot both be -');
      const chunkBytes = parseSize(options.chunk, '--chunk');
      if (chunkBytes % SECTOR_SIZE !== 0) throw new UsageError(`--chunk must be a multiple of ${SECTOR_SIZE}`);
      const depth = parseInteger(options.depth, '--depth', 1, 256);
      const deadlineMs = parseInteger(options.deadline ?? '60000', '--deadline', 1);
      const length = options.length ? parseSize(options.length, '--length') : undefined;
      const { interfaces, netns } = await resolveInterfaces(options);
      const endpointOptions = { interfaces, netns, policy: options.policy as PolicyName | undefined, deadlineMs, deviceOffset: offset };
      // With the data on stdout, everything else (summary, notes, progress) goes to stderr.
      const report = isStdout(destination) ? process.stderr : process.stdout;
      const opened: Opened<CopySource | CopyDestination>[] = [];
      try {
        const from = await openCopySource(source, endpointOptions);
        opened.push(from);
        const to = await openCopyDestination(destination, endpointOptions);
        opened.push(to);
        const showProgress = options.progress !== false && Boolean(process.stderr.isTTY) && !options.json;
        let progress = { copied: 0, total: undefined as number | undefined };
        const meter = new ProgressMeter(performance.now());
        const devices = opened.flatMap((endpoint) => (endpoint.device ? [endpoint.device] : []));
        const draw = () => {
          const now = performance.now();
          meter.sample(progress.copied, now);
          const paths = devices.flatMap((device) => device.stats().paths);
          const view = meter.view(progress.total, now, { up: paths.filter((path) => path.state === 'up').length, total: paths.length });
          process.stderr.write(`\r${formatProgress(view)}\x1b[K`);
        };
        const timer = showProgress ? setInterval(draw, 200) : undefined;
        let noted = false;
        let result: Awaited<ReturnType<typeof copy>>;
        try {
          result = await copy(from, to, {
            length,
            chunkBytes,
            depth,
            onProgress: (copied, total) => {
              progress = { copied, total };
            },
            onNote: (message) => {
              if (!noted) process.stderr.write(`note: ${message}\n`);
              noted = true;
            },
          });
        } finally {
          if (timer) clearInterval(timer);
          if (showProgress) process.stderr.write('\n');
        }
        const paths = opened.flatMap((endpoint) =>
          endpoint.device ? endpoint.device.stats().paths.map((path) => ({ device: endpoint.label, ...path })) : [],
        );
        const totalFrames = paths.reduce((sum, path) => sum + path.framesAcked, 0) || 1;
        const summary = {
          source,
          destination,
          bytes: result.bytes,
          seconds: Math.round(result.seconds * 1000) / 1000,
          megabytesPerSecond: Math.round((result.bytes / 1e6 / result.seconds) * 10) / 10,
          paths: paths.map((path) => ({
            device: path.device,
            interface: path.interface,
            targetMac: path.targetMac,
            payloadBytes: path.payloadBytes,
            frames: path.framesAcked,
            bytes: path.bytesAcked,
            retransmits: path.retransmits,
            share: Math.round((path.framesAcked / totalFrames) * 1000) / 1000,
            state: path.state,
          })),
        };
        if (options.json) {
          report.write(`${JSON.stringify(summary, null, 2)}\n`);
          return;
        }
        report.write(
          `copied ${result.bytes} bytes in ${summary.seconds.toFixed(3)} s: ${formatMegabytesPerSecond(result.bytes, result.seconds)}\n`,
        );
        report.write(
          table([
            ['DEVICE', 'NETIF', 'TARGET MAC', 'PAYLOAD', 'FRAMES', 'SHARE', 'RETRANSMITS', 'STATE'],
            ...summary.paths.map((path) => [
              path.device,
              path.interface,
              path.targetMac,
              String(path.payloadBytes),
              String(path.frames),
              `${(path.share * 100).toFixed(1)}%`,
              String(path.retransmits),
              path.state,
            ]),
          ]),
        );
      } finally {
        for (const endpoint of opened.reverse()) await endpoint.close().catch(() => {});
      }
    });
}

/** True when DST is our stdout ('-', /dev/stdout, /proc/self/fd/1, or the very file stdout points at). */
function isStdout(destination: string): boolean {
  if (destination === '-') return true;
  try {
    const named = fs.statSync(destination);
    const stdout = fs.fstatSync(1);
    return named.dev === stdout.dev && named.ino === stdout.ino;
  } catch {
    return false;
  }
}
