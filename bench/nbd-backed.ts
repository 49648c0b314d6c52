// Scenario (e): aoeblade over an NBD server (nbdkit's memory plugin, unix socket) against aoeblade on ram:, seq read and write at MTU 9000.
import { measureTarget, targetOrder, type ScenarioContext } from './target-vs-vblade.js';
import type { TargetKind } from './processes.js';
import type { WorkloadSpec } from './workload.js';

/** Key prefix of this scenario's medians: `nbd-mtu9000/aoeblade-nbd/seqread` against `nbd-mtu9000/aoeblade-ram/seqread`. */
export const NBD_KEY_PREFIX = 'nbd-mtu';
export const DEFAULT_NBD_BUFFERS = 64;

/**
 * Same link, same workloads, same size, same buffer count: the only difference is the store, `ram:SIZE` in aoeblade's own
 * memory or the same amount of memory in nbdkit (allocator=malloc), reached through the NBD client. Per run both back to
 * back, in alternating order. The target's CPU figures count aoeblade and nbdkit together.
 *
 * Both targets advertise `--nbd-buffers` (default 64) instead of `--buffers`: every AoE request to an NBD-backed export
 * waits for an NBD round trip, so the initiator's window (capped by the buffer count) must cover that latency. 64 is
 * what the README recommends for NBD-backed exports; ram: gets the same, so the ratio compares stores, not windows.
 */
export async function runNbdBacked(baseContext: ScenarioContext): Promise<void> {
  const options = { ...baseContext.options, bufferCount: baseContext.options.nbdBufferCount ?? DEFAULT_NBD_BUFFERS };
  const context: ScenarioContext = { ...baseContext, options };
  const sequential = 1 << 20;
  const workloads: WorkloadSpec[] = [
    { name: 'seqread', pattern: 'seqread', blockSize: sequential, queueDepth: 4, seconds: options.seconds },
    { name: 'seqwrite', pattern: 'seqwrite', blockSize: sequential, queueDepth: 4, seconds: options.seconds },
  ];
  const link = context.lab.links[0];
  const backing = `ram:${options.sizeMiB}M`;
  const kinds: Array<[TargetKind, string]> = [
    ['aoeblade', 'aoeblade-ram'],
    ['aoeblade-nbd', 'aoeblade-nbd'],
  ];
  for (let run = 1; run <= options.runs; run++) {
    for (const [kind, label] of targetOrder(kinds, run)) {
      await measureTarget(
        context,
        'nbd',
        kind,
        label,
        backing,
        [link.targetIf],
        [link.initiatorIf],
        workloads,
        run,
        `${NBD_KEY_PREFIX}${context.mtu}`,
        false,
      );
    }
  }
}
