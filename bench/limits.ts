// Names the resource that limits a measured number: the link's rate, one process's CPU, both cores, or latency.
import { GBE_PAYLOAD_MBPS } from './analysis.js';
import { DEFAULT_NOISE_LIMIT_CORES } from './noise.js';
import type { Median } from './types.js';

/** Cores on which a single-threaded event loop counts as saturated. */
const PROCESS_SATURATED = 0.9;
/** The two processes together (the kernel's softirq work lands on them) count as filling the machine above this. */
const MACHINE_SATURATED_SHARE = 0.85;
/** Threads runnable but without a CPU, in cores, above which the CPUs are contended though not all busy all the time. */
const CONTENDED_WAIT_CORES = 0.25;

export interface Limit {
  targetCores: number;
  initiatorCores: number;
  /** Cores used by other user processes (other jobs), not by either measured process or kernel threads. */
  otherCores: number;
  linkShare: number | undefined;
  limit: string;
}

export function limitOf(median: Median, cpus: number): Limit {
  const values = median.values;
  const seconds = values.seconds || 1;
  const targetCores = (values.targetCpuSeconds ?? 0) / seconds;
  const initiatorCores = (values.initiatorCpuSeconds ?? 0) / seconds;
  // Of the target's cores, the backing-store server's (nbdkit): a process of its own, not aoeblade's event loop.
  const serverCores = ((values.backingServerCpuSecondsPerGB || 0) * (values.bytes ?? 0)) / 1e9 / seconds;
  const loopCores = targetCores - serverCores;
  const server = serverCores > 0 ? ' + nbdkit' : '';
  const lineRate = GBE_PAYLOAD_MBPS[median.mtu];
  const linkShare =
    median.shaped && lineRate !== undefined && values.megabytesPerSecond !== undefined
      ? values.megabytesPerSecond / (median.links * lineRate)
      : undefined;
  let limit: string;
  const threads = Number(/-w(\d+)$/.exec(median.target)?.[1] ?? 1);
  if (linkShare !== undefined && linkShare >= 0.9) limit = 'link rate (tbf 1 Gbit/s per link)';
  else if (threads > 1 && targetCores + initiatorCores >= MACHINE_SATURATED_SHARE * cpus)
    limit = `both cores (aoeblade's ${threads} threads + initiator + kernel softirq on ${cpus} CPUs)`;
  else if (threads > 1 && loopCores >= threads * PROCESS_SATURATED) limit = `target CPU (all ${threads} of aoeblade's threads busy)`;
  else if (threads === 1 && loopCores >= PROCESS_SATURATED && loopCores >= initiatorCores)
    limit = `target CPU (${median.target} event loop, one core)`;
  else if (initiatorCores >= PROCESS_SATURATED) limit = 'initiator CPU (client event loop, one core)';
  else if (targetCores + initiatorCores >= MACHINE_SATURATED_SHARE * cpus)
    limit = `both cores (target${server} + initiator + kernel softirq on ${cpus} CPUs)`;
  else if ((values.machineBusyCores ?? 0) >= MACHINE_SATURATED_SHARE * cpus) {
    const other = values.otherBusyCores ?? 0;
    // Busy CPUs and no other process to speak of: the rest is softirq work (this run's frames) charged to no process.
    limit =
      other < DEFAULT_NOISE_LIMIT_CORES
        ? `both cores (target${server} + initiator + the kernel's network work outside them on ${cpus} CPUs)`
        : `all ${cpus} CPUs busy, ${other.toFixed(2)} cores of it other processes (noisy run)`;
  } else if ((values.targetWaitCores ?? 0) + (values.initiatorWaitCores ?? 0) >= CONTENDED_WAIT_CORES) {
    const waiting = (values.targetWaitCores ?? 0) + (values.initiatorWaitCores ?? 0);
    limit = `CPU contention: more runnable threads than CPUs (target${server} and initiator waited ${waiting.toFixed(2)} cores for a CPU)`;
  } else if (values.queueDepth === 1) limit = 'round-trip latency (one request in flight)';
  else limit = 'window/latency: no CPU or link saturated (pipelining stalls)';
  return { targetCores, initiatorCores, otherCores: values.otherBusyCores ?? 0, linkShare, limit };
}
