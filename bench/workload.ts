// One benchmark workload against an open initiator Device: seq/random read/write at a queue depth, timed, with latency percentiles and CPU.
import type { Device } from '../src/initiator/index.js';
import { runLoad, type LoadPattern, type LoadResult } from '../src/initiator/workload.js';
import { CpuMeter } from './cpu.js';

export type Pattern = LoadPattern;

export interface WorkloadSpec {
  /** Short stable name used in tables and results.json ('seqread', 'randread-qd32', ...). */
  name: string;
  pattern: Pattern;
  blockSize: number;
  queueDepth: number;
  seconds: number;
}

/** The library's load figures (initiator/workload.ts), named, with the CPU the run cost on each side. */
export interface WorkloadResult extends LoadResult {
  name: string;
  /** CPU seconds of the target process(es) over the run (from /proc/PID/stat, 10 ms resolution). */
  targetCpuSeconds: number;
  /** CPU seconds of the initiator (client) process over the run. */
  initiatorCpuSeconds: number;
  targetCpuSecondsPerGB: number;
  /** Of targetCpuSecondsPerGB, the backing-store server's share (nbdkit; 0 when the target has none). */
  backingServerCpuSecondsPerGB: number;
  initiatorCpuSecondsPerGB: number;
  /** Cores' worth of time the target's (all of targetPids) / the initiator's threads were runnable but waited for a CPU. */
  targetWaitCores: number;
  initiatorWaitCores: number;
  /** Busy CPU-seconds per second of the whole machine during the run (other jobs included; 2 = both of 2 CPUs busy). */
  machineBusyCores: number;
  /** Of those, cores used by kernel threads (ksoftirqd, kworkers: mostly the network stack carrying this run's frames). */
  kernelThreadCores: number;
  /** Cores used by other user processes (not the target(s), the client or the bench runner; from /proc/PID/stat of all of them). The noise guard's measure. */
  otherBusyCores: number;
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

/** Runs `spec` against `device` over its first `spanBytes` bytes (the library's runLoad); CPU of `targetPids` is sampled around it. */
export async function runWorkload(
  device: Device,
  spec: WorkloadSpec,
  spanBytes: number,
  targetPids: readonly number[],
  backingServerPids: readonly number[] = [],
): Promise<WorkloadResult> {
  const meter = new CpuMeter(targetPids, backingServerPids);
  const load = await runLoad(device, {
    pattern: spec.pattern,
    blockSize: spec.blockSize,
    queueDepth: spec.queueDepth,
    seconds: spec.seconds,
    spanBytes,
  });
  const cpu = meter.stop();
  const gigabytes = load.bytes / 1e9;
  return {
    ...load,
    name: spec.name,
    targetCpuSeconds: cpu.targetCpuSeconds,
    initiatorCpuSeconds: cpu.initiatorCpuSeconds,
    targetCpuSecondsPerGB: gigabytes > 0 ? cpu.targetCpuSeconds / gigabytes : Number.NaN,
    backingServerCpuSecondsPerGB: gigabytes > 0 ? cpu.backingServerCpuSeconds / gigabytes : Number.NaN,
    initiatorCpuSecondsPerGB: gigabytes > 0 ? cpu.initiatorCpuSeconds / gigabytes : Number.NaN,
    targetWaitCores: cpu.targetWaitSeconds / load.seconds,
    initiatorWaitCores: cpu.initiatorWaitSeconds / load.seconds,
    machineBusyCores: cpu.machineBusySeconds / load.seconds,
    kernelThreadCores: cpu.kernelThreadSeconds / load.seconds,
    otherBusyCores: cpu.otherProcessSeconds / load.seconds,
  };
}
