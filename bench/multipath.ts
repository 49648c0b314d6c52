// Scenario (b): N tbf-shaped links; aoekit initiator + one aoeblade on all links vs one vblade per link; plus the shaped ceiling (c).
import { createLab } from '../tools/lab/netlab.js';
import { nextLabPrefix, noiseGuardOf } from './options.js';
import { measureTarget, targetOrder, type ScenarioContext } from './target-vs-vblade.js';
import { dataFrameSize, runCeiling } from './transport-ceiling.js';
import type { BenchOptions, RawRun } from './types.js';
import type { WorkloadSpec } from './workload.js';

export interface MultipathHooks {
  record(run: RawRun): void;
  fail(message: string): void;
  log(message: string): void;
  /** Creates (and fills) the tmpfs backing file for a lab; returns its path and a remover. */
  makeBacking(prefix: string): Promise<{ path: string; remove(): Promise<void> }>;
}

export async function runMultipath(options: BenchOptions, hooks: MultipathHooks): Promise<void> {
  const workloads: WorkloadSpec[] = [{ name: 'seqread', pattern: 'seqread', blockSize: 1 << 20, queueDepth: 4, seconds: options.seconds }];
  for (const mtu of options.mtus) {
    for (const links of options.linkCounts) {
      hooks.log(`multipath: MTU ${mtu}, ${links} link(s), tbf ${options.rate}`);
      let lab: Awaited<ReturnType<typeof createLab>>;
      try {
        lab = await createLab({ links, mtu, rate: options.rate, prefix: nextLabPrefix(options) });
      } catch (error) {
        hooks.fail(`multipath MTU ${mtu} links ${links}: cannot build the lab: ${(error as Error).message}`);
        continue;
      }
      const backing = await hooks.makeBacking(lab.prefix);
      try {
        const context: ScenarioContext = {
          lab,
          mtu,
          options,
          backingFile: backing.path,
          record: hooks.record,
          fail: hooks.fail,
          log: hooks.log,
        };
        const targetIfs = lab.links.map((link) => link.targetIf);
        const initiatorIfs = lab.links.map((link) => link.initiatorIf);
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
              backing.path,
              targetIfs,
              initiatorIfs,
              workloads,
              run,
              `mtu${mtu}/links${links}`,
              true,
            );
          }
        }
      } finally {
        await lab.destroy();
        await backing.remove();
      }
    }
  }
}
