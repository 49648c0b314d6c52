// Regenerates BENCHMARKS.md from results: machine, method, tables, goals, limits, 10 GbE projection; keeps the hand-written analysis block.
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { MedianIndex } from './analysis.js';
import { limitOf } from './limits.js';
import { formatNumber as num } from './report.js';
import type { BenchResults, Median } from './types.js';

export const ANALYSIS_BEGIN = '<!-- analysis:begin (hand-written; `npm run bench` keeps this block) -->';
export const ANALYSIS_END = '<!-- analysis:end -->';
const DEFAULT_ANALYSIS = '_No analysis written yet: add the bottleneck discussion and profiles here._';

function table(rows: string[][]): string {
  const [header, ...body] = rows;
  return [`| ${header.join(' | ')} |`, `|${header.map(() => '---').join('|')}|`, ...body.map((row) => `| ${row.join(' | ')} |`)].join('\n');
}

function preservedAnalysis(path: string): string {
  if (!existsSync(path)) return DEFAULT_ANALYSIS;
  const text = readFileSync(path, 'utf8');
  const begin = text.indexOf(ANALYSIS_BEGIN);
  const end = text.indexOf(ANALYSIS_END);
  if (begin < 0 || end < begin) return DEFAULT_ANALYSIS;
  return text.slice(begin + ANALYSIS_BEGIN.length, end).trim() || DEFAULT_ANALYSIS;
}

function limitCell(median: Median | undefined, cpus: number): string {
  if (median === undefined) return '-';
  const limit = limitOf(median, cpus);
  return `${limit.limit} (target ${limit.targetCores.toFixed(2)}, initiator ${limit.initiatorCores.toFixed(2)}, other ${limit.otherCores.toFixed(2)} cores)`;
}

function targetSection(results: BenchResults, mtu: number): string {
  const byKey = new Map(results.medians.map((median) => [median.key, median]));
  const workloads = [...new Set(results.medians.filter((median) => median.scenario === 'target' && median.mtu === mtu).map((median) => median.workload))];
  if (workloads.length === 0) return '';
  const rows = [['workload', 'aoeblade MB/s', 'vblade MB/s', 'IOPS a / v', 'p50 µs a / v', 'p99 µs a / v', 'target CPU s/GB a / v', 'ratio MB/s', 'limit (aoeblade)', 'limit (vblade)']];
  for (const workload of workloads) {
    const a = byKey.get(`mtu${mtu}/aoeblade/${workload}`)?.values ?? {};
    const v = byKey.get(`mtu${mtu}/vblade/${workload}`)?.values ?? {};
    rows.push([workload, num(a.megabytesPerSecond), num(v.megabytesPerSecond), `${num(a.iops, 0)} / ${num(v.iops, 0)}`, `${num(a.latencyP50Us, 0)} / ${num(v.latencyP50Us, 0)}`,
      `${num(a.latencyP99Us, 0)} / ${num(v.latencyP99Us, 0)}`, `${num(a.targetCpuSecondsPerGB, 2)} / ${num(v.targetCpuSecondsPerGB, 2)}`,
      num(a.megabytesPerSecond / v.megabytesPerSecond, 2), limitCell(byKey.get(`mtu${mtu}/aoeblade/${workload}`), results.machine.cpus), limitCell(byKey.get(`mtu${mtu}/vblade/${workload}`), results.machine.cpus)]);
  }
  return `### MTU ${mtu}\n\n${table(rows)}\n`;
}

function multipathSection(results: BenchResults): string {
  const index = new MedianIndex(results.medians);
  const byKey = new Map(results.medians.map((median) => [median.key, median]));
  const rows = [['MTU', 'links', 'aoekit + aoeblade MB/s', 'aoekit + vblade/link MB/s', 'shaped one-way ceiling MB/s (frames/s)', 'line rate MB/s', 'limit (aoeblade)']];
  for (const median of results.medians.filter((item) => item.scenario === 'multipath' && item.target === 'aoeblade')) {
    const prefix = `mtu${median.mtu}/links${median.links}`;
    const ceiling = results.medians.find((item) => item.scenario === 'transport' && item.shaped && item.key.startsWith(`${prefix}/`));
    const line = median.mtu === 9000 ? 124.5 : 120.75;
    rows.push([String(median.mtu), String(median.links), num(median.values.megabytesPerSecond), num(index.get(`${prefix}/vblade/seqread`, 'megabytesPerSecond')),
      ceiling ? `${num(ceiling.values.payloadMegabytesPerSecond)} (${num(ceiling.values.framesPerSecond, 0)})` : '-', num(line * median.links, 1), limitCell(byKey.get(median.key), results.machine.cpus)]);
  }
  return rows.length > 1 ? table(rows) : '_not run_';
}

function transportSection(results: BenchResults): string {
  const rows = [['link(s)', 'MTU', 'frame bytes', 'frames/s', 'payload MB/s', 'lost', 'bench CPU s per 1M frames']];
  for (const median of results.medians.filter((item) => item.scenario === 'transport')) {
    const values = median.values;
    rows.push([median.shaped ? `${median.links} x tbf ${results.options.rate}` : '1 unshaped', String(median.mtu), num(values.frameSize, 0), num(values.framesPerSecond, 0),
      num(values.payloadMegabytesPerSecond), num(values.framesLost, 0), num(values.cpuSecondsPerMillionFrames, 2)]);
  }
  return rows.length > 1 ? table(rows) : '_not run_';
}

function initiatorSection(results: BenchResults): string {
  const rows = [['MTU', 'workload', 'MB/s', 'initiator CPU s/GB', 'target (RAM) CPU s/GB', 'limit']];
  for (const median of results.medians.filter((item) => item.scenario === 'initiator')) {
    rows.push([String(median.mtu), median.workload, num(median.values.megabytesPerSecond), num(median.values.initiatorCpuSecondsPerGB, 2), num(median.values.targetCpuSecondsPerGB, 2), limitCell(median, results.machine.cpus)]);
  }
  return rows.length > 1 ? table(rows) : '_not run_';
}

export function renderMarkdown(results: BenchResults, analysis: string): string {
  const { machine, options } = results;
  const goals = table([['goal', 'measured', 'threshold', 'ratio', 'verdict'],
    ...results.goals.map((goal) => [goal.description, num(goal.measured, 2), `${goal.comparison === 'ge' ? '≥' : '≤'} ${num(goal.threshold, 2)}`, num(goal.ratio, 3), goal.pass ? 'PASS' : '**FAIL**'])]);
  const projections = table([['side', 'MTU', 'frames per CPU-second (seq read)', '10 GbE line rate, frames/s', 'cores needed'],
    ...results.projections.map((item) => [item.side, String(item.mtu), num(item.framesPerCpuSecond, 0), num(item.lineRateFrames, 0), num(item.coresNeeded, 1)])]);
  return `# aoekit benchmarks

<!-- Generated by \`npm run bench\` (src/bench/markdown.ts) from bench/results.json. Edit only the analysis block near the end: it is kept across runs. -->

## Machine

${machine.cpuModel}, ${machine.cpus} CPUs, ${machine.memoryGiB} GiB, ${machine.kernel}, Node ${machine.node}, vblade ${machine.vblade}; run ${machine.date}.

## Method

- Every measurement runs in a fresh network lab (\`src/lab\`: network namespaces joined by veth pairs; \`tc tbf rate ${options.rate}\` on both ends of every link for the multipath scenario).
- The client is always the aoekit initiator (\`openDevice\`), in its own process (\`dist/bench/client.js\`) whose sockets live in the initiator namespace. aoeblade and vblade run in the target namespace, are started fresh for each run and stopped by PID. In (a) the two targets run back to back for each workload, in alternating order from run to run, so a burst of other load on the shared machine hits both alike.
- Both targets export the same ${options.sizeMiB} MiB tmpfs file (pages filled, no holes) and advertise the same buffer count (-b ${options.bufferCount}); scenario (d) uses \`aoeblade ... ram:${options.sizeMiB}M\`.
- Workloads: sequential read/write with 1 MiB requests, 4 in flight; 4 KiB random read at QD1 and QD32; 4 KiB random write at QD32; ${options.seconds} s each. Latency p50/p99 per request at the client.
- CPU: utime+stime of each target process from /proc/PID/stat, and of the client from process.cpuUsage(), over each workload. On veth, the kernel's delivery work (softirq) is charged to whichever process sends, so these figures include network-stack work, as vblade's do.
- Each figure is the median of ${options.runs} run(s); every raw run is in bench/results.json. Transport ceilings: \`measureTransport\` (worker-thread sender, addon only, no AoE logic), one sender per link at once, ${Math.min(options.seconds, 3)} s.
- "Limit" names the saturated resource: ≥ 90 % of the shaped line rate, a process at ≥ 0.9 core (single event loop), both processes together at ≥ 85 % of all CPUs, the whole machine ≥ 85 % busy from /proc/stat (other load: a noisy run), or none (latency/pipelining). "other" is busy CPU not charged to either process.

## (a) aoeblade against vblade, one unshaped link

${options.mtus.map((mtu) => targetSection(results, mtu)).filter(Boolean).join('\n') || '_not run_'}

## (b) Multipath, tbf ${options.rate} per link, sequential read

${multipathSection(results)}

## (c) Transport alone: one-way frames/s through the addon

${transportSection(results)}

## (d) Initiator overhead, RAM-backed aoeblade, one unshaped link

${initiatorSection(results)}

## Goals

${goals}

## Planning past this machine: 10 GbE

Measured frames per CPU-second (each side is one single-threaded event loop) projected onto 10 GbE line rate (1.25 GB/s ÷ data frame size: ~143k frames/s at MTU 9000, ~1.18M at MTU 1500):

${projections}

${results.errors.length > 0 ? `## Errors in this run\n\n${results.errors.map((error) => `- ${error}`).join('\n')}\n\n` : ''}## Analysis, bottlenecks and what would remove them

${ANALYSIS_BEGIN}
${analysis}
${ANALYSIS_END}
`;
}

export function writeBenchmarksMarkdown(path: string, results: BenchResults): void {
  writeFileSync(path, renderMarkdown(results, preservedAnalysis(path)));
}
