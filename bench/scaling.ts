// Scenario (f): aoeblade with 1, 2, ... worker threads, and the initiator with a thread per NIC, on shaped links, in one run.
import { type MultipathHooks, withShapedLab } from './shaped-lab.js';
import { measureTarget } from './target-vs-vblade.js';
import type { BenchOptions } from './types.js';
import type { WorkloadSpec } from './workload.js';

/** The worker counts of one run, in an order that alternates from run to run (a burst of other load hits every count alike). */
export function workerOrder(maxWorkers: number, run: number): number[] {
  const counts = Array.from({ length: maxWorkers }, (_, index) => index + 1);
  return run % 2 === 1 ? counts : counts.reverse();
}

export async function runScaling(options: BenchOptions, hooks: MultipathHooks): Promise<void> {
  const workloads: WorkloadSpec[] = [{ name: 'seqread', pattern: 'seqread', blockSize: 1 << 20, queueDepth: 4, seconds: options.seconds }];
  const maxWorkers = options.maxWorkers ?? 2;
  for (const mtu of options.mtus) {
    for (const links of options.linkCounts) {
      if (links < 2) continue; // one NIC is one thread whatever --workers says
      hooks.log(`scaling: MTU ${mtu}, ${links} link(s), tbf ${options.rate}, workers 1..${maxWorkers}`);
      await withShapedLab('scaling', options, hooks, links, mtu, async ({ context, targetIfs, initiatorIfs }) => {
        const measure = (run: number, workers: number, linkThreads: boolean) =>
          measureTarget(
            context,
            'scaling',
            'aoeblade',
            `aoeblade-w${workers}${linkThreads ? '-lt' : ''}`,
            context.backingFile,
            targetIfs,
            initiatorIfs,
            workloads,
            run,
            `mtu${mtu}/links${links}`,
            true,
            workers,
            linkThreads,
          );
        for (let run = 1; run <= options.runs; run++) {
          for (const workers of workerOrder(Math.min(maxWorkers, links), run)) {
            // One aoeblade thread is also measured with the initiator's NICs on threads of their own (ThreadLink).
            if (workers === 1 && run % 2 === 0) await measure(run, 1, true);
            await measure(run, workers, false);
            if (workers === 1 && run % 2 === 1) await measure(run, 1, true);
          }
        }
      });
    }
  }
}
