// Scenario (a): aoeblade against vblade on one unshaped link, same tmpfs file, same aoekit client; throughput, IOPS, latency, target CPU/GB.
import type { Lab } from '../tools/lab/netlab.js';
import { measureGuarded } from './noise.js';
import { noiseGuardOf } from './options.js';
import { runClientProcess, startTarget, type TargetKind } from './processes.js';
import type { BenchOptions, RawRun } from './types.js';
import { standardWorkloads, type WorkloadSpec } from './workload.js';

export const SHELF = 1;
export const SLOT = 1;
const OPEN_TIMEOUT_MS = 15_000;

export interface ScenarioContext {
  lab: Lab;
  mtu: number;
  options: BenchOptions;
  /** tmpfs backing file, the same for every target. */
  backingFile: string;
  record(run: RawRun): void;
  fail(message: string): void;
  log(message: string): void;
}

export function selectedWorkloads(options: BenchOptions): WorkloadSpec[] {
  const all = standardWorkloads(options.seconds);
  if (options.workloads === undefined) return all;
  return all.filter((spec) => options.workloads?.includes(spec.name));
}

export function profileFlags(options: BenchOptions, who: string): string[] {
  return options.profileDir === undefined ? [] : ['--cpu-prof', `--cpu-prof-dir=${options.profileDir}/${who}`];
}

type UnguardedRun = Omit<RawRun, 'noisy' | 'attempt'>;

/**
 * Runs the workloads against one target started fresh for this run; every run is recorded, marked noisy when its other load
 * exceeds the noise limit, and the whole measurement is repeated (up to the retry count) while one was noisy.
 * `label` names the target in results ('aoeblade', 'vblade', 'aoeblade-ram').
 */
export async function measureTarget(
  context: ScenarioContext,
  scenario: RawRun['scenario'],
  kind: TargetKind,
  label: string,
  backing: string,
  targetInterfaces: string[],
  initiatorInterfaces: string[],
  workloads: WorkloadSpec[],
  run: number,
  keyPrefix: string,
  shaped: boolean,
  workers?: number,
  linkThreads = false,
): Promise<void> {
  const measurement: Measurement = {
    workers: workers ?? context.options.workers,
    linkThreads,
    scenario,
    kind,
    label,
    backing,
    targetInterfaces,
    initiatorInterfaces,
    workloads,
    run,
    keyPrefix,
    shaped,
  };
  await measureGuarded(noiseGuardOf(context.options), context, `${scenario}-mtu${context.mtu}-${label} run ${run}`, (attempt) =>
    measureOnce(context, measurement, attempt),
  );
}

interface Measurement {
  scenario: RawRun['scenario'];
  kind: TargetKind;
  label: string;
  backing: string;
  targetInterfaces: string[];
  initiatorInterfaces: string[];
  workloads: WorkloadSpec[];
  run: number;
  keyPrefix: string;
  shaped: boolean;
  /** aoeblade's worker threads. */
  workers: number | undefined;
  /** The initiator's NICs on threads of their own. */
  linkThreads: boolean;
}

async function measureOnce(context: ScenarioContext, measurement: Measurement, attempt: number): Promise<UnguardedRun[] | undefined> {
  const { lab, options } = context;
  const { scenario, kind, label, backing, targetInterfaces, initiatorInterfaces, workloads, run, keyPrefix, shaped } = measurement;
  const who = `${scenario}-mtu${context.mtu}-${label}`;
  const runName = attempt === 0 ? `run ${run}` : `run ${run}.${attempt}`;
  let target: Awaited<ReturnType<typeof startTarget>>;
  try {
    target = await startTarget(lab, {
      kind,
      shelf: SHELF,
      slot: SLOT,
      interfaces: targetInterfaces,
      backing,
      bufferCount: options.bufferCount,
      nodeFlags: profileFlags(options, `${who}-target`),
      workers: measurement.workers,
    });
  } catch (error) {
    context.fail(`${who} ${runName}: cannot start ${kind}: ${(error as Error).message}`);
    return undefined;
  }
  try {
    const response = await runClientProcess(
      {
        device: `e${SHELF}.${SLOT}`,
        netns: lab.initiatorNs,
        interfaces: initiatorInterfaces,
        workloads,
        spanBytes: options.sizeMiB * 1024 * 1024,
        targetPids: target.pids,
        backingServerPids: target.backingServerPids,
        openTimeoutMs: OPEN_TIMEOUT_MS,
        linkThreads: measurement.linkThreads,
      },
      profileFlags(options, `${who}-initiator`),
    );
    if (!response.ok) {
      context.fail(`${who} ${runName}: client failed: ${response.error ?? 'unknown error'}`);
      return undefined;
    }
    if (response.paths !== initiatorInterfaces.length) {
      context.fail(`${who} ${runName}: only ${response.paths} of ${initiatorInterfaces.length} paths found`);
    }
    return response.results.map((result) => {
      context.log(
        `  ${who.padEnd(34)} ${runName.padEnd(7)} ${result.name.padEnd(15)} ${result.megabytesPerSecond.toFixed(1).padStart(7)} MB/s ` +
          `${Math.round(result.iops).toString().padStart(7)} IOPS p50 ${result.latencyP50Us} us  target ${result.targetCpuSecondsPerGB.toFixed(2)} s/GB` +
          `  other ${result.otherBusyCores.toFixed(2)} cores`,
      );
      return {
        scenario,
        key: `${keyPrefix}/${label}/${result.name}`,
        run,
        mtu: context.mtu,
        links: targetInterfaces.length,
        shaped,
        target: label,
        workload: result.name,
        otherLoadCores: result.otherBusyCores,
        result,
      };
    });
  } finally {
    await target.stop();
  }
}

/** Per run, the targets in alternating order (run 1 as given, run 2 reversed, ...), so drifting load hits both alike. */
export function targetOrder<T>(targets: readonly T[], run: number): T[] {
  return run % 2 === 1 ? [...targets] : [...targets].reverse();
}

/**
 * (a): per run and per workload, aoeblade and vblade back to back (order alternating by run), each started
 * fresh on t0 with the same file, so a burst of other load on this shared machine hits both targets alike.
 */
export async function runTargetVsVblade(context: ScenarioContext): Promise<void> {
  const workloads = selectedWorkloads(context.options);
  const link = context.lab.links[0];
  for (let run = 1; run <= context.options.runs; run++) {
    const kinds = targetOrder(context.options.targets, run);
    for (const workload of workloads) {
      for (const kind of kinds) {
        await measureTarget(
          context,
          'target',
          kind,
          kind,
          context.backingFile,
          [link.targetIf],
          [link.initiatorIf],
          [workload],
          run,
          `mtu${context.mtu}`,
          false,
        );
      }
    }
  }
}
