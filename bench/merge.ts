// `--merge`: fold a run of some scenarios into an earlier results file, replacing only those scenarios' runs.
import { computeGoals, computeMedians, computeProjections, computeRatios } from './analysis.js';
import type { BenchResults } from './types.js';

/**
 * The earlier run keeps its machine description and options (they describe most of the figures); the scenarios measured
 * now replace theirs, are listed in `merged` with their own date and settings, and every median, ratio and goal is
 * recomputed over the combined runs.
 */
export function mergeResults(previous: BenchResults, current: BenchResults): BenchResults {
  const replaced = new Set(current.options.scenarios);
  const runs = [...previous.runs.filter((run) => !replaced.has(run.scenario)), ...current.runs];
  const options = {
    ...previous.options,
    scenarios: [...new Set([...previous.options.scenarios, ...current.options.scenarios])],
    nbdBufferCount: current.options.nbdBufferCount ?? previous.options.nbdBufferCount,
  };
  const medians = computeMedians(runs);
  const merged = [
    ...(previous.merged ?? []).filter((item) => !item.scenarios.every((scenario) => replaced.has(scenario))),
    {
      scenarios: current.options.scenarios,
      date: current.machine.date,
      runs: current.options.runs,
      seconds: current.options.seconds,
      sizeMiB: current.options.sizeMiB,
      noisyRuns: current.runs.filter((run) => run.noisy).length,
      rawRuns: current.runs.length,
    },
  ];
  return {
    machine: previous.machine,
    merged,
    options,
    runs,
    medians,
    ratios: computeRatios(medians),
    goals: computeGoals(medians, options),
    projections: computeProjections(medians, options.mtus),
    errors: [...previous.errors, ...current.errors],
    handoff: current.handoff ?? previous.handoff,
  };
}
