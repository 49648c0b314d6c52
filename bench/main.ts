#!/usr/bin/env node
// `npm run bench`: builds labs, runs the scenarios (a)-(g), prints the table, writes bench/results.json and BENCHMARKS.md.
import { packageRoot } from '../tools/package-root.js';
import { execFile } from 'node:child_process';
import { existsSync, rmSync } from 'node:fs';
import { readFile, rm } from 'node:fs/promises';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { createLab, installLabExitCleanup, type Lab } from '../tools/lab/netlab.js';
import { computeGoals, computeMedians, computeProjections, computeRatios } from './analysis.js';
import { runHandoff } from './handoff.js';
import { runInitiatorOverhead } from './initiator-overhead.js';
import { writeBenchmarksMarkdown } from './markdown.js';
import { mergeResults } from './merge.js';
import { runMultipath } from './multipath.js';
import { runScaling } from './scaling.js';
import { runNbdBacked } from './nbd-backed.js';
import { nextLabPrefix, noiseGuardOf, parseBenchArgs } from './options.js';
import { killClients } from './processes.js';
import { machineInfo, printSummary, writeJson } from './report.js';
import { runTargetVsVblade, type ScenarioContext } from './target-vs-vblade.js';
import { dataFrameSize, runCeiling } from './transport-ceiling.js';
import type { BenchOptions, BenchResults, RawRun } from './types.js';

const root = packageRoot();
const run = promisify(execFile);

const backingFiles = new Set<string>();
let backingCleanupInstalled = false;

/** A tmpfs file filled with real pages (dd from /dev/zero), so reads are not served from holes. Removed at exit too. */
async function makeBacking(prefix: string, sizeMiB: number): Promise<{ path: string; remove(): Promise<void> }> {
  const path = `/dev/shm/aoekit-bench-${prefix}.img`;
  if (!backingCleanupInstalled) {
    backingCleanupInstalled = true;
    process.on('exit', () => {
      for (const file of backingFiles) rmSync(file, { force: true });
    });
  }
  backingFiles.add(path);
  await run('dd', ['if=/dev/zero', `of=${path}`, 'bs=1M', `count=${sizeMiB}`, 'status=none']);
  return {
    path,
    remove: async () => {
      await rm(path, { force: true });
      backingFiles.delete(path);
    },
  };
}

export async function runBench(options: BenchOptions, log: (text: string) => void): Promise<BenchResults> {
  installLabExitCleanup();
  const runs: RawRun[] = [];
  const errors: string[] = [];
  const hooks = {
    record: (item: RawRun) => void runs.push(item),
    fail: (message: string) => {
      errors.push(message);
      log(`  ERROR ${message}`);
    },
    log,
  };
  const wanted = (name: BenchOptions['scenarios'][number]): boolean => options.scenarios.includes(name);
  if (wanted('nbd') && !options.mtus.includes(9000)) hooks.fail('the nbd scenario runs at MTU 9000: add 9000 to --mtu');
  if (wanted('target') || wanted('transport') || wanted('initiator') || wanted('nbd')) {
    for (const mtu of options.mtus) {
      const onlyNbd = !wanted('target') && !wanted('transport') && !wanted('initiator');
      if (onlyNbd && mtu !== 9000) continue;
      log(`one unshaped link, MTU ${mtu}`);
      let lab: Lab;
      try {
        lab = await createLab({ links: 1, mtu, prefix: nextLabPrefix(options) });
      } catch (error) {
        hooks.fail(`MTU ${mtu}: cannot build the lab: ${(error as Error).message}`);
        continue;
      }
      const backing = await makeBacking(lab.prefix, options.sizeMiB);
      try {
        const context: ScenarioContext = { lab, mtu, options, backingFile: backing.path, ...hooks };
        if (wanted('transport')) {
          const sizes = [...new Set([dataFrameSize(1500), dataFrameSize(mtu)])];
          await runCeiling(
            { lab, mtu, runs: options.runs, seconds: Math.min(options.seconds, 3), shaped: false, guard: noiseGuardOf(options), ...hooks },
            sizes,
          );
        }
        if (wanted('target')) await runTargetVsVblade(context);
        if (wanted('initiator')) await runInitiatorOverhead(context);
        if (wanted('nbd') && mtu === 9000) await runNbdBacked(context);
      } finally {
        await lab.destroy();
        await backing.remove();
      }
    }
  }
  if (wanted('multipath')) await runMultipath(options, { ...hooks, makeBacking: (prefix) => makeBacking(prefix, options.sizeMiB) });
  let handoff: BenchResults['handoff'];
  if (wanted('handoff')) {
    log('hand-off between a caller thread and a worker (initiator workers: SharedArrayBuffer or transfer lists)');
    handoff = await runHandoff(options.quick ? 0.2 : 1, options.runs);
  }
  if (wanted('scaling')) await runScaling(options, { ...hooks, makeBacking: (prefix) => makeBacking(prefix, options.sizeMiB) });
  const medians = computeMedians(runs);
  return {
    machine: machineInfo(),
    options,
    runs,
    medians,
    ratios: computeRatios(medians),
    goals: computeGoals(medians, options),
    projections: computeProjections(medians, options.mtus),
    errors,
    handoff,
  };
}

async function main(): Promise<void> {
  const parsed = parseBenchArgs(process.argv.slice(2), root);
  const write = (text: string): void => void process.stdout.write(text);
  if (parsed.reportOnly) {
    const saved = JSON.parse(await readFile(parsed.jsonPath, 'utf8')) as BenchResults;
    printSummary(saved, write);
    if (parsed.markdownPath !== undefined) writeBenchmarksMarkdown(parsed.markdownPath, saved);
    write(`\nre-rendered from ${parsed.jsonPath}${parsed.markdownPath === undefined ? '' : ` into ${parsed.markdownPath}`}\n`);
    return;
  }
  write(
    `aoekit bench: scenarios ${parsed.options.scenarios.join(', ')}; ${parsed.options.runs} run(s) x ${parsed.options.seconds} s; MTU ${parsed.options.mtus.join(', ')}\n`,
  );
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => {
      killClients(); // labs were torn down by the lab's own handler, registered first; files go in the 'exit' hook
      process.exit(128 + (signal === 'SIGINT' ? 2 : 15));
    });
  }
  const measured = await runBench(parsed.options, (text) => write(`${text}\n`));
  const results =
    parsed.merge && existsSync(parsed.jsonPath)
      ? mergeResults(JSON.parse(await readFile(parsed.jsonPath, 'utf8')) as BenchResults, measured)
      : measured;
  printSummary(measured, write);
  writeJson(parsed.jsonPath, results);
  write(`\nwrote ${parsed.jsonPath}\n`);
  if (parsed.markdownPath !== undefined) {
    writeBenchmarksMarkdown(parsed.markdownPath, results);
    write(`wrote ${parsed.markdownPath}\n`);
  }
  process.exitCode = measured.errors.length > 0 ? 1 : 0;
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) {
  main().catch((error: unknown) => {
    process.stderr.write(`aoekit bench: ${(error as Error).stack ?? String(error)}\n`);
    process.exitCode = 1;
  });
}
