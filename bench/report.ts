// Benchmark output: the stdout table, bench/results.json and the machine description.
import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { dirname } from 'node:path';
import { limitOf } from './limits.js';
import type { BenchResults, MachineInfo, Median } from './types.js';

export function machineInfo(): MachineInfo {
  let vblade = 'not found';
  try {
    vblade = execFileSync('dpkg-query', ['-W', '-f=${Version}', 'vblade'], { encoding: 'utf8' }).trim() || vblade;
  } catch {
    // not a Debian system, or vblade not installed from a package
  }
  return {
    cpuModel: os.cpus()[0]?.model ?? 'unknown',
    cpus: os.cpus().length,
    kernel: `${os.type()} ${os.release()}`,
    node: process.version,
    vblade,
    date: new Date().toISOString(),
    hostname: os.hostname(),
    memoryGiB: Math.round(os.totalmem() / 2 ** 30),
  };
}

export function formatNumber(value: number | undefined, digits = 1): string {
  if (value === undefined || !Number.isFinite(value)) return '-';
  return value.toFixed(digits);
}

export function textTable(rows: string[][]): string {
  const widths = rows[0].map((_, column) => Math.max(...rows.map((row) => (row[column] ?? '').length)));
  return rows
    .map((row) => row.map((cell, column) => (column === 0 ? cell.padEnd(widths[column]) : cell.padStart(widths[column]))).join('  '))
    .join('\n');
}

/** How many runs a median used, and what the noise guard did: '3', '3 (+1 noisy left out)' or '2 (1 noisy incl.)'. */
/** A Markdown table; the first row is the header. */
export function markdownTable(rows: string[][]): string {
  const [header, ...body] = rows;
  return [`| ${header.join(' | ')} |`, `|${header.map(() => '---').join('|')}|`, ...body.map((row) => `| ${row.join(' | ')} |`)].join('\n');
}

/** What limited a median's throughput, with the cores each side used. */
export function limitCell(median: Median | undefined, cpus: number): string {
  if (median === undefined) return '-';
  const limit = limitOf(median, cpus);
  return `${limit.limit} (target ${limit.targetCores.toFixed(2)}, initiator ${limit.initiatorCores.toFixed(2)}, other ${limit.otherCores.toFixed(2)} cores)`;
}

export function runsCell(median: Median | undefined): string {
  if (median === undefined) return '-';
  if ((median.noisyIncluded ?? 0) > 0) return `${median.runs} (${median.noisyIncluded} noisy incl.)`;
  if ((median.noisyRuns ?? 0) > 0) return `${median.runs} (+${median.noisyRuns} noisy left out)`;
  return String(median.runs);
}

/** One line on the noise guard's work in this run, or undefined for results from before it existed. */
export function noiseSummary(results: BenchResults): string | undefined {
  if (results.options.noiseLimitCores === undefined) return undefined;
  const noisy = results.runs.filter((run) => run.noisy).length;
  const reruns = results.runs.filter((run) => run.attempt > 0).length;
  const included = results.medians.filter((median) => (median.noisyIncluded ?? 0) > 0).length;
  return (
    `${results.runs.length} raw runs, ${noisy} noisy (other load > ${results.options.noiseLimitCores} cores), ${reruns} re-runs; ` +
    `${included} of ${results.medians.length} medians include noisy runs (fewer than 3 clean ones)`
  );
}

function medianRow(median: Median, cpus: number): string[] {
  const values = median.values;
  const limit = limitOf(median, cpus);
  if (median.scenario === 'transport') {
    return [
      median.key,
      runsCell(median),
      formatNumber(values.payloadMegabytesPerSecond),
      formatNumber(values.framesPerSecond, 0),
      '-',
      '-',
      '-',
      '-',
      median.shaped ? 'tbf' : 'sender/receiver CPU',
    ];
  }
  return [
    median.key,
    runsCell(median),
    formatNumber(values.megabytesPerSecond),
    formatNumber(values.iops, 0),
    formatNumber(values.latencyP50Us, 0),
    formatNumber(values.latencyP99Us, 0),
    formatNumber(values.targetCpuSecondsPerGB, 2),
    formatNumber(values.initiatorCpuSecondsPerGB, 2),
    `${limit.limit} [t ${limit.targetCores.toFixed(2)} / i ${limit.initiatorCores.toFixed(2)} / other ${limit.otherCores.toFixed(2)} cores]`,
  ];
}

export function printSummary(results: BenchResults, write: (text: string) => void): void {
  const header = ['GROUP (median)', 'RUNS', 'MB/s', 'IOPS|frames/s', 'p50 us', 'p99 us', 'tgt s/GB', 'ini s/GB', 'LIMIT'];
  write(`\n${textTable([header, ...results.medians.map((median) => medianRow(median, results.machine.cpus))])}\n`);
  if (results.ratios.length > 0) {
    write(
      `\n${textTable([
        ['RATIO aoeblade/vblade', 'aoeblade', 'vblade', 'ratio'],
        ...results.ratios.map((ratio) => [
          ratio.key,
          formatNumber(ratio.aoeblade, 2),
          formatNumber(ratio.vblade, 2),
          `${formatNumber(ratio.ratio, 3)}${ratio.noisyIncluded === true ? ' (noisy incl.)' : ''}`,
        ]),
      ])}\n`,
    );
  }
  const ceilings = results.medians.filter((median) => median.scenario === 'transport');
  for (const ceiling of ceilings) {
    write(
      `transport ceiling ${ceiling.key}: ${formatNumber(ceiling.values.framesPerSecond, 0)} frames/s = ${formatNumber(ceiling.values.payloadMegabytesPerSecond)} MB/s payload\n`,
    );
  }
  if (results.goals.length > 0) {
    write(
      `\n${textTable([['GOAL', 'measured', 'threshold', 'ratio', 'verdict'], ...results.goals.map((goal) => [goal.description, formatNumber(goal.measured, 2), `${goal.comparison === 'ge' ? '>=' : '<='} ${formatNumber(goal.threshold, 2)}`, formatNumber(goal.ratio, 3), goal.pass ? 'PASS' : 'FAIL'])])}\n`,
    );
  }
  for (const projection of results.projections) {
    write(
      `10 GbE projection, ${projection.side}, MTU ${projection.mtu}: ${formatNumber(projection.framesPerCpuSecond, 0)} frames per CPU-second; line rate needs ${formatNumber(projection.lineRateFrames, 0)} frames/s = ${formatNumber(projection.coresNeeded, 1)} cores\n`,
    );
  }
  const noise = noiseSummary(results);
  if (noise !== undefined) write(`noise guard: ${noise}\n`);
  for (const error of results.errors) write(`ERROR: ${error}\n`);
}

export function writeJson(path: string, results: BenchResults): void {
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(
    path,
    `${JSON.stringify(results, (_key, value: unknown) => (typeof value === 'number' && !Number.isFinite(value) ? null : value), 2)}\n`,
  );
}
