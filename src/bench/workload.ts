// One benchmark workload against an open initiator Device: seq/random read/write at a queue depth, timed, with latency percentiles and CPU.
import { performance } from 'node:perf_hooks';
import type { Device } from '../initiator/index.js';
import { CpuMeter } from './cpu.js';

export type Pattern = 'seqread' | 'seqwrite' | 'randread' | 'randwrite';

export interface WorkloadSpec {
  /** Short stable name used in tables and results.json ('seqread', 'randread-qd32', ...). */
  name: string;
  pattern: Pattern;
  blockSize: number;
  queueDepth: number;
  seconds: number;
}

export interface WorkloadResult {
  name: string;
  pattern: Pattern;
  blockSize: number;
  queueDepth: number;
  seconds: number;
  operations: number;
  bytes: number;
  megabytesPerSecond: number;
  iops: number;
  latencyP50Us: number;
  latencyP99Us: number;
  /** CPU seconds of the target process(es) over the run (from /proc/PID/stat, 10 ms resolution). */
  targetCpuSeconds: number;
  /** CPU seconds of the initiator (client) process over the run. */
  initiatorCpuSeconds: number;
  targetCpuSecondsPerGB: number;
  initiatorCpuSecondsPerGB: number;
  /** Busy CPU-seconds per second of the whole machine during the run (other jobs included; 2 = both of 2 CPUs busy). */
  machineBusyCores: number;
  /** Of those, cores used by kernel threads (ksoftirqd, kworkers: mostly the network stack carrying this run's frames). */
  kernelThreadCores: number;
  /** Cores used by other user processes (not the target(s), the client or the bench runner; from /proc/PID/stat of all of them). The noise guard's measure. */
  otherBusyCores: number;
  /** Frames the device had acknowledged, summed over paths, during the run. */
  frames: number;
  retransmits: number;
}

/** The standard set of scenario (a): large sequential I/O and 4 KiB random I/O at QD1/QD32. */
export function standardWorkloads(seconds: number, sequentialBlock = 1 << 20, sequentialDepth = 4): WorkloadSpec[] {
  return [
    { name: 'seqread', pattern: 'seqread', blockSize: sequentialBlock, queueDepth: sequentialDepth, seconds },
    { name: 'seqwrite', pattern: 'seqwrite', blockSize: sequentialBlock, queueDepth: sequentialDepth, seconds },
    { name: 'randread-qd1', pattern: 'randread', blockSize: 4096, queueDepth: 1, seconds },
    { name: 'randread-qd32', pattern: 'randread', blockSize: 4096, queueDepth: 32, seconds },
    { name: 'randwrite-qd32', pattern: 'randwrite', blockSize: 4096, queueDepth: 32, seconds },
  ];
}

function framesAcked(device: Device): { frames: number; retransmits: number } {
  const stats = device.stats();
  let frames = 0;
  for (const path of stats.paths) frames += path.framesAcked;
  return { frames, retransmits: stats.retransmits };
}

/** A small xorshift PRNG: deterministic block choice, no Math.random() cost in the loop. */
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

/** Runs `spec` against `device` over its first `spanBytes` bytes; CPU of `targetPids` is sampled around it. */
export async function runWorkload(device: Device, spec: WorkloadSpec, spanBytes: number, targetPids: readonly number[]): Promise<WorkloadResult> {
  const span = Math.min(device.size, spanBytes);
  const blocks = Math.floor(span / spec.blockSize);
  if (blocks < 1) throw Object.assign(new Error(`block size ${spec.blockSize} exceeds the device span ${span}`), { code: 'ERR_BENCH_SPAN' });
  const write = spec.pattern.endsWith('write');
  const random = spec.pattern.startsWith('rand');
  const nextRandom = makeRandom(0x9e3779b9 ^ spec.blockSize ^ spec.queueDepth);
  const latencies = new Float64Array(Math.min(8_000_000, Math.max(1024, Math.ceil(spec.seconds * 400_000))));
  let samples = 0;
  let operations = 0;
  let cursor = 0;
  const before = framesAcked(device);
  const meter = new CpuMeter(targetPids);
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
  const cpu = meter.stop();
  const after = framesAcked(device);
  const sorted = latencies.subarray(0, samples).sort();
  const percentileUs = (p: number): number => (samples === 0 ? 0 : Math.round(sorted[Math.min(samples - 1, Math.floor(p * samples))] * 1000));
  const bytes = operations * spec.blockSize;
  const gigabytes = bytes / 1e9;
  return {
    name: spec.name,
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
    targetCpuSeconds: cpu.targetCpuSeconds,
    initiatorCpuSeconds: cpu.initiatorCpuSeconds,
    targetCpuSecondsPerGB: gigabytes > 0 ? cpu.targetCpuSeconds / gigabytes : Number.NaN,
    initiatorCpuSecondsPerGB: gigabytes > 0 ? cpu.initiatorCpuSeconds / gigabytes : Number.NaN,
    machineBusyCores: cpu.machineBusySeconds / elapsed,
    kernelThreadCores: cpu.kernelThreadSeconds / elapsed,
    otherBusyCores: cpu.otherProcessSeconds / elapsed,
    frames: after.frames - before.frames,
    retransmits: after.retransmits - before.retransmits,
  };
}
