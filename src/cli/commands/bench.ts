// `aoe bench aoe:eX.Y`: sequential/random read/write load at a queue depth; MB/s, IOPS, latency percentiles, path shares.
import { Command } from 'commander';
import { performance } from 'node:perf_hooks';
import { openDevice, type PolicyName } from '../../initiator/index.js';
import { SECTOR_SIZE } from '../../wire/constants.js';
import { parseInteger, parseSize, UsageError } from '../common.js';
import { printJson, resolveInterfaces, table, withInitiatorOptions, type InitiatorCliOptions } from './initiator-options.js';

const PATTERNS = ['seqread', 'seqwrite', 'randread', 'randwrite'] as const;
type Pattern = (typeof PATTERNS)[number];

interface BenchOptions extends InitiatorCliOptions { pattern: string; bs: string; qd: string; time: string; allowWrite?: boolean; policy?: string; span?: string }

export function benchCommand(): Command {
  return withInitiatorOptions(new Command('bench'))
    .description('measure a device: MB/s, IOPS, p50/p99 latency and per-path share')
    .argument('<device>', 'aoe:eX.Y')
    .option('--pattern <name>', PATTERNS.join('|'), 'seqread')
    .option('--bs <bytes>', 'request size', '4k')
    .option('--qd <n>', 'requests in flight', '32')
    .option('--time <seconds>', 'how long to run', '5')
    .option('--span <bytes>', 'limit the tested region to the first N bytes of the device')
    .option('--policy <name>', 'multipath policy')
    .option('--allow-write', 'permit write patterns (they destroy data on the device)')
    .action(async (spec: string, options: BenchOptions) => {
      if (!PATTERNS.includes(options.pattern as Pattern)) throw new UsageError(`--pattern must be one of ${PATTERNS.join(', ')}`);
      const pattern = options.pattern as Pattern;
      const write = pattern.endsWith('write');
      if (write && !options.allowWrite) throw new UsageError(`--pattern ${pattern} overwrites data on the device: add --allow-write`, { code: 'ERR_AOE_WRITE_NOT_ALLOWED' });
      const blockSize = parseSize(options.bs, '--bs');
      if (blockSize % SECTOR_SIZE !== 0) throw new UsageError(`--bs must be a multiple of ${SECTOR_SIZE}`);
      const queueDepth = parseInteger(options.qd, '--qd', 1, 1024);
      const seconds = Number(options.time);
      if (!(seconds > 0 && seconds <= 3600)) throw new UsageError(`--time must be a number of seconds in (0, 3600], got '${options.time}'`);
      const { interfaces, netns } = await resolveInterfaces(options);
      const device = await openDevice(spec.replace(/^aoe:/, ''), { interfaces, netns, policy: options.policy as PolicyName | undefined });
      try {
        const span = Math.min(device.size, options.span ? parseSize(options.span, '--span') : device.size);
        const blocks = Math.floor(span / blockSize);
        if (blocks < 1) throw new UsageError(`--bs ${blockSize} is larger than the device (${device.size} bytes)`, { code: 'ERR_AOE_RANGE', exitCode: 1 });
        const random = pattern.startsWith('rand');
        const latencies = new Float64Array(4_000_000);
        let samples = 0;
        let operations = 0;
        let cursor = 0;
        const stopAt = performance.now() + seconds * 1000;
        const started = performance.now();
        const worker = async () => {
          const buffer = Buffer.alloc(blockSize, 0x5a);
          while (performance.now() < stopAt) {
            const block = random ? Math.floor(Math.random() * blocks) : cursor++ % blocks;
            const begin = performance.now();
            if (write) await device.write(block * blockSize, buffer);
            else await device.readInto(buffer, block * blockSize);
            const latency = performance.now() - begin;
            if (samples < latencies.length) latencies[samples++] = latency;
            operations += 1;
          }
        };
        await Promise.all(Array.from({ length: queueDepth }, worker));
        const elapsed = (performance.now() - started) / 1000;
        const sorted = latencies.subarray(0, samples).sort();
        const percentile = (p: number) => (samples ? sorted[Math.min(samples - 1, Math.floor(p * samples))] : 0);
        const stats = device.stats();
        const totalFrames = stats.paths.reduce((sum, path) => sum + path.framesAcked, 0) || 1;
        const result = {
          device: device.name, pattern, blockSize, queueDepth, seconds: Math.round(elapsed * 1000) / 1000, operations,
          megabytesPerSecond: Math.round((operations * blockSize) / 1e6 / elapsed * 10) / 10, iops: Math.round(operations / elapsed),
          latencyMs: { p50: round3(percentile(0.5)), p99: round3(percentile(0.99)) }, policy: stats.policy, retransmits: stats.retransmits,
          paths: stats.paths.map((path) => ({ interface: path.interface, payloadBytes: path.payloadBytes, frames: path.framesAcked, share: round3(path.framesAcked / totalFrames), retransmits: path.retransmits })),
        };
        if (options.json) { printJson(result); return; }
        process.stdout.write(`${result.device} ${pattern} bs=${blockSize} qd=${queueDepth}: ${result.megabytesPerSecond} MB/s, ${result.iops} IOPS, p50 ${result.latencyMs.p50} ms, p99 ${result.latencyMs.p99} ms, ${result.retransmits} retransmits\n`);
        process.stdout.write(table([['NETIF', 'PAYLOAD', 'FRAMES', 'SHARE', 'RETRANSMITS'], ...result.paths.map((path) => [path.interface, String(path.payloadBytes), String(path.frames), `${(path.share * 100).toFixed(1)}%`, String(path.retransmits)])]));
      } finally {
        await device.close();
      }
    });
}

function round3(value: number): number {
  return Math.round(value * 1000) / 1000;
}
