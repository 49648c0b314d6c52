// Scenario (c): one-way frames/s through the addon (no AoE logic) on one or several links at once: the ceiling (b) is judged against.
import type { Lab } from '../lab/netlab.js';
import { ATA_DATA_OFFSET, SECTOR_SIZE, sectorsForMtu } from '../wire/constants.js';
import { selfCpuSeconds } from './cpu.js';
import { measureTransport } from './transport.js';
import type { RawRun, TransportRun } from './types.js';

/** Whole frame length of a full AoE data frame at this MTU: 1060 B (1 KiB payload) at 1500, 8740 B (8.5 KiB) at 9000. */
export function dataFrameSize(mtu: number): number {
  return ATA_DATA_OFFSET + sectorsForMtu(mtu) * SECTOR_SIZE;
}

/** Pushes `frameSize`-byte frames one way (initiator side to target side) on `linkCount` links of `lab` at once. */
export async function measureCeiling(lab: Lab, linkCount: number, frameSize: number, durationMs: number): Promise<TransportRun> {
  const cpuBefore = selfCpuSeconds();
  const results = await Promise.all(
    Array.from({ length: linkCount }, (_, linkIndex) => measureTransport({ lab, linkIndex, frameSize, durationMs })),
  );
  const cpu = selfCpuSeconds() - cpuBefore;
  const framesPerSecond = results.reduce((sum, result) => sum + result.receivedPerSecond, 0);
  const frames = results.reduce((sum, result) => sum + result.framesReceived, 0);
  const payloadBytes = frameSize - ATA_DATA_OFFSET;
  return {
    frameSize,
    payloadBytes,
    links: linkCount,
    framesPerSecond,
    payloadMegabytesPerSecond: (framesPerSecond * payloadBytes) / 1e6,
    framesLost: results.reduce((sum, result) => sum + result.framesLost, 0),
    cpuSecondsPerMillionFrames: frames > 0 ? (cpu / frames) * 1e6 : Number.NaN,
    perLink: results.map((result) => ({ framesPerSecond: result.receivedPerSecond, lost: result.framesLost })),
  };
}

export interface CeilingContext {
  lab: Lab;
  mtu: number;
  runs: number;
  seconds: number;
  shaped: boolean;
  record(run: RawRun): void;
  fail(message: string): void;
  log(message: string): void;
}

/** Records the ceiling for each frame size, `runs` times, over all of the lab's links. */
export async function runCeiling(context: CeilingContext, frameSizes: number[]): Promise<void> {
  const linkCount = context.lab.links.length;
  for (let run = 1; run <= context.runs; run++) {
    for (const frameSize of frameSizes) {
      const workload = `frames${frameSize}`;
      const prefix = context.shaped ? `mtu${context.mtu}/links${linkCount}/shaped` : `mtu${context.mtu}/unshaped`;
      try {
        const result = await measureCeiling(context.lab, linkCount, frameSize, context.seconds * 1000);
        context.record({ scenario: 'transport', key: `${prefix}/transport/${workload}`, run, mtu: context.mtu, links: linkCount, shaped: context.shaped, target: 'transport', workload, result });
        context.log(`  transport ${prefix.padEnd(26)} run ${run} ${String(frameSize).padStart(5)} B ${Math.round(result.framesPerSecond).toString().padStart(8)} frames/s `
          + `${result.payloadMegabytesPerSecond.toFixed(1).padStart(7)} MB/s payload, lost ${result.framesLost}`);
      } catch (error) {
        context.fail(`transport ${prefix} ${frameSize} B run ${run}: ${(error as Error).message}`);
      }
    }
  }
}
