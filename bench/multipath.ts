// Scenario (b): N tbf-shaped links; aoekit initiator + one aoeblade on all links vs one vblade per link; plus the shaped ceiling (c).
import { noiseGuardOf } from './options.js';
import { type MultipathHooks, withShapedLab } from './shaped-lab.js';
import { measureTarget, targetOrder } from './target-vs-vblade.js';
import { dataFrameSize, runCeiling } from './transport-ceiling.js';
import type { BenchOptions } from './types.js';
import type { WorkloadSpec } from './workload.js';

export async function runMultipath(options: BenchOptions, hooks: MultipathHooks): Promise<void> {
  const workloads: WorkloadSpec[] = [{ name: 'seqread', pattern: 'seqread', blockSize: 1 << 20, queueDepth: 4, seconds: options.seconds }];
  for (const mtu of options.mtus) {
    for (const links of options.linkCounts) {
      hooks.log(`multipath: MTU ${mtu}, ${links} link(s), tbf ${options.rate}`);
      await withShapedLab('multipath', options, hooks, links, mtu, async ({ context, targetIfs, initiatorIfs }) => {
        const lab = context.lab;
        // (c) on the same shaped links: the ceiling this scenario is judged against, so it is always measured here.
        await runCeiling(
          { lab, mtu, runs: options.runs, seconds: Math.min(options.seconds, 3), shaped: true, guard: noiseGuardOf(options), ...hooks },
          [dataFrameSize(mtu)],
        );
        // aoeblade and vblade back to back per run, order alternating by run, as in (a).
        for (let run = 1; run <= options.runs; run++) {
          for (const kind of targetOrder(options.targets, run)) {
            await measureTarget(
              context,
              'multipath',
              kind,
              kind,
              context.backingFile,
              targetIfs,
              initiatorIfs,
              workloads,
              run,
              `mtu${mtu}/links${links}`,
              true,
            );
          }
        }
      });
    }
  }
}
