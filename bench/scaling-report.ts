// BENCHMARKS.md section (f): aoeblade worker threads against links, with cores used, frames/s per core, and what 4 x 1 GbE and 10 GbE need.
import { markdownTable as table, formatNumber as num, runsCell } from './report.js';
import type { BenchResults, Median } from './types.js';

/** Data frames per second at line rate: 1 GbE moves 120.75 MB/s of payload at MTU 1500 (1 KiB frames), 124.5 at 9000 (8.5 KiB). */
function lineRateFrames(mtu: number, gigabits: number): number {
  const payload = mtu >= 9000 ? 8704 : 1024;
  const bytesPerSecond = (mtu >= 9000 ? 124.5e6 : 120.75e6) * gigabits;
  return bytesPerSecond / payload;
}

function figures(median: Median): { cores: number; framesPerCore: number } {
  const values = median.values;
  const cores = values.targetCpuSeconds / values.seconds;
  return { cores, framesPerCore: values.targetCpuSeconds > 0 ? values.frames / values.targetCpuSeconds : Number.NaN };
}

/** One row per MTU, links and worker count; the ratio is against one worker on the same links in the same run. */
export function scalingSection(results: BenchResults): string {
  const medians = results.medians.filter((median) => median.scenario === 'scaling');
  if (medians.length === 0) return '_not run_';
  const rows = [
    [
      'MTU',
      'links',
      'aoeblade threads',
      'initiator',
      'MB/s',
      'x 1 worker',
      'target cores',
      'initiator cores',
      'frames/s per target core',
      'runs',
    ],
  ];
  const best = new Map<number, number>();
  for (const median of medians) {
    const workers = Number(/aoeblade-w(\d+)/.exec(median.target)?.[1] ?? 1);
    const one = medians.find((item) => item.mtu === median.mtu && item.links === median.links && item.target === 'aoeblade-w1');
    const { cores, framesPerCore } = figures(median);
    if (!median.target.endsWith('-lt')) best.set(median.mtu, Math.max(best.get(median.mtu) ?? 0, framesPerCore));
    rows.push([
      String(median.mtu),
      String(median.links),
      String(workers),
      median.target.endsWith('-lt') ? 'a thread per NIC' : 'one thread',
      num(median.values.megabytesPerSecond),
      one ? num(median.values.megabytesPerSecond / one.values.megabytesPerSecond, 2) : '-',
      num(cores, 2),
      num(median.values.initiatorCpuSeconds / median.values.seconds, 2),
      num(framesPerCore, 0),
      runsCell(median),
    ]);
  }
  const projection = [['MTU', 'frames/s per target core (best measured)', '4 x 1 GbE: frames/s, cores', '10 GbE: frames/s, cores']];
  for (const [mtu, perCore] of best) {
    const four = lineRateFrames(mtu, 4);
    const ten = lineRateFrames(mtu, 10);
    projection.push([
      String(mtu),
      num(perCore, 0),
      `${num(four, 0)}, ${num(four / perCore, 1)}`,
      `${num(ten, 0)}, ${num(ten / perCore, 1)}`,
    ]);
  }
  return `${table(rows)}

Target cores needed at line rate, from the best frames/s per core measured above (the kernel's veth and softirq work charged to the target included, as on real NICs the driver's would be):

${table(projection)}`;
}
