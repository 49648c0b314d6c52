// Scenario (d): the initiator alone against a RAM-backed aoeblade on one unshaped link: MB/s and initiator CPU s/GB.
import { measureTarget, type ScenarioContext } from './target-vs-vblade.js';
import type { WorkloadSpec } from './workload.js';

export async function runInitiatorOverhead(context: ScenarioContext): Promise<void> {
  const { options } = context;
  const sequential = 1 << 20;
  const workloads: WorkloadSpec[] = [
    { name: 'seqread', pattern: 'seqread', blockSize: sequential, queueDepth: 4, seconds: options.seconds },
    { name: 'seqwrite', pattern: 'seqwrite', blockSize: sequential, queueDepth: 4, seconds: options.seconds },
  ];
  const link = context.lab.links[0];
  const backing = `ram:${options.sizeMiB}M`;
  for (let run = 1; run <= options.runs; run++) {
    await measureTarget(
      context,
      'initiator',
      'aoeblade',
      'aoeblade-ram',
      backing,
      [link.targetIf],
      [link.initiatorIf],
      workloads,
      run,
      `mtu${context.mtu}`,
      false,
    );
  }
}
