// `aoe bench aoe:eX.Y`: argv to the library's runLoad (seq/random read/write at a queue depth); MB/s, IOPS, latency percentiles, path shares.
import { Command } from 'commander';
import { LOAD_PATTERNS, openDevice, runLoad, type LoadPattern, type PolicyName } from '../../initiator/index.js';
import { explainWriteError } from '../../copy/messages.js';
import { SECTOR_SIZE } from '../../wire/constants.js';
import { parseInteger, parseSize, UsageError } from '../common.js';
import { deviceArgument } from '../options.js';
import { printJson, resolveInterfaces, table, withInitiatorOptions, type InitiatorCliOptions } from './initiator-options.js';

interface BenchOptions extends InitiatorCliOptions {
  pattern: string;
  bs: string;
  qd: string;
  time: string;
  allowWrite?: boolean;
  policy?: string;
  span?: string;
}

export function benchCommand(): Command {
  return withInitiatorOptions(new Command('bench'), { io: true })
    .description('measure a device: MB/s, IOPS, p50/p99 latency and per-path share')
    .argument('<device>', 'e1.1 or aoe:e1.1')
    .option('--pattern <name>', LOAD_PATTERNS.join('|'), 'seqread')
    .option('--bs <bytes>', 'request size', '4k')
    .option('--qd <n>', 'requests in flight', '32')
    .option('--time <seconds>', 'how long to run', '5')
    .option('--span <bytes>', 'limit the tested region to the first N bytes of the device')
    .option('--policy <name>', 'multipath policy')
    .option('--allow-write', 'permit write patterns (they destroy data on the device)')
    .addHelpText(
      'after',
      `
Examples:
  aoe bench e1.1                                           # sequential 4 KiB reads at QD 32 for 5 s
  aoe bench e1.1 --pattern randread --bs 4k --qd 32 --time 10
  aoe bench e1.1 --pattern seqwrite --bs 1M --allow-write  # destroys data on e1.1`,
    )
    .action(async (spec: string, options: BenchOptions) => {
      const name = deviceArgument(spec);
      if (!LOAD_PATTERNS.includes(options.pattern as LoadPattern))
        throw new UsageError(`--pattern must be one of ${LOAD_PATTERNS.join(', ')}`);
      const pattern = options.pattern as LoadPattern;
      if (pattern.endsWith('write') && !options.allowWrite)
        throw new UsageError(`--pattern ${pattern} overwrites data on the device: add --allow-write`, {
          code: 'ERR_AOE_WRITE_NOT_ALLOWED',
        });
      const blockSize = parseSize(options.bs, '--bs');
      if (blockSize % SECTOR_SIZE !== 0) throw new UsageError(`--bs must be a multiple of ${SECTOR_SIZE}`);
      const queueDepth = parseInteger(options.qd, '--qd', 1, 1024);
      const seconds = Number(options.time);
      if (!(seconds > 0 && seconds <= 3600)) throw new UsageError(`--time must be a number of seconds in (0, 3600], got '${options.time}'`);
      const spanBytes = options.span ? parseSize(options.span, '--span') : undefined;
      const { interfaces, netns } = await resolveInterfaces(options);
      const device = await openDevice(name, { interfaces, netns, policy: options.policy as PolicyName | undefined });
      try {
        const load = await runLoad(device, { pattern, blockSize, queueDepth, seconds, spanBytes, seed: Date.now() }).catch(
          (error: unknown) => {
            throw pattern.endsWith('write') ? explainWriteError(error, name) : error;
          },
        );
        const stats = device.stats();
        const totalFrames = stats.paths.reduce((sum, path) => sum + path.framesAcked, 0) || 1;
        const result = {
          device: device.name,
          pattern,
          blockSize,
          queueDepth,
          seconds: round3(load.seconds),
          operations: load.operations,
          megabytesPerSecond: Math.round(load.megabytesPerSecond * 10) / 10,
          iops: Math.round(load.iops),
          latencyMs: { p50: round3(load.latencyP50Us / 1000), p99: round3(load.latencyP99Us / 1000) },
          policy: stats.policy,
          retransmits: load.retransmits,
          paths: stats.paths.map((path) => ({
            interface: path.interface,
            payloadBytes: path.payloadBytes,
            frames: path.framesAcked,
            share: round3(path.framesAcked / totalFrames),
            retransmits: path.retransmits,
          })),
        };
        if (options.json) {
          printJson(result);
          return;
        }
        process.stdout.write(
          `${result.device} ${pattern} bs=${blockSize} qd=${queueDepth}: ${result.megabytesPerSecond} MB/s, ${result.iops} IOPS, p50 ${result.latencyMs.p50} ms, p99 ${result.latencyMs.p99} ms, ${result.retransmits} retransmits\n`,
        );
        process.stdout.write(
          table([
            ['NETIF', 'PAYLOAD', 'FRAMES', 'SHARE', 'RETRANSMITS'],
            ...result.paths.map((path) => [
              path.interface,
              String(path.payloadBytes),
              String(path.frames),
              `${(path.share * 100).toFixed(1)}%`,
              String(path.retransmits),
            ]),
          ]),
        );
      } finally {
        await device.close();
      }
    });
}

function round3(value: number): number {
  return Math.round(value * 1000) / 1000;
}
