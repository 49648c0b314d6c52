// BENCHMARKS.md section (e): aoeblade over nbdkit's memory plugin against ram:, with the ratio and what limited each run.
import { limitCell, markdownTable as table, formatNumber as num, runsCell } from './report.js';
import type { BenchResults } from './types.js';

type Values = Record<string, number>;

/**
 * What the ratio can be when both runs are bound by the machine's CPUs at the same utilisation: ram:'s CPU per GB (target +
 * initiator) over the NBD run's, as measured ("this client"), and with aoeblade's NBD client costing nothing beyond what
 * ram: costs, only nbdkit added ("a free one"). Below the goal, no client code can reach it on this machine.
 */
export function nbdCeilings(ram: Values | undefined, nbd: Values): { measured: number; freeClient: number } {
  const ramCost = (ram?.targetCpuSecondsPerGB ?? Number.NaN) + (ram?.initiatorCpuSecondsPerGB ?? Number.NaN);
  const nbdCost = nbd.targetCpuSecondsPerGB + nbd.initiatorCpuSecondsPerGB;
  return { measured: ramCost / nbdCost, freeClient: ramCost / (ramCost + (nbd.backingServerCpuSecondsPerGB ?? Number.NaN)) };
}

function ceilingCell(ram: Values | undefined, nbd: Values): string {
  const { measured, freeClient } = nbdCeilings(ram, nbd);
  return `${num(measured, 2)} / ${num(freeClient, 2)}`;
}

export function nbdSection(results: BenchResults): string {
  const byKey = new Map(results.medians.map((median) => [median.key, median]));
  const rows = [
    [
      'MTU',
      'workload',
      'ram: MB/s',
      'NBD MB/s',
      'ratio NBD / ram:',
      'target CPU s/GB ram: / NBD (aoeblade + nbdkit)',
      'nbdkit s/GB',
      'cores waiting for a CPU: target (aoeblade + nbdkit) / initiator',
      'CPU ceiling of the ratio: this client / a free one',
      'limit (NBD)',
      'runs ram: / NBD',
    ],
  ];
  for (const median of results.medians.filter((item) => item.scenario === 'nbd' && item.target === 'aoeblade-nbd')) {
    const ram = byKey.get(median.key.replace('/aoeblade-nbd/', '/aoeblade-ram/'));
    const nbd = median.values;
    rows.push([
      String(median.mtu),
      median.workload,
      num(ram?.values.megabytesPerSecond),
      num(nbd.megabytesPerSecond),
      num(nbd.megabytesPerSecond / (ram?.values.megabytesPerSecond ?? Number.NaN), 2),
      `${num(ram?.values.targetCpuSecondsPerGB, 2)} / ${num(nbd.targetCpuSecondsPerGB, 2)}`,
      num(nbd.backingServerCpuSecondsPerGB, 2),
      `${num(nbd.targetWaitCores, 2)} / ${num(nbd.initiatorWaitCores, 2)} (ram: ${num(ram?.values.targetWaitCores, 2)} / ${num(ram?.values.initiatorWaitCores, 2)})`,
      ceilingCell(ram?.values, nbd),
      limitCell(median, results.machine.cpus),
      `${runsCell(ram)} / ${runsCell(median)}`,
    ]);
  }
  if (rows.length === 1) return '_not run_';
  const merged = results.merged?.find((item) => item.scenarios.includes('nbd'));
  const when =
    merged === undefined
      ? ''
      : `Measured ${merged.date} (${merged.runs} run(s) x ${merged.seconds} s, ${merged.sizeMiB} MiB; ${merged.noisyRuns} of ${merged.rawRuns} raw runs noisy) and merged into this report with \`--merge\`. `;
  return (
    `${when}aoeblade on one unshaped link serves \`ram:${results.options.sizeMiB}M\` or the same memory in nbdkit's memory plugin (\`allocator=malloc\`) ` +
    `on a unix socket (\`nbd+unix:///?socket=...\`), both with \`-b ${results.options.nbdBufferCount ?? 64}\`; sequential 1 MiB requests, 4 in flight. ` +
    `The CPU ceilings assume both runs are bound by the machine's CPUs at the same utilisation: ram:'s CPU per GB (target + initiator) ` +
    `over the NBD run's as measured, and over ram:'s plus nbdkit's alone (an NBD client in aoeblade that cost nothing). ` +
    `A goal above the second figure cannot be met on this machine by any client code. ` +
    `"Cores waiting for a CPU" is the time the processes' threads were runnable but had no CPU (/proc/PID/task/*/schedstat), per second: ` +
    `a third busy process on a 2-CPU machine shows up there.\n\n${table(rows)}`
  );
}
