// Turns raw runs into medians, aoeblade/vblade ratios, goal verdicts and the 10 GbE projection.
import { selectMedianRuns } from './noise.js';
import { dataFrameSize } from './transport-ceiling.js';
import type { BenchOptions, Goal, Median, Projection, Ratio, RawRun } from './types.js';

/** Payload line rate of one 1 GbE link, MB/s (AOE-NOTES §3). */
export const GBE_PAYLOAD_MBPS: Record<number, number> = { 1500: 120.75, 9000: 124.5 };
const TEN_GBE_BYTES_PER_SECOND = 10e9 / 8;

function medianOf(values: number[]): number {
  const sorted = values.filter((value) => Number.isFinite(value)).sort((a, b) => a - b);
  if (sorted.length === 0) return Number.NaN;
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
}

/** Median per group of runs (same key): over the clean runs when at least 3 exist, else over all of them (noisyIncluded says how many were noisy). */
export function computeMedians(runs: RawRun[]): Median[] {
  const groups = new Map<string, RawRun[]>();
  for (const run of runs) {
    const group = groups.get(run.key);
    if (group) group.push(run);
    else groups.set(run.key, [run]);
  }
  return [...groups.values()].map((group) => {
    const first = group[0];
    const selection = selectMedianRuns(group);
    const values: Record<string, number> = {};
    for (const [field, value] of Object.entries(first.result)) {
      if (typeof value !== 'number') continue;
      values[field] = medianOf(selection.runs.map((run) => (run.result as unknown as Record<string, number>)[field]));
    }
    return {
      scenario: first.scenario,
      key: first.key,
      mtu: first.mtu,
      links: first.links,
      shaped: first.shaped,
      target: first.target,
      workload: first.workload,
      runs: selection.runs.length,
      noisyRuns: selection.noisyRuns,
      noisyIncluded: selection.noisyIncluded,
      values,
    };
  });
}

export class MedianIndex {
  private readonly byKey: Map<string, Median>;
  constructor(medians: Median[]) {
    this.byKey = new Map(medians.map((median) => [median.key, median]));
  }
  get(key: string, field: string): number | undefined {
    const value = this.byKey.get(key)?.values[field];
    return value === undefined || !Number.isFinite(value) ? undefined : value;
  }
}

const RATIO_FIELDS = ['megabytesPerSecond', 'iops', 'latencyP50Us', 'latencyP99Us', 'targetCpuSecondsPerGB'];

export function computeRatios(medians: Median[]): Ratio[] {
  const index = new MedianIndex(medians);
  const byKey = new Map(medians.map((median) => [median.key, median]));
  const ratios: Ratio[] = [];
  for (const median of medians) {
    if (median.target !== 'aoeblade' || (median.scenario !== 'target' && median.scenario !== 'multipath')) continue;
    const vbladeKey = median.key.replace('/aoeblade/', '/vblade/');
    const fields = median.scenario === 'multipath' ? ['megabytesPerSecond', 'targetCpuSecondsPerGB'] : RATIO_FIELDS;
    for (const field of fields) {
      const aoeblade = median.values[field];
      const vblade = index.get(vbladeKey, field);
      if (vblade === undefined || !Number.isFinite(aoeblade) || vblade === 0) continue;
      const noisyIncluded = (median.noisyIncluded ?? 0) > 0 || (byKey.get(vbladeKey)?.noisyIncluded ?? 0) > 0;
      ratios.push({ key: `${median.key.replace('/aoeblade/', '/')}/${field}`, aoeblade, vblade, ratio: aoeblade / vblade, noisyIncluded });
    }
  }
  return ratios;
}

function goal(
  id: string,
  description: string,
  measured: number | undefined,
  reference: number | undefined,
  factor: number,
  comparison: 'ge' | 'le',
): Goal | undefined {
  if (measured === undefined || reference === undefined || reference === 0) return undefined;
  const threshold = reference * factor;
  const pass = comparison === 'ge' ? measured >= threshold : measured <= threshold;
  return { id, description, measured, threshold, comparison, pass, ratio: measured / reference };
}

export function computeGoals(medians: Median[], options: BenchOptions): Goal[] {
  const index = new MedianIndex(medians);
  const goals: Array<Goal | undefined> = [];
  for (const links of options.linkCounts) {
    const prefix9000 = `mtu9000/links${links}`;
    if (links <= 3) {
      goals.push(
        goal(
          `multipath-9000-${links}`,
          `MTU 9000, ${links} link(s): aoekit >= 0.95 x ${links} x 124.5 MB/s`,
          index.get(`${prefix9000}/aoeblade/seqread`, 'megabytesPerSecond'),
          links * GBE_PAYLOAD_MBPS[9000],
          0.95,
          'ge',
        ),
      );
    }
    const prefix1500 = `mtu1500/links${links}`;
    const aoekit1500 = index.get(`${prefix1500}/aoeblade/seqread`, 'megabytesPerSecond');
    goals.push(
      goal(
        `multipath-1500-${links}-vblade`,
        `MTU 1500, ${links} link(s): aoekit >= 1.0 x vblade-per-link`,
        aoekit1500,
        index.get(`${prefix1500}/vblade/seqread`, 'megabytesPerSecond'),
        1.0,
        'ge',
      ),
    );
    goals.push(
      goal(
        `multipath-1500-${links}-ceiling`,
        `MTU 1500, ${links} link(s): aoekit >= 0.9 x shaped one-way ceiling`,
        aoekit1500,
        index.get(`${prefix1500}/shaped/transport/frames${dataFrameSize(1500)}`, 'payloadMegabytesPerSecond'),
        0.9,
        'ge',
      ),
    );
  }
  for (const mtu of options.mtus) {
    const ratioGoal = (workload: string, field: string, factor: number, comparison: 'ge' | 'le', text: string): void => {
      goals.push(
        goal(
          `target-${mtu}-${workload}-${field}`,
          `MTU ${mtu}, ${workload}: aoeblade ${text}`,
          index.get(`mtu${mtu}/aoeblade/${workload}`, field),
          index.get(`mtu${mtu}/vblade/${workload}`, field),
          factor,
          comparison,
        ),
      );
    };
    ratioGoal('seqread', 'megabytesPerSecond', 1.0, 'ge', 'MB/s >= 1.0 x vblade');
    ratioGoal('seqwrite', 'megabytesPerSecond', 1.0, 'ge', 'MB/s >= 1.0 x vblade');
    ratioGoal('randread-qd32', 'iops', 1.0, 'ge', 'IOPS >= 1.0 x vblade');
    ratioGoal('randwrite-qd32', 'iops', 1.0, 'ge', 'IOPS >= 1.0 x vblade');
    ratioGoal('randread-qd1', 'latencyP50Us', 1.25, 'le', 'p50 latency <= 1.25 x vblade');
    for (const workload of ['seqread', 'seqwrite', 'randread-qd32'])
      ratioGoal(workload, 'targetCpuSecondsPerGB', 1.0, 'le', 'CPU s/GB <= vblade');
  }
  goals.push(
    goal(
      'nbd-9000-seqread',
      'MTU 9000, seqread: aoeblade over nbdkit (NBD, unix socket) MB/s >= 0.7 x aoeblade ram:',
      index.get('nbd-mtu9000/aoeblade-nbd/seqread', 'megabytesPerSecond'),
      index.get('nbd-mtu9000/aoeblade-ram/seqread', 'megabytesPerSecond'),
      0.7,
      'ge',
    ),
  );
  return goals.filter((item): item is Goal => item !== undefined);
}

/** Frames per CPU-second on seq read (target from (a), initiator from (d)) projected onto 10 GbE line rate. */
export function computeProjections(medians: Median[], mtus: number[]): Projection[] {
  const index = new MedianIndex(medians);
  const projections: Projection[] = [];
  for (const mtu of mtus) {
    const lineRateFrames = TEN_GBE_BYTES_PER_SECOND / dataFrameSize(mtu);
    const sides: Array<[Projection['side'], string, string]> = [
      ['target', `mtu${mtu}/aoeblade/seqread`, 'targetCpuSeconds'],
      ['initiator', `mtu${mtu}/aoeblade-ram/seqread`, 'initiatorCpuSeconds'],
    ];
    for (const [side, key, cpuField] of sides) {
      const frames = index.get(key, 'frames');
      const cpu = index.get(key, cpuField);
      if (frames === undefined || cpu === undefined || cpu <= 0) continue;
      const framesPerCpuSecond = frames / cpu;
      projections.push({ side, mtu, framesPerCpuSecond, lineRateFrames, coresNeeded: lineRateFrames / framesPerCpuSecond });
    }
  }
  return projections;
}
