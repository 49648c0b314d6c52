// Noise guard of the benchmark: marks runs whose other-process CPU load exceeds a limit, re-runs them, and picks the runs a median uses.
import type { RawRun } from './types.js';

/** Busy cores of other processes above which a run counts as noisy (0.15 = 15 % of one core). */
export const DEFAULT_NOISE_LIMIT_CORES = 0.15;
/** How many times a noisy measurement is re-run before the bench moves on. */
export const DEFAULT_NOISE_RETRIES = 2;
/** A median leaves noisy runs out only when at least this many clean runs remain. */
export const MIN_CLEAN_RUNS = 3;

export interface NoiseGuard {
  limitCores: number;
  retries: number;
}

/** True when `otherLoadCores` (busy cores used by neither the target nor the client) is above the limit. Unknown load (NaN) is not noise. */
export function isNoisy(otherLoadCores: number, limitCores: number): boolean {
  return Number.isFinite(otherLoadCores) && otherLoadCores > limitCores;
}

/** True when a measurement (attempt 0 = the first try) produced a noisy run and has retries left. */
export function shouldRetry(runs: ReadonlyArray<{ noisy: boolean }>, attempt: number, guard: NoiseGuard): boolean {
  return attempt < guard.retries && runs.some((run) => run.noisy);
}

export interface MedianSelection<T> {
  /** The runs the median is computed over. */
  runs: T[];
  /** 'clean': noisy runs left out (or none existed); 'all': fewer than MIN_CLEAN_RUNS clean runs, so noisy ones are included. */
  over: 'clean' | 'all';
  /** Noisy runs in the group. */
  noisyRuns: number;
  /** Noisy runs among `runs` (0 when over is 'clean'). */
  noisyIncluded: number;
}

/** The median uses only the clean runs when at least MIN_CLEAN_RUNS exist, otherwise every run (and says so). */
export function selectMedianRuns<T extends { noisy?: boolean }>(group: readonly T[]): MedianSelection<T> {
  const clean = group.filter((run) => run.noisy !== true);
  const noisyRuns = group.length - clean.length;
  if (noisyRuns === 0 || clean.length >= MIN_CLEAN_RUNS) return { runs: clean, over: 'clean', noisyRuns, noisyIncluded: 0 };
  return { runs: [...group], over: 'all', noisyRuns, noisyIncluded: noisyRuns };
}

export interface GuardHooks {
  record(run: RawRun): void;
  log(message: string): void;
}

/**
 * Runs `measure` (which returns the runs of one measurement, unrecorded, or undefined after a reported failure), marks each run
 * noisy or not from its other load, records them all, and measures again while a run was noisy and retries are left.
 */
export async function measureGuarded(
  guard: NoiseGuard,
  hooks: GuardHooks,
  what: string,
  measure: (attempt: number) => Promise<Array<Omit<RawRun, 'noisy' | 'attempt'>> | undefined>,
): Promise<void> {
  for (let attempt = 0; ; attempt++) {
    const measured = await measure(attempt);
    if (measured === undefined || measured.length === 0) return;
    const runs: RawRun[] = measured.map((run) => ({ ...run, noisy: isNoisy(run.otherLoadCores, guard.limitCores), attempt }));
    for (const run of runs) hooks.record(run);
    if (!shouldRetry(runs, attempt, guard)) return;
    const worst = Math.max(...runs.map((run) => run.otherLoadCores).filter(Number.isFinite));
    hooks.log(
      `  noisy: ${what} saw ${worst.toFixed(2)} cores of other load (limit ${guard.limitCores}); re-running (retry ${attempt + 1} of ${guard.retries})`,
    );
  }
}
