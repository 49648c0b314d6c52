// Command line of `node dist-tools/bench/main.js [scenario...] [--runs N] [--seconds N] [--quick] ...` turned into BenchOptions.
import { join } from 'node:path';
import { DEFAULT_NOISE_LIMIT_CORES, DEFAULT_NOISE_RETRIES } from './noise.js';
import { SCENARIOS, type BenchOptions, type ScenarioName } from './types.js';

export interface ParsedBenchArgs {
  options: BenchOptions;
  jsonPath: string;
  /** undefined with --no-markdown. */
  markdownPath: string | undefined;
  /** --report-only: re-render the table and BENCHMARKS.md from an existing results file, measure nothing. */
  reportOnly: boolean;
  /** --merge: replace only the measured scenarios' runs in the existing results file, keep the rest. */
  merge: boolean;
}

export const BENCH_USAGE = `usage: node dist-tools/bench/main.js [target|multipath|transport|initiator|nbd|scaling|handoff ...] [options]
  --runs N           repetitions per measurement, median reported (default 3; --quick: 1)
  --seconds N        seconds per workload run (default 5; --quick: 1)
  --mtu LIST         MTUs, comma separated (default 1500,9000)
  --links LIST       multipath link counts (default 1,2,3,4; --quick: 1,2)
  --rate RATE        tbf rate per link for multipath and scaling (default 1gbit)
  --workers N        aoeblade worker threads in (a)-(d) (default 1)
  --max-workers N    scaling (f): aoeblade with 1..N worker threads (default 2)
  --size-mib N       backing file / RAM disk size in MiB (default 512; --quick: 64)
  --buffers N        buffer count both targets advertise (-b, default 16)
  --nbd-buffers N    buffer count of both targets in the nbd scenario (default 64)
  --workloads LIST   scenario (a) workloads: seqread,seqwrite,randread-qd1,randread-qd32,randwrite-qd32
  --targets LIST     aoeblade,vblade (default both)
  --noise-limit C    a run whose other-process load exceeds C busy cores is noisy: re-run, kept, left out of
                     the median when 3 clean runs exist (default ${DEFAULT_NOISE_LIMIT_CORES})
  --noise-retries N  re-runs per noisy measurement (default ${DEFAULT_NOISE_RETRIES}; 0 = mark only)
  --lab-prefix P     name labs P + pid + counter (default $AOEKIT_LAB_PREFIX, else the lab's own 'ak...')
  --profile DIR      run aoeblade and the client with --cpu-prof, profiles under DIR
  --json PATH        results file (default bench/results.json)
  --markdown PATH    regenerated report (default BENCHMARKS.md); --no-markdown to skip
  --report-only      measure nothing: re-render the table and BENCHMARKS.md from the --json file
  --merge            keep the --json file's other scenarios: replace only the runs of the scenarios measured now
  --quick            short validation pass`;

function fail(message: string): never {
  throw Object.assign(new Error(`${message}\n${BENCH_USAGE}`), { code: 'ERR_BENCH_USAGE' });
}

function positiveNumber(text: string | undefined, flag: string): number {
  const value = Number(text);
  if (text === undefined || !(value > 0)) fail(`${flag} needs a positive number, got '${text}'`);
  return value;
}

function nonNegativeNumber(text: string | undefined, flag: string): number {
  const value = Number(text);
  if (text === undefined || text.trim() === '' || !(value >= 0)) fail(`${flag} needs a number >= 0, got '${text}'`);
  return value;
}

/** 1-8 chars [a-z0-9] starting with a letter, so prefix + pid + counter stays within the lab's 16. */
function labPrefix(text: string | undefined, flag: string): string {
  if (text === undefined || !/^[a-z][a-z0-9]{0,7}$/.test(text))
    fail(`${flag} needs 1-8 characters [a-z0-9] starting with a letter, got '${text}'`);
  return text;
}

function list(text: string | undefined, flag: string): string[] {
  if (text === undefined || text.trim() === '') fail(`${flag} needs a comma-separated list`);
  return text
    .split(',')
    .map((item) => item.trim())
    .filter(Boolean);
}

export function parseBenchArgs(argv: string[], root: string): ParsedBenchArgs {
  const quick = argv.includes('--quick');
  const options: BenchOptions = {
    scenarios: [],
    runs: quick ? 1 : 3,
    seconds: quick ? 1 : 5,
    mtus: [1500, 9000],
    linkCounts: quick ? [1, 2] : [1, 2, 3, 4],
    rate: '1gbit',
    sizeMiB: quick ? 64 : 512,
    bufferCount: 16,
    nbdBufferCount: 64,
    workloads: undefined,
    targets: ['aoeblade', 'vblade'],
    profileDir: undefined,
    quick,
    noiseLimitCores: DEFAULT_NOISE_LIMIT_CORES,
    noiseRetries: DEFAULT_NOISE_RETRIES,
    labPrefix: process.env.AOEKIT_LAB_PREFIX ? labPrefix(process.env.AOEKIT_LAB_PREFIX, 'AOEKIT_LAB_PREFIX') : undefined,
  };
  let jsonPath = join(root, 'bench', 'results.json');
  let markdownPath: string | undefined = join(root, 'BENCHMARKS.md');
  let reportOnly = false;
  let merge = false;
  for (let i = 0; i < argv.length; i++) {
    const argument = argv[i];
    const next = (): string | undefined => argv[++i];
    switch (argument) {
      case '--quick':
        break;
      case '--runs':
        options.runs = Math.round(positiveNumber(next(), '--runs'));
        break;
      case '--seconds':
        options.seconds = positiveNumber(next(), '--seconds');
        break;
      case '--mtu':
        options.mtus = list(next(), '--mtu').map((item) => positiveNumber(item, '--mtu'));
        break;
      case '--links':
        options.linkCounts = list(next(), '--links').map((item) => Math.round(positiveNumber(item, '--links')));
        break;
      case '--rate':
        options.rate = next() ?? fail('--rate needs a value');
        break;
      case '--workers':
        options.workers = Math.round(positiveNumber(next(), '--workers'));
        break;
      case '--max-workers':
        options.maxWorkers = Math.round(positiveNumber(next(), '--max-workers'));
        break;
      case '--size-mib':
        options.sizeMiB = Math.round(positiveNumber(next(), '--size-mib'));
        break;
      case '--buffers':
        options.bufferCount = Math.round(positiveNumber(next(), '--buffers'));
        break;
      case '--nbd-buffers':
        options.nbdBufferCount = Math.round(positiveNumber(next(), '--nbd-buffers'));
        break;
      case '--workloads':
        options.workloads = list(next(), '--workloads');
        break;
      case '--targets': {
        const targets = list(next(), '--targets');
        if (targets.some((target) => target !== 'aoeblade' && target !== 'vblade')) fail('--targets takes aoeblade and/or vblade');
        options.targets = targets as BenchOptions['targets'];
        break;
      }
      case '--noise-limit':
        options.noiseLimitCores = nonNegativeNumber(next(), '--noise-limit');
        break;
      case '--noise-retries':
        options.noiseRetries = Math.round(nonNegativeNumber(next(), '--noise-retries'));
        break;
      case '--lab-prefix':
        options.labPrefix = labPrefix(next(), '--lab-prefix');
        break;
      case '--profile':
        options.profileDir = next() ?? fail('--profile needs a directory');
        break;
      case '--json':
        jsonPath = next() ?? fail('--json needs a path');
        break;
      case '--markdown':
        markdownPath = next() ?? fail('--markdown needs a path');
        break;
      case '--no-markdown':
        markdownPath = undefined;
        break;
      case '--report-only':
        reportOnly = true;
        break;
      case '--merge':
        merge = true;
        break;
      case '--help':
      case '-h':
        process.stdout.write(`${BENCH_USAGE}\n`);
        process.exit(0);
        break; // not reached: exit never returns
      default:
        if (argument.startsWith('-')) fail(`unknown option ${argument}`);
        if (!SCENARIOS.includes(argument as ScenarioName)) fail(`unknown scenario '${argument}' (use ${SCENARIOS.join(', ')})`);
        options.scenarios.push(argument as ScenarioName);
    }
  }
  if (options.scenarios.length === 0) options.scenarios = [...SCENARIOS];
  return { options, jsonPath, markdownPath, reportOnly, merge };
}

let labCounter = 0;

/** Name for the next lab: `labPrefix` + pid + counter (base 36), or undefined for the lab's default name. */
export function nextLabPrefix(options: BenchOptions): string | undefined {
  if (options.labPrefix === undefined) return undefined;
  labCounter += 1;
  return `${options.labPrefix}${process.pid.toString(36)}${labCounter.toString(36)}`;
}

/** The noise guard the options ask for (defaults for results written before the guard existed). */
export function noiseGuardOf(options: BenchOptions): { limitCores: number; retries: number } {
  return { limitCores: options.noiseLimitCores ?? DEFAULT_NOISE_LIMIT_CORES, retries: options.noiseRetries ?? DEFAULT_NOISE_RETRIES };
}
