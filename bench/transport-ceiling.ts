// Scenario (c): one-way frames/s through the addon (no AoE logic) on one or several links at once, one process per link: the ceiling (b) is judged against.
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import type { Lab } from '../tools/lab/netlab.js';
import { ATA_DATA_OFFSET, SECTOR_SIZE, sectorsForMtu } from '../src/wire/constants.js';
import { otherProcessesSeconds, snapshotProcesses, type ProcessSnapshot } from './cpu.js';
import { measureGuarded, type NoiseGuard } from './noise.js';
import { trackClient } from './processes.js';
import { LINK_GO, LINK_READY, LINK_RESULT_PREFIX, type LinkRequest } from './transport-link.js';
import type { TransportResult } from './transport.js';
import type { RawRun, TransportRun } from './types.js';

/** Whole frame length of a full AoE data frame at this MTU: 1060 B (1 KiB payload) at 1500, 8740 B (8.5 KiB) at 9000. */
export function dataFrameSize(mtu: number): number {
  return ATA_DATA_OFFSET + sectorsForMtu(mtu) * SECTOR_SIZE;
}

const LINK_BUDGET_MS = 30_000;

interface LinkProcess {
  child: ChildProcess;
  ready: Promise<void>;
  result: Promise<TransportResult>;
}

/** Starts the child that measures link `linkIndex` of `lab`; `ready` resolves when it waits for 'go', `result` when it reported. */
function startLinkProcess(lab: Lab, linkIndex: number, frameSize: number, durationMs: number): LinkProcess {
  const link = lab.links[linkIndex];
  const request: LinkRequest = {
    sender: { netns: lab.initiatorNs, ifname: link.initiatorIf },
    receiver: { netns: lab.targetNs, ifname: link.targetIf },
    frameSize,
    durationMs,
  };
  const child = spawn(process.execPath, [fileURLToPath(new URL('./transport-link.js', import.meta.url)), JSON.stringify(request)], {
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  trackClient(child);
  let stdout = '';
  let stderr = '';
  let markReady: () => void = () => {};
  const ready = new Promise<void>((resolveReady) => (markReady = resolveReady));
  child.stdout.on('data', (chunk: Buffer) => {
    stdout += chunk.toString('utf8');
    if (stdout.includes(`${LINK_READY}\n`)) markReady();
  });
  child.stderr.on('data', (chunk: Buffer) => (stderr = (stderr + chunk.toString('utf8')).slice(-2000)));
  const timer = setTimeout(() => child.kill('SIGKILL'), durationMs + LINK_BUDGET_MS);
  const result = once(child, 'exit').then(([code]) => {
    clearTimeout(timer);
    const line = stdout.split('\n').find((text) => text.startsWith(LINK_RESULT_PREFIX));
    if (line === undefined)
      throw Object.assign(new Error(`link ${linkIndex} process exited with code ${code} and no result: ${stderr.slice(-600)}`), {
        code: 'ERR_BENCH_LINK',
      });
    return JSON.parse(line.slice(LINK_RESULT_PREFIX.length)) as TransportResult;
  });
  result.catch(() => {}); // awaited by measureCeiling, unless another link failed first
  return { child, ready: Promise.race([ready, result.then(() => {})]), result };
}

/**
 * Pushes `frameSize`-byte frames one way (initiator side to target side) on `linkCount` links of `lab` at once, one process
 * per link (its receiver plus a sender thread), all started together, so the figure is the links' and not one event loop's.
 */
export async function measureCeiling(lab: Lab, linkCount: number, frameSize: number, durationMs: number): Promise<TransportRun> {
  const links = Array.from({ length: linkCount }, (_, linkIndex) => startLinkProcess(lab, linkIndex, frameSize, durationMs));
  let results: TransportResult[];
  let meter: { processes: ProcessSnapshot; wallMs: number };
  try {
    await Promise.all(links.map((link) => link.ready));
    meter = { processes: snapshotProcesses(), wallMs: performance.now() };
    for (const link of links) link.child.stdin?.end(`${LINK_GO}\n`);
    results = await Promise.all(links.map((link) => link.result));
  } finally {
    for (const link of links) if (link.child.exitCode === null && link.child.signalCode === null) link.child.kill('SIGKILL');
  }
  const wallSeconds = (performance.now() - meter.wallMs) / 1000;
  const linkCpu = results.reduce((sum, result) => sum + result.cpuSeconds, 0);
  const ours = new Set([process.pid, ...links.map((link) => link.child.pid ?? -1)]);
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
    cpuSecondsPerMillionFrames: frames > 0 ? (linkCpu / frames) * 1e6 : Number.NaN,
    otherBusyCores: otherProcessesSeconds(meter.processes, snapshotProcesses(), ours) / wallSeconds,
    linkProcesses: linkCount,
    perLink: results.map((result) => ({ framesPerSecond: result.receivedPerSecond, lost: result.framesLost })),
  };
}

export interface CeilingContext {
  lab: Lab;
  mtu: number;
  runs: number;
  seconds: number;
  shaped: boolean;
  guard: NoiseGuard;
  record(run: RawRun): void;
  fail(message: string): void;
  log(message: string): void;
}

/** Records the ceiling for each frame size, `runs` times, over all of the lab's links; noisy runs are re-run like the others. */
export async function runCeiling(context: CeilingContext, frameSizes: number[]): Promise<void> {
  const linkCount = context.lab.links.length;
  const prefix = context.shaped ? `mtu${context.mtu}/links${linkCount}/shaped` : `mtu${context.mtu}/unshaped`;
  for (let run = 1; run <= context.runs; run++) {
    for (const frameSize of frameSizes) {
      const workload = `frames${frameSize}`;
      await measureGuarded(context.guard, context, `transport ${prefix} ${frameSize} B run ${run}`, async (attempt) => {
        const runName = attempt === 0 ? `run ${run}` : `run ${run}.${attempt}`;
        try {
          const result = await measureCeiling(context.lab, linkCount, frameSize, context.seconds * 1000);
          context.log(
            `  transport ${prefix.padEnd(26)} ${runName.padEnd(7)} ${String(frameSize).padStart(5)} B ${Math.round(result.framesPerSecond).toString().padStart(8)} frames/s ` +
              `${result.payloadMegabytesPerSecond.toFixed(1).padStart(7)} MB/s payload, lost ${result.framesLost}, ${result.cpuSecondsPerMillionFrames.toFixed(2)} CPU s/1M frames, other ${result.otherBusyCores.toFixed(2)} cores`,
          );
          return [
            {
              scenario: 'transport' as const,
              key: `${prefix}/transport/${workload}`,
              run,
              mtu: context.mtu,
              links: linkCount,
              shaped: context.shaped,
              target: 'transport',
              workload,
              otherLoadCores: result.otherBusyCores,
              result,
            },
          ];
        } catch (error) {
          context.fail(`transport ${prefix} ${frameSize} B ${runName}: ${(error as Error).message}`);
          return undefined;
        }
      });
    }
  }
}
