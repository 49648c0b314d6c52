// Bench scenario (e) bookkeeping: the NBD-vs-ram: goal, --merge into an earlier results file, the BENCHMARKS.md section.
import { describe, expect, it } from 'vitest';
import { computeGoals, computeMedians, computeProjections, computeRatios } from '../../bench/analysis.js';
import { renderMarkdown } from '../../bench/markdown.js';
import { mergeResults } from '../../bench/merge.js';
import { parseBenchArgs } from '../../bench/options.js';
import type { BenchResults, RawRun, ScenarioName } from '../../bench/types.js';
import type { WorkloadResult } from '../../bench/workload.js';

function run(scenario: ScenarioName, key: string, megabytesPerSecond: number): RawRun {
  const [, target, workload] = key.split('/');
  const result = {
    name: workload,
    megabytesPerSecond,
    otherBusyCores: 0,
    targetCpuSecondsPerGB: 1,
    seconds: 5,
  } as unknown as WorkloadResult;
  return {
    scenario,
    key,
    run: 1,
    mtu: 9000,
    links: 1,
    shaped: false,
    target,
    workload,
    otherLoadCores: 0,
    noisy: false,
    attempt: 0,
    result,
  };
}

function results(runs: RawRun[], scenarios: ScenarioName[], date: string): BenchResults {
  const options = { ...parseBenchArgs(scenarios, '/r').options, mtus: [9000] };
  const medians = computeMedians(runs);
  return {
    machine: { cpuModel: 'x', cpus: 2, kernel: 'k', node: 'v', vblade: '25', date, hostname: 'h', memoryGiB: 1 },
    options,
    runs,
    medians,
    ratios: computeRatios(medians),
    goals: computeGoals(medians, options),
    projections: computeProjections(medians, [9000]),
    errors: [],
  };
}

describe('bench scenario nbd', () => {
  it('parses nbd as a scenario with its own buffer count (default 64)', () => {
    expect(parseBenchArgs(['nbd'], '/r').options).toMatchObject({ scenarios: ['nbd'], nbdBufferCount: 64, bufferCount: 16 });
    expect(parseBenchArgs(['nbd', '--nbd-buffers', '32', '--merge'], '/r')).toMatchObject({ merge: true, options: { nbdBufferCount: 32 } });
    expect(parseBenchArgs([], '/r').options.scenarios).toContain('nbd');
  });

  it('goal: NBD seq read >= 0.7 x ram:, and --merge replaces only the nbd runs of the earlier file', () => {
    const earlier = results(
      [
        run('target', 'mtu9000/aoeblade/seqread', 1300),
        run('target', 'mtu9000/vblade/seqread', 1000),
        run('nbd', 'nbd-mtu9000/aoeblade-nbd/seqread', 100),
      ],
      ['target', 'nbd'],
      '2026-01-01',
    );
    const now = results(
      [run('nbd', 'nbd-mtu9000/aoeblade-ram/seqread', 1000), run('nbd', 'nbd-mtu9000/aoeblade-nbd/seqread', 750)],
      ['nbd'],
      '2026-02-02',
    );
    expect(now.goals.find((goal) => goal.id === 'nbd-9000-seqread')).toMatchObject({
      measured: 750,
      threshold: 700,
      pass: true,
      ratio: 0.75,
    });
    const merged = mergeResults(earlier, now);
    expect(merged.machine.date).toBe('2026-01-01');
    expect(merged.runs.map((item) => item.key).sort()).toEqual([
      'mtu9000/aoeblade/seqread',
      'mtu9000/vblade/seqread',
      'nbd-mtu9000/aoeblade-nbd/seqread',
      'nbd-mtu9000/aoeblade-ram/seqread',
    ]);
    expect(merged.goals.map((goal) => goal.id)).toEqual(
      expect.arrayContaining(['target-9000-seqread-megabytesPerSecond', 'nbd-9000-seqread']),
    );
    expect(merged.merged).toEqual([expect.objectContaining({ scenarios: ['nbd'], date: '2026-02-02', rawRuns: 2, noisyRuns: 0 })]);
    const text = renderMarkdown(merged, 'analysis');
    expect(text).toMatch(/## \(e\) NBD-backed export against ram:/);
    expect(text).toMatch(/\| 9000 \| seqread \| 1000\.0 \| 750\.0 \| 0\.75 \|/);
    expect(text).toMatch(/Measured 2026-02-02/);
  });
});
