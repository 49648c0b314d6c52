// Scenario (a): aoeblade against vblade on one unshaped link, same tmpfs file, same aoekit client; throughput, IOPS, latency, target CPU/GB.
import type { Lab } from '../lab/netlab.js';
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

/**
 * Runs the workloads against one target started fresh for this run, and records each result.
 * `label` names the target in results ('aoeblade', 'vblade', 'aoeblade-ram').
 */
export async function measureTarget(
  context: ScenarioContext, scenario: RawRun['scenario'], kind: TargetKind, label: string, backing: string,
  targetInterfaces: string[], initiatorInterfaces: string[], workloads: WorkloadSpec[], run: number, keyPrefix: string, shaped: boolean,
): Promise<void> {
  const { lab, options } = context;
  const who = `${scenario}-mtu${context.mtu}-${label}`;
  let target;
  try {
    target = await startTarget(lab, {
      kind, shelf: SHELF, slot: SLOT, interfaces: targetInterfaces, backing, bufferCount: options.bufferCount,
      nodeFlags: profileFlags(options, `${who}-target`),
    });
  } catch (error) {
    context.fail(`${who} run ${run}: cannot start ${kind}: ${(error as Error).message}`);
    return;
  }
  try {
    const response = await runClientProcess({
      device: `e${SHELF}.${SLOT}`, netns: lab.initiatorNs, interfaces: initiatorInterfaces, workloads,
      spanBytes: options.sizeMiB * 1024 * 1024, targetPids: target.pids, openTimeoutMs: OPEN_TIMEOUT_MS,
    }, profileFlags(options, `${who}-initiator`));
    if (!response.ok) {
      context.fail(`${who} run ${run}: client failed: ${response.error ?? 'unknown error'}`);
      return;
    }
    if (response.paths !== initiatorInterfaces.length) {
      context.fail(`${who} run ${run}: only ${response.paths} of ${initiatorInterfaces.length} paths found`);
    }
    for (const result of response.results) {
      context.record({
        scenario, key: `${keyPrefix}/${label}/${result.name}`, run, mtu: context.mtu, links: targetInterfaces.length, shaped,
        target: label, workload: result.name, result,
      });
      context.log(`  ${who.padEnd(34)} run ${run} ${result.name.padEnd(15)} ${result.megabytesPerSecond.toFixed(1).padStart(7)} MB/s `
        + `${Math.round(result.iops).toString().padStart(7)} IOPS p50 ${result.latencyP50Us} us  target ${result.targetCpuSecondsPerGB.toFixed(2)} s/GB`);
    }
  } finally {
    await target.stop();
  }
}

/**
 * (a): per run and per workload, aoeblade and vblade back to back (order alternating by run), each started
 * fresh on t0 with the same file, so a burst of other load on this shared machine hits both targets alike.
 */
export async function runTargetVsVblade(context: ScenarioContext): Promise<void> {
  const workloads = selectedWorkloads(context.options);
  const link = context.lab.links[0];
  for (let run = 1; run <= context.options.runs; run++) {
    const kinds = run % 2 === 1 ? context.options.targets : [...context.options.targets].reverse();
    for (const workload of workloads) {
      for (const kind of kinds) {
        await measureTarget(context, 'target', kind, kind, context.backingFile, [link.targetIf], [link.initiatorIf], [workload], run, `mtu${context.mtu}`, false);
      }
    }
  }
}
