// Helpers for the start-up failure suites: run the built aoeblade to its exit, timed, and check it failed the way a start-up failure must.
import { execFile } from 'node:child_process';
import { performance } from 'node:perf_hooks';
import { expect } from 'vitest';
import { BLADE } from './blade.js';

export interface TimedResult {
  code: number;
  stdout: string;
  stderr: string;
  ms: number;
}

/** A start-up failure must be reported within this long. */
export const STARTUP_FAILURE_MS = 2000;

/** Run `aoeblade args` in this namespace; killed after `timeoutMs` (a hang shows as exit 137 and a long time). */
export function runBlade(args: string[], timeoutMs = 5000): Promise<TimedResult> {
  const started = performance.now();
  return new Promise((resolve) => {
    const child = execFile(
      process.execPath,
      [BLADE, ...args],
      { timeout: timeoutMs, killSignal: 'SIGKILL', encoding: 'utf8' },
      (error, stdout, stderr) => {
        const failure = error as (Error & { code?: unknown; signal?: string | null }) | null;
        const code = failure ? (typeof failure.code === 'number' ? failure.code : failure.signal ? 137 : 1) : 0;
        resolve({ code, stdout, stderr, ms: performance.now() - started });
      },
    );
    child.stdin?.end();
  });
}

/** Time an async run (e.g. lab.exec) and attach the milliseconds it took. */
export async function timed(run: () => Promise<{ code: number; stdout: string; stderr: string }>): Promise<TimedResult> {
  const started = performance.now();
  const result = await run();
  return { ...result, ms: performance.now() - started };
}

/** One line on stderr naming the problem, no stack, a non-zero exit (not a signal), within STARTUP_FAILURE_MS. */
export function expectOneLineFailure(result: TimedResult, mentions: RegExp): void {
  const lines = result.stderr.split('\n').filter((line) => line.trim() !== '');
  expect(result.code, result.stderr).not.toBe(0);
  expect(result.code, result.stderr).toBeLessThan(128);
  expect(lines, result.stderr).toHaveLength(1);
  expect(lines[0]).toMatch(/^aoeblade: /);
  expect(lines[0]).toMatch(mentions);
  expect(result.stderr).not.toMatch(/unexpected error|\n\s+at /);
  expect(result.ms).toBeLessThan(STARTUP_FAILURE_MS);
}

/** 'exit 1 in 231 ms: aoeblade: ...' for the figures. */
export function describeFailure(result: TimedResult): string {
  const line = result.stderr.split('\n').find((text) => text.trim() !== '') ?? '(no output)';
  return `exit ${result.code} in ${Math.round(result.ms)} ms: ${line}`;
}
