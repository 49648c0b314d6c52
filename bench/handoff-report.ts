// BENCHMARKS.md section (g): how a request's bytes cross between the caller's thread and a worker, per method, with the choice.
import { HANDOFF_METHODS } from './handoff-protocol.js';
import type { HandoffResult } from './handoff.js';
import { markdownTable as table, formatNumber as num } from './report.js';
import type { BenchResults } from './types.js';

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
}

/** Each case's medians over its rounds. */
export function handoffMedians(rounds: HandoffResult[][]): HandoffResult[] {
  return rounds.map((runs) => ({
    ...runs[0],
    operationsPerSecond: median(runs.map((run) => run.operationsPerSecond)),
    megabytesPerSecond: median(runs.map((run) => run.megabytesPerSecond)),
    cpuMicrosecondsPerOperation: median(runs.map((run) => run.cpuMicrosecondsPerOperation)),
  }));
}

export function handoffSection(results: BenchResults): string {
  if (results.handoff === undefined || results.handoff.length === 0) return '_not run_';
  const rows = handoffMedians(results.handoff);
  const header = ['size', 'direction', 'in flight', ...HANDOFF_METHODS.map((method) => `${method} ops/s (CPU us/op)`), 'best'];
  const lines = [header];
  const keys = [...new Set(rows.map((row) => `${row.size}/${row.write}/${row.depth}`))];
  for (const key of keys) {
    const group = rows.filter((row) => `${row.size}/${row.write}/${row.depth}` === key);
    const best = group.reduce((a, b) => (b.operationsPerSecond > a.operationsPerSecond ? b : a));
    lines.push([
      group[0].size >= 1 << 20 ? `${group[0].size >> 20} MiB` : `${group[0].size >> 10} KiB`,
      group[0].write ? 'write' : 'read',
      String(group[0].depth),
      ...HANDOFF_METHODS.map((method) => {
        const row = group.find((item) => item.method === method);
        return row === undefined ? '-' : `${num(row.operationsPerSecond, 0)} (${num(row.cpuMicrosecondsPerOperation, 1)})`;
      }),
      `${best.method} (${num(best.operationsPerSecond / (group.find((item) => item.method === 'transfer')?.operationsPerSecond ?? Number.NaN), 2)} x transfer)`,
    ]);
  }
  const broken = results.handoff.flat().filter((run) => run.mismatches > 0).length;
  const integrity =
    broken === 0
      ? "Every request of every run arrived intact (both sides check the other's bytes). "
      : `**${broken} run(s) carried bytes that did not arrive intact: these figures are void.** `;
  return (
    integrity +
    `One caller thread keeps 1 or 32 requests in flight to one worker thread (scenario \`handoff\`, or \`node dist-tools/bench/handoff.js\` alone; medians of ${results.handoff[0].length} round(s), methods interleaved). ` +
    'Every method copies each byte once on each side, as a device whose callers pass ordinary Buffers must: the caller between its buffer and the hand-off memory, the worker between that and its frames. ' +
    '`sab-message`: a SharedArrayBuffer slab and small postMessage notices; `sab-atomics`: the same slab, slot numbers through rings in shared memory with Atomics.notify / waitAsync; ' +
    '`transfer`: an ArrayBuffer per slot moved with a transfer list each way; `clone`: the bytes in the message. CPU is both threads together.\n\n' +
    table(lines)
  );
}
