// Smoke scenario of `npm run bench` (the real dist-tools/bench/main.js path): one link, one run, 1 s, so the benchmark cannot rot.
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { skipNetAllowed } from '../helpers/lab.js';

const root = fileURLToPath(new URL('../../', import.meta.url));

interface SmokeResults {
  machine: { cpus: number; kernel: string; node: string };
  options: { noiseLimitCores: number; noiseRetries: number };
  runs: Array<{
    scenario: string;
    key: string;
    target: string;
    workload: string;
    otherLoadCores: number;
    noisy: boolean;
    attempt: number;
    result: Record<string, number>;
  }>;
  medians: Array<{ key: string; runs: number; noisyRuns: number; noisyIncluded: number; values: Record<string, number> }>;
  ratios: Array<{ key: string; ratio: number }>;
  goals: Array<{ id: string; pass: boolean; ratio: number }>;
  errors: string[];
}

function runBench(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [path.join(root, 'dist-tools/bench/main.js'), ...args],
      { timeout: 28_000, maxBuffer: 8 << 20 },
      (error, stdout, stderr) => {
        resolve({ code: error ? (typeof error.code === 'number' ? error.code : 1) : 0, stdout, stderr });
      },
    );
  });
}

describe('npm run bench smoke scenario [netlab]', () => {
  it('measures aoeblade and vblade through the aoekit initiator and writes results.json with runs, medians, ratios and goals', async (context) => {
    const entry = path.join(root, 'dist-tools/bench/main.js');
    if (!fs.existsSync(entry)) throw new Error(`${entry} is missing: the benchmark runs from dist, build it first (npm run build:ts)`);
    const directory = fs.mkdtempSync(path.join(os.tmpdir(), 'aoekit-bench-smoke-'));
    const json = path.join(directory, 'results.json');
    const markdown = path.join(directory, 'BENCHMARKS.md');
    try {
      const { code, stdout, stderr } = await runBench([
        'target',
        '--mtu',
        '1500',
        '--runs',
        '1',
        '--seconds',
        '1',
        '--size-mib',
        '16',
        '--workloads',
        'seqread,randread-qd1',
        '--noise-retries',
        '0',
        '--json',
        json,
        '--markdown',
        markdown,
      ]);
      const results = JSON.parse(fs.readFileSync(json, 'utf8')) as SmokeResults;
      if (skipNetAllowed && results.errors.some((error) => error.includes('cannot build the lab'))) {
        context.skip(`network lab unavailable (AOEKIT_SKIP_NET=1): ${results.errors.join('; ')}`);
      }
      expect(results.errors, stderr).toEqual([]);
      expect(code, stdout + stderr).toBe(0);
      expect(results.machine.cpus).toBeGreaterThan(0);
      const keys = results.runs.map((run) => run.key).sort();
      expect(keys).toEqual([
        'mtu1500/aoeblade/randread-qd1',
        'mtu1500/aoeblade/seqread',
        'mtu1500/vblade/randread-qd1',
        'mtu1500/vblade/seqread',
      ]);
      expect(results.options).toMatchObject({ noiseLimitCores: 0.15, noiseRetries: 0 });
      for (const run of results.runs) {
        // Noise guard: every run carries its other load and the mark it earned; with --noise-retries 0 nothing is re-run.
        expect(run.otherLoadCores, run.key).toBe(run.result.otherBusyCores);
        expect(run.noisy, run.key).toBe(run.otherLoadCores > 0.15);
        expect(run.attempt, run.key).toBe(0);
        expect(run.result.megabytesPerSecond, run.key).toBeGreaterThan(0);
        expect(run.result.targetCpuSeconds, run.key).toBeGreaterThan(0);
        expect(run.result.latencyP50Us, run.key).toBeGreaterThan(0);
      }
      expect(results.medians).toHaveLength(4);
      for (const median of results.medians) expect(median.noisyIncluded, median.key).toBe(median.noisyRuns); // one run each: never 3 clean ones
      expect(results.ratios.find((ratio) => ratio.key === 'mtu1500/seqread/megabytesPerSecond')?.ratio).toBeGreaterThan(0);
      expect(results.goals.map((goal) => goal.id)).toContain('target-1500-seqread-megabytesPerSecond');
      expect(stdout).toMatch(/RATIO aoeblade\/vblade/);
      expect(stdout).toMatch(/noise guard: 4 raw runs, \d noisy/);
      const text = fs.readFileSync(markdown, 'utf8');
      expect(text).toMatch(/## Goals/);
      expect(text).toMatch(/analysis:begin/);
      expect(text).toMatch(/Noise guard: a run is \*\*noisy\*\*/);
    } finally {
      fs.rmSync(directory, { recursive: true, force: true });
    }
  }, 30_000);
});
