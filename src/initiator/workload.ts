// A timed I/O load on an open device (seq/random read/write at a queue depth): MB/s, IOPS, latency percentiles, frames. Used by `aoe bench` and the benchmark.
import { performance } from 'node:perf_hooks';
import type { Device } from './device.js';
import { InitiatorError } from './errors.js';

export const LOAD_PATTERNS = ['seqread', 'seqwrite', 'randread', 'randwrite'] as const;
export type LoadPattern = (typeof LOAD_PATTERNS)[number];

export interface LoadSpec {
  pattern: LoadPattern;
  /** Bytes per request (a multiple of 512). */
  blockSize: number;
  /** Requests in flight. */
  queueDepth: number;
  seconds: number;
  /** Only the first `spanBytes` of the device (default: all of it). */
  spanBytes?: number;
  /** Seed of the random block choice (the same seed picks the same blocks). */
  seed?: number;
}

export interface LoadResult {
  pattern: LoadPattern;
  blockSize: number;
  queueDepth: number;
  /** Measured duration. */
  seconds: number;
  operations: number;
  bytes: number;
  megabytesPerSecond: number;
  iops: number;
  latencyP50Us: number;
  latencyP99Us: number;
  /** Frames the device's paths acknowledged during the load, and its retransmits. */
  frames: number;
  retransmits: number;
}

function framesAcked(device: Device): { frames: number; retransmits: number } {
  const stats = device.stats();
  let frames = 0;
  for (const path of stats.paths) frames += path.framesAcked;
  return { frames, retransmits: stats.retransmits };
}

/** xorshift32: a deterministic block choice without Math.random()'s cost in the loop. */
function makeRandom(seed: number): () => number {
  let state = seed >>> 0 || 1;
  return () => {
    state ^= state << 13;
    state >>>= 0;
    state ^= state >>> 17;
    state ^= state << 5;
    state >>>= 0;
    return state / 4294967296;
  };
}

/** Run `spec` against `device`. Writes overwrite the device's data: callers must have the user's consent. */
export async function runLoad(device: Device, spec: LoadSpec): Promise<LoadResult> {
  const span = Math.min(device.size, spec.spanBytes ?? device.size);
  const blocks = Math.floor(span / spec.blockSize);
  if (blocks < 1)
    throw new InitiatorError(
      'ERR_AOE_RANGE',
      `a block of ${spec.blockSize} bytes does not fit in the ${span} bytes of ${device.name} under load`,
    );
  const write = spec.pattern.endsWith('write');
  const random = spec.pattern.startsWith('rand');
  const nextRandom = makeRandom(spec.seed ?? 0x9e3779b9 ^ spec.blockSize ^ spec.queueDepth);
  const latencies = new Float64Array(Math.min(8_000_000, Math.max(1024, Math.ceil(spec.seconds * 400_000))));
  let samples = 0;
  let operations = 0;
  let cursor = 0;
  const before = framesAcked(device);
  const started = performance.now();
  const stopAt = started + spec.seconds * 1000;
  const worker = async (index: number): Promise<void> => {
    const buffer = Buffer.alloc(spec.blockSize, 0x5a + index);
    while (performance.now() < stopAt) {
      const block = random ? Math.floor(nextRandom() * blocks) : cursor++ % blocks;
      const begin = performance.now();
      if (write) await device.write(block * spec.blockSize, buffer);
      else await device.readInto(buffer, block * spec.blockSize);
      if (samples < latencies.length) latencies[samples++] = performance.now() - begin;
      operations++;
    }
  };
  await Promise.all(Array.from({ length: spec.queueDepth }, (_, index) => worker(index)));
  const elapsed = (performance.now() - started) / 1000;
  const after = framesAcked(device);
  const sorted = latencies.subarray(0, samples).sort();
  const percentileUs = (p: number): number =>
    samples === 0 ? 0 : Math.round(sorted[Math.min(samples - 1, Math.floor(p * samples))] * 1000);
  const bytes = operations * spec.blockSize;
  return {
    pattern: spec.pattern,
    blockSize: spec.blockSize,
    queueDepth: spec.queueDepth,
    seconds: elapsed,
    operations,
    bytes,
    megabytesPerSecond: bytes / 1e6 / elapsed,
    iops: operations / elapsed,
    latencyP50Us: percentileUs(0.5),
    latencyP99Us: percentileUs(0.99),
    frames: after.frames - before.frames,
    retransmits: after.retransmits - before.retransmits,
  };
}
