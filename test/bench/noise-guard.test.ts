// The bench's noise guard as pure functions: noisy marking, the retry decision, medians over clean runs, and the options that set it.
import { describe, expect, it } from 'vitest';
import { computeMedians, computeRatios } from '../../bench/analysis.js';
import { otherProcessesSeconds, type ProcessSnapshot } from '../../bench/cpu.js';
import { isNoisy, measureGuarded, selectMedianRuns, shouldRetry, type NoiseGuard } from '../../bench/noise.js';
import { parseBenchArgs } from '../../bench/options.js';
import { targetOrder } from '../../bench/target-vs-vblade.js';
import type { RawRun } from '../../bench/types.js';
import type { WorkloadResult } from '../../bench/workload.js';

const guard: NoiseGuard = { limitCores: 0.15, retries: 2 };

function run(key: string, megabytesPerSecond: number, otherLoadCores: number, attempt = 0, target = key.split('/')[1]): RawRun {
  const result = { name: 'seqread', megabytesPerSecond, otherBusyCores: otherLoadCores } as unknown as WorkloadResult;
  return {
    scenario: 'target',
    key,
    run: 1,
    mtu: 1500,
    links: 1,
    shaped: false,
    target,
    workload: 'seqread',
    otherLoadCores,
    noisy: isNoisy(otherLoadCores, guard.limitCores),
    attempt,
    result,
  };
}

describe('noise guard: which runs are noisy and when to re-run', () => {
  it('marks a run noisy only above the limit, and never for an unknown load', () => {
    expect(isNoisy(0.16, 0.15)).toBe(true);
    expect(isNoisy(0.15, 0.15)).toBe(false);
    expect(isNoisy(0, 0.15)).toBe(false);
    expect(isNoisy(Number.NaN, 0.15)).toBe(false);
  });

  it('re-runs a noisy measurement while retries are left, and never a clean one', () => {
    expect(shouldRetry([{ noisy: false }, { noisy: true }], 0, guard)).toBe(true);
    expect(shouldRetry([{ noisy: true }], 1, guard)).toBe(true);
    expect(shouldRetry([{ noisy: true }], 2, guard)).toBe(false);
    expect(shouldRetry([{ noisy: false }], 0, guard)).toBe(false);
    expect(shouldRetry([{ noisy: true }], 0, { limitCores: 0.15, retries: 0 })).toBe(false);
  });

  it('measureGuarded records every attempt with its mark and stops at the first clean one or after the retries', async () => {
    const loads = [0.5, 0.3, 0.05, 0.01];
    const recorded: RawRun[] = [];
    const logs: string[] = [];
    let calls = 0;
    await measureGuarded(guard, { record: (item) => recorded.push(item), log: (text) => logs.push(text) }, 'x', async (attempt) => {
      calls++;
      const { noisy: _noisy, attempt: _attempt, ...rest } = run('mtu1500/aoeblade/seqread', 100, loads[attempt]);
      return [rest];
    });
    expect(calls).toBe(3);
    expect(recorded.map((item) => [item.attempt, item.noisy, item.otherLoadCores])).toEqual([
      [0, true, 0.5],
      [1, true, 0.3],
      [2, false, 0.05],
    ]);
    expect(logs).toHaveLength(2);
    expect(logs[0]).toMatch(/0\.50 cores of other load.*retry 1 of 2/);

    const alwaysNoisy: RawRun[] = [];
    await measureGuarded(guard, { record: (item) => alwaysNoisy.push(item), log: () => {} }, 'y', async () => {
      const { noisy: _noisy, attempt: _attempt, ...rest } = run('mtu1500/vblade/seqread', 100, 0.9);
      return [rest];
    });
    expect(alwaysNoisy.map((item) => item.attempt)).toEqual([0, 1, 2]);
    expect(alwaysNoisy.every((item) => item.noisy)).toBe(true);

    const failed: RawRun[] = [];
    await measureGuarded(guard, { record: (item) => failed.push(item), log: () => {} }, 'z', async () => undefined);
    expect(failed).toEqual([]);
  });
});

describe('noise guard: other load from per-process CPU', () => {
  const snapshot = (user: Array<[number, number]>, kernelThreads = 0): ProcessSnapshot => ({ user: new Map(user), kernelThreads });

  it('sums other processes, leaves ours out, counts new and reaped processes once', () => {
    // 10 = ours (target), 20 = another job that runs on, 30 = a child of 40 that exits and is reaped by 40 during the run, 50 = new.
    const start = snapshot([
      [10, 5],
      [20, 1],
      [30, 2],
      [40, 3],
    ]);
    const end = snapshot([
      [10, 9],
      [20, 1.5],
      [40, 3 + 2.25],
      [50, 0.25],
    ]); // 40's cutime gained 30's whole 2.25 s
    expect(otherProcessesSeconds(start, end, new Set([10]))).toBeCloseTo(0.5 + 0.25 + 0.25, 9);
    expect(otherProcessesSeconds(start, end, new Set([10, 20, 40, 50]))).toBe(0); // 30 vanished with its parent excluded: never negative
  });
});

describe('noise guard: medians', () => {
  it('uses only the clean runs when at least 3 exist', () => {
    const group = [
      run('k/aoeblade/seqread', 100, 0),
      run('k/aoeblade/seqread', 110, 0),
      run('k/aoeblade/seqread', 120, 0),
      run('k/aoeblade/seqread', 10, 0.9),
    ];
    const selection = selectMedianRuns(group);
    expect(selection.over).toBe('clean');
    expect(selection.runs.map((item) => item.result as WorkloadResult).map((result) => result.megabytesPerSecond)).toEqual([100, 110, 120]);
    expect(selection.noisyRuns).toBe(1);
    expect(selection.noisyIncluded).toBe(0);
    const [median] = computeMedians(group);
    expect(median.values.megabytesPerSecond).toBe(110); // with the noisy run it would be 105
    expect(median.runs).toBe(3);
    expect(median.noisyRuns).toBe(1);
    expect(median.noisyIncluded).toBe(0);
  });

  it('falls back to all runs, and says how many noisy ones it included, when fewer than 3 are clean', () => {
    const group = [
      run('k/aoeblade/seqread', 100, 0),
      run('k/aoeblade/seqread', 120, 0),
      run('k/aoeblade/seqread', 10, 0.9),
      run('k/aoeblade/seqread', 20, 0.4),
    ];
    expect(selectMedianRuns(group).over).toBe('all');
    const [median] = computeMedians(group);
    expect(median.values.megabytesPerSecond).toBe(60); // (20 + 100) / 2 over all four
    expect(median.runs).toBe(4);
    expect(median.noisyIncluded).toBe(2);
  });

  it('takes a single clean run as it is, with nothing to say', () => {
    const [median] = computeMedians([run('k/aoeblade/seqread', 100, 0.01)]);
    expect(median.values.megabytesPerSecond).toBe(100);
    expect([median.runs, median.noisyRuns, median.noisyIncluded]).toEqual([1, 0, 0]);
  });

  it('flags a ratio whose aoeblade or vblade median included noisy runs', () => {
    const runs = [
      run('mtu1500/aoeblade/seqread', 100, 0),
      run('mtu1500/aoeblade/seqread', 100, 0),
      run('mtu1500/aoeblade/seqread', 100, 0),
      run('mtu1500/vblade/seqread', 200, 0.5),
      run('mtu1500/vblade/seqread', 200, 0),
    ];
    const ratio = computeRatios(computeMedians(runs)).find((item) => item.key === 'mtu1500/seqread/megabytesPerSecond');
    expect(ratio?.ratio).toBe(0.5);
    expect(ratio?.noisyIncluded).toBe(true);
  });
});

describe('noise guard: options and run order', () => {
  it('parses --noise-limit, --noise-retries (0 allowed) and --lab-prefix, with defaults 0.15 and 2', () => {
    expect(parseBenchArgs([], '/r').options).toMatchObject({ noiseLimitCores: 0.15, noiseRetries: 2 });
    const parsed = parseBenchArgs(['multipath', '--noise-limit', '0.3', '--noise-retries', '0', '--lab-prefix', 'abm'], '/r').options;
    expect(parsed).toMatchObject({ noiseLimitCores: 0.3, noiseRetries: 0, labPrefix: 'abm' });
    expect(() => parseBenchArgs(['--noise-limit', '-1'], '/r')).toThrow(/--noise-limit/);
    expect(() => parseBenchArgs(['--lab-prefix', 'Bad-Name'], '/r')).toThrow(/--lab-prefix/);
  });

  it('alternates the target order from run to run', () => {
    expect([1, 2, 3].map((item) => targetOrder(['aoeblade', 'vblade'], item))).toEqual([
      ['aoeblade', 'vblade'],
      ['vblade', 'aoeblade'],
      ['aoeblade', 'vblade'],
    ]);
  });
});
