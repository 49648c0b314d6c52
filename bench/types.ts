// Shapes shared by the benchmark scenarios, the runner and the report: options, raw runs, medians, goals.
import type { HandoffResult } from './handoff.js';
import type { WorkloadResult } from './workload.js';

export type ScenarioName = 'target' | 'multipath' | 'transport' | 'initiator' | 'nbd' | 'scaling' | 'handoff';
export const SCENARIOS: readonly ScenarioName[] = ['target', 'multipath', 'transport', 'initiator', 'nbd', 'scaling', 'handoff'];

export interface BenchOptions {
  scenarios: ScenarioName[];
  runs: number;
  /** Seconds per workload run. */
  seconds: number;
  mtus: number[];
  /** Multipath link counts, e.g. [1, 2, 3, 4]. */
  linkCounts: number[];
  /** tbf rate for the multipath scenario. */
  rate: string;
  /** Backing file size (tmpfs) and RAM disk size, MiB. */
  sizeMiB: number;
  /** Buffer count advertised by both targets (-b). */
  bufferCount: number;
  /** Buffer count of both targets in the nbd scenario (--nbd-buffers, default 64). Absent in results from before it. */
  nbdBufferCount?: number;
  /** Workload names of scenario (a) to run (default all). */
  workloads: string[] | undefined;
  /** Targets to compare (default both). */
  targets: Array<'aoeblade' | 'vblade'>;
  /** Where .cpuprofile files go when profiling (aoeblade and client get --cpu-prof), or undefined. */
  profileDir: string | undefined;
  quick: boolean;
  /** Noise guard: a run whose other load exceeds this many busy cores is marked noisy and re-run (--noise-limit). Absent in results from before the guard. */
  noiseLimitCores?: number;
  /** Re-runs allowed per noisy measurement (--noise-retries). */
  noiseRetries?: number;
  /** Labs are named this + pid + counter (--lab-prefix, or AOEKIT_LAB_PREFIX); undefined = the lab's default 'ak' prefix. */
  labPrefix?: string;
  /** Worker threads of aoeblade in scenarios (a)-(d) (--workers; default 1). Scenario (f) runs 1..--max-workers. */
  workers?: number;
  /** Scenario (f) measures aoeblade with 1 up to this many worker threads (--max-workers; default 2). */
  maxWorkers?: number;
}

/** One measured run. `scenario`+`key` identify the group its median belongs to. */
export interface RawRun {
  scenario: ScenarioName;
  /** Group key, e.g. 'mtu1500/aoeblade/seqread' or 'mtu9000/links3/vblade/seqread'. */
  key: string;
  run: number;
  mtu: number;
  links: number;
  shaped: boolean;
  /** 'aoeblade', 'vblade', 'aoeblade-ram', 'aoeblade-nbd' or 'transport'. */
  target: string;
  workload: string;
  /** Cores used by other user processes during the run (not the measured processes, the bench, or kernel threads; from /proc/PID/stat). */
  otherLoadCores: number;
  /** otherLoadCores was above the noise limit: left out of the median when enough clean runs exist. */
  noisy: boolean;
  /** 0 for the first measurement of this run, 1.. for re-runs after a noisy one (every attempt is kept). */
  attempt: number;
  result: WorkloadResult | TransportRun;
}

export interface TransportRun {
  frameSize: number;
  payloadBytes: number;
  links: number;
  framesPerSecond: number;
  payloadMegabytesPerSecond: number;
  framesLost: number;
  /** CPU seconds of the measuring processes (every link's sender thread + receiver) per million frames. */
  cpuSecondsPerMillionFrames: number;
  /** Cores used by other user processes during the measurement (not the link processes, the bench, or kernel threads). */
  otherBusyCores: number;
  /** One process per link (sender thread + receiver each); absent in results from before: then every link's sender was a thread of the bench process. */
  linkProcesses?: number;
  perLink: Array<{ framesPerSecond: number; lost: number }>;
}

/** Median over the runs of one group, for every numeric field of the result. */
export interface Median {
  scenario: ScenarioName;
  key: string;
  mtu: number;
  links: number;
  shaped: boolean;
  target: string;
  workload: string;
  /** Runs the median is computed over. */
  runs: number;
  /** Noisy runs in the group (absent in results from before the noise guard). */
  noisyRuns?: number;
  /** Noisy runs included in the median because fewer than 3 clean runs existed. */
  noisyIncluded?: number;
  values: Record<string, number>;
}

export interface Ratio {
  /** e.g. 'mtu1500/seqread/megabytesPerSecond'. */
  key: string;
  aoeblade: number;
  vblade: number;
  ratio: number;
  /** Either median included noisy runs (fewer than 3 clean ones). */
  noisyIncluded?: boolean;
}

export interface Goal {
  id: string;
  description: string;
  measured: number;
  /** The number it is compared against (a threshold, or vblade's figure times a factor). */
  threshold: number;
  /** 'ge' = measured >= threshold passes; 'le' = measured <= threshold passes. */
  comparison: 'ge' | 'le';
  pass: boolean;
  /** measured / reference, where reference is what the goal is stated against. */
  ratio: number;
}

export interface MachineInfo {
  cpuModel: string;
  cpus: number;
  kernel: string;
  node: string;
  vblade: string;
  date: string;
  hostname: string;
  memoryGiB: number;
}

export interface Projection {
  side: 'target' | 'initiator';
  mtu: number;
  /** Frames handled per CPU-second of that process, measured on seq read. */
  framesPerCpuSecond: number;
  /** 10 GbE line rate in data frames/s at this MTU. */
  lineRateFrames: number;
  coresNeeded: number;
}

/** A scenario measured later and merged into an earlier run's results (--merge). */
export interface MergedRun {
  scenarios: ScenarioName[];
  date: string;
  runs: number;
  seconds: number;
  sizeMiB: number;
  noisyRuns: number;
  rawRuns: number;
}

export interface BenchResults {
  machine: MachineInfo;
  /** Scenarios merged in from later runs (their runs replace that scenario's runs of the original). */
  merged?: MergedRun[];
  options: BenchOptions;
  runs: RawRun[];
  medians: Median[];
  ratios: Ratio[];
  goals: Goal[];
  /** Scenario (g): every round of every hand-off case (bench/handoff.ts), or absent when not measured. */
  handoff?: HandoffResult[][];
  projections: Projection[];
  errors: string[];
}
