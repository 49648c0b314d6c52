// Regenerates BENCHMARKS.md from results: machine, method, tables, goals, limits, 10 GbE projection; keeps the hand-written analysis block.
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { MedianIndex } from './analysis.js';
import { DEFAULT_NOISE_LIMIT_CORES, DEFAULT_NOISE_RETRIES } from './noise.js';
import { nbdSection } from './nbd-report.js';
import { limitCell, markdownTable, noiseSummary, formatNumber as num, runsCell } from './report.js';
import { scalingSection } from './scaling-report.js';
import { handoffSection } from './handoff-report.js';
import type { BenchResults } from './types.js';

export const ANALYSIS_BEGIN = '<!-- analysis:begin (hand-written; `npm run bench` keeps this block) -->';
export const ANALYSIS_END = '<!-- analysis:end -->';
const DEFAULT_ANALYSIS = '_No analysis written yet: add the bottleneck discussion and profiles here._';

const table = markdownTable;

function preservedAnalysis(path: string): string {
  if (!existsSync(path)) return DEFAULT_ANALYSIS;
  const text = readFileSync(path, 'utf8');
  const begin = text.indexOf(ANALYSIS_BEGIN);
  const end = text.indexOf(ANALYSIS_END);
  if (begin < 0 || end < begin) return DEFAULT_ANALYSIS;
  return text.slice(begin + ANALYSIS_BEGIN.length, end).trim() || DEFAULT_ANALYSIS;
}

function targetSection(results: BenchResults, mtu: number): string {
  const byKey = new Map(results.medians.map((median) => [median.key, median]));
  const workloads = [
    ...new Set(results.medians.filter((median) => median.scenario === 'target' && median.mtu === mtu).map((median) => median.workload)),
  ];
  if (workloads.length === 0) return '';
  const rows = [
    [
      'workload',
      'aoeblade MB/s',
      'vblade MB/s',
      'IOPS a / v',
      'p50 µs a / v',
      'p99 µs a / v',
      'target CPU s/GB a / v',
      'ratio MB/s',
      'limit (aoeblade)',
      'limit (vblade)',
      'runs a / v',
    ],
  ];
  for (const workload of workloads) {
    const a = byKey.get(`mtu${mtu}/aoeblade/${workload}`)?.values ?? {};
    const v = byKey.get(`mtu${mtu}/vblade/${workload}`)?.values ?? {};
    rows.push([
      workload,
      num(a.megabytesPerSecond),
      num(v.megabytesPerSecond),
      `${num(a.iops, 0)} / ${num(v.iops, 0)}`,
      `${num(a.latencyP50Us, 0)} / ${num(v.latencyP50Us, 0)}`,
      `${num(a.latencyP99Us, 0)} / ${num(v.latencyP99Us, 0)}`,
      `${num(a.targetCpuSecondsPerGB, 2)} / ${num(v.targetCpuSecondsPerGB, 2)}`,
      num(a.megabytesPerSecond / v.megabytesPerSecond, 2),
      limitCell(byKey.get(`mtu${mtu}/aoeblade/${workload}`), results.machine.cpus),
      limitCell(byKey.get(`mtu${mtu}/vblade/${workload}`), results.machine.cpus),
      `${runsCell(byKey.get(`mtu${mtu}/aoeblade/${workload}`))} / ${runsCell(byKey.get(`mtu${mtu}/vblade/${workload}`))}`,
    ]);
  }
  return `### MTU ${mtu}\n\n${table(rows)}\n`;
}

function multipathSection(results: BenchResults): string {
  const index = new MedianIndex(results.medians);
  const byKey = new Map(results.medians.map((median) => [median.key, median]));
  const rows = [
    [
      'MTU',
      'links',
      'aoekit + aoeblade MB/s',
      'aoekit + vblade/link MB/s',
      'shaped one-way ceiling MB/s (frames/s)',
      'line rate MB/s',
      'limit (aoeblade)',
      'runs a / v / ceiling',
    ],
  ];
  for (const median of results.medians.filter((item) => item.scenario === 'multipath' && item.target === 'aoeblade')) {
    const prefix = `mtu${median.mtu}/links${median.links}`;
    const ceiling = results.medians.find((item) => item.scenario === 'transport' && item.shaped && item.key.startsWith(`${prefix}/`));
    const line = median.mtu === 9000 ? 124.5 : 120.75;
    rows.push([
      String(median.mtu),
      String(median.links),
      num(median.values.megabytesPerSecond),
      num(index.get(`${prefix}/vblade/seqread`, 'megabytesPerSecond')),
      ceiling ? `${num(ceiling.values.payloadMegabytesPerSecond)} (${num(ceiling.values.framesPerSecond, 0)})` : '-',
      num(line * median.links, 1),
      limitCell(byKey.get(median.key), results.machine.cpus),
      `${runsCell(median)} / ${runsCell(byKey.get(`${prefix}/vblade/seqread`))} / ${runsCell(ceiling)}`,
    ]);
  }
  return rows.length > 1 ? table(rows) : '_not run_';
}

function transportSection(results: BenchResults): string {
  const rows = [['link(s)', 'MTU', 'frame bytes', 'frames/s', 'payload MB/s', 'lost', 'CPU s per 1M frames', 'runs']];
  for (const median of results.medians.filter((item) => item.scenario === 'transport')) {
    const values = median.values;
    rows.push([
      median.shaped ? `${median.links} x tbf ${results.options.rate}` : '1 unshaped',
      String(median.mtu),
      num(values.frameSize, 0),
      num(values.framesPerSecond, 0),
      num(values.payloadMegabytesPerSecond),
      num(values.framesLost, 0),
      num(values.cpuSecondsPerMillionFrames, 2),
      runsCell(median),
    ]);
  }
  return rows.length > 1 ? table(rows) : '_not run_';
}

function initiatorSection(results: BenchResults): string {
  const rows = [['MTU', 'workload', 'MB/s', 'initiator CPU s/GB', 'target (RAM) CPU s/GB', 'limit']];
  for (const median of results.medians.filter((item) => item.scenario === 'initiator')) {
    rows.push([
      String(median.mtu),
      median.workload,
      num(median.values.megabytesPerSecond),
      num(median.values.initiatorCpuSecondsPerGB, 2),
      num(median.values.targetCpuSecondsPerGB, 2),
      limitCell(median, results.machine.cpus),
    ]);
  }
  return rows.length > 1 ? table(rows) : '_not run_';
}

function medianMethod(results: BenchResults): string {
  const { options } = results;
  const measured = options.noiseLimitCores !== undefined;
  const limit = options.noiseLimitCores ?? DEFAULT_NOISE_LIMIT_CORES;
  const retries = options.noiseRetries ?? DEFAULT_NOISE_RETRIES;
  const guard =
    `Noise guard${measured ? '' : ' (added after these numbers were measured: none of the runs below was checked, "other" was then /proc/stat busy time minus the measured processes, kernel threads and softirq included)'}: ` +
    `a run is **noisy** when other user processes used more than ${limit} cores over the run: the CPU time of every process from /proc/PID/stat ` +
    `(utime+stime, plus the time of children it reaped, so short-lived processes of other jobs count too), leaving out the target(s), the client, the bench ` +
    `itself and kernel threads (ksoftirqd and kworkers mostly carry our own frames); ` +
    `a noisy measurement is re-run at once, up to ${retries} time(s) (\`--noise-limit\`, \`--noise-retries\`). Every attempt stays in results.json with \`noisy\`, \`otherLoadCores\` ` +
    `and \`attempt\`. A median uses only the clean runs when at least 3 exist, otherwise all runs; the "runs" columns say which ("noisy incl." = fewer than 3 clean runs, ` +
    `that median includes noisy ones).`;
  return `- Each figure is the median of ${options.runs} run(s)${measured ? ' (with re-runs of noisy ones)' : ''}; every raw run is in bench/results.json.\n- ${guard}${measured ? ` This run: ${noiseSummary(results) ?? '-'}.` : ''}`;
}

function transportMethod(results: BenchResults): string {
  const seconds = Math.min(results.options.seconds, 3);
  const perProcess = results.runs.some((run) => run.scenario === 'transport' && 'linkProcesses' in run.result);
  if (!perProcess) {
    return (
      `- Transport ceilings: \`measureTransport\` (addon only, no AoE logic), every link's sender a worker thread of the bench process and every receiver on its event loop, ` +
      `all links at once, ${seconds} s. On 3-4 shaped links that one process is CPU-bound, so those ceilings are the harness's, not the links'.`
    );
  }
  return (
    `- Transport ceilings: \`measureTransport\` (addon only, no AoE logic), one child process per link (\`dist-tools/bench/transport-link.js\`: receiver on its event loop, sender in a worker thread, ` +
    `flow-controlled by a window of frames in flight), all links started together, ${seconds} s; frames/s is the sum over links. A sender whose frames the kernel refuses ` +
    `(a full tbf queue answers ENOBUFS) waits for receiver progress instead of retrying at once, so the shaped ceiling measures the links' rate, not the CPU. ` +
    `"CPU s per 1M frames" is the link processes' CPU.`
  );
}

export function renderMarkdown(results: BenchResults, analysis: string): string {
  const { machine, options } = results;
  const goals = table([
    ['goal', 'measured', 'threshold', 'ratio', 'verdict'],
    ...results.goals.map((goal) => [
      goal.description,
      num(goal.measured, 2),
      `${goal.comparison === 'ge' ? '≥' : '≤'} ${num(goal.threshold, 2)}`,
      num(goal.ratio, 3),
      goal.pass ? 'PASS' : '**FAIL**',
    ]),
  ]);
  const projections = table([
    ['side', 'MTU', 'frames per CPU-second (seq read)', '10 GbE line rate, frames/s', 'cores needed'],
    ...results.projections.map((item) => [
      item.side,
      String(item.mtu),
      num(item.framesPerCpuSecond, 0),
      num(item.lineRateFrames, 0),
      num(item.coresNeeded, 1),
    ]),
  ]);
  return `# aoekit benchmarks

<!-- Generated by \`npm run bench\` (bench/markdown.ts) from bench/results.json. Edit only the analysis block near the end: it is kept across runs. -->

## Machine

${machine.cpuModel}, ${machine.cpus} CPUs, ${machine.memoryGiB} GiB, ${machine.kernel}, Node ${machine.node}, vblade ${machine.vblade}; run ${machine.date}.

## Method

- Every measurement runs in a fresh network lab (\`src/lab\`: network namespaces joined by veth pairs; \`tc tbf rate ${options.rate}\` on both ends of every link for the multipath scenario).
- The client is always the aoekit initiator (\`openDevice\`), in its own process (\`dist-tools/bench/client.js\`) whose sockets live in the initiator namespace. aoeblade and vblade run in the target namespace, are started fresh for each run and stopped by PID. ${options.noiseLimitCores === undefined ? 'In (a) the two targets run back to back for each workload' : 'In (a) and (b) the two targets run back to back for each workload (in (b): same links, same MTU)'}, in alternating order from run to run, so a burst of other load on the shared machine hits both alike.
- Both targets export the same ${options.sizeMiB} MiB tmpfs file (pages filled, no holes) and advertise the same buffer count (-b ${options.bufferCount}); scenario (d) uses \`aoeblade ... ram:${options.sizeMiB}M\`.
- Workloads: sequential read/write with 1 MiB requests, 4 in flight; 4 KiB random read at QD1 and QD32; 4 KiB random write at QD32; ${options.seconds} s each. Latency p50/p99 per request at the client.
- CPU: utime+stime of each target process from /proc/PID/stat, and of the client from process.cpuUsage(), over each workload. On veth, the kernel's delivery work (softirq) is charged to whichever process sends, so these figures include network-stack work, as vblade's do.
${medianMethod(results)}
${transportMethod(results)}
- "Limit" names the saturated resource: ≥ 90 % of the shaped line rate, a process at ≥ 0.9 core (single event loop), both processes together at ≥ 85 % of all CPUs, the whole machine ≥ 85 % busy from /proc/stat (other load: a noisy run), or none (latency/pipelining). "other" is ${results.options.noiseLimitCores === undefined ? 'busy CPU not charged to either process' : 'CPU used by other user processes (as in the noise guard)'}.

## (a) aoeblade against vblade, one unshaped link

${
  options.mtus
    .map((mtu) => targetSection(results, mtu))
    .filter(Boolean)
    .join('\n') || '_not run_'
}

## (b) Multipath, tbf ${options.rate} per link, sequential read

${multipathSection(results)}

## (c) Transport alone: one-way frames/s through the addon

${transportSection(results)}

## (d) Initiator overhead, RAM-backed aoeblade, one unshaped link

${initiatorSection(results)}

## (e) NBD-backed export against ram:, one unshaped link

${nbdSection(results)}

## (f) Worker threads: aoeblade's, and the initiator's link threads, tbf ${options.rate} per link, sequential read

${scalingSection(results)}

## (g) Hand-off between threads, for initiator workers

${handoffSection(results)}

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
