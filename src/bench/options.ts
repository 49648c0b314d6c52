// Command line of `node dist/bench/main.js [scenario...] [--runs N] [--seconds N] [--quick] ...` turned into BenchOptions.
import { join } from 'node:path';
import { SCENARIOS, type BenchOptions, type ScenarioName } from './types.js';

export interface ParsedBenchArgs {
  options: BenchOptions;
  jsonPath: string;
  /** undefined with --no-markdown. */
  markdownPath: string | undefined;
  /** --report-only: re-render the table and BENCHMARKS.md from an existing results file, measure nothing. */
  reportOnly: boolean;
}

export const BENCH_USAGE = `usage: node dist/bench/main.js [target|multipath|transport|initiator ...] [options]
  --runs N           repetitions per measurement, median reported (default 3; --quick: 1)
  --seconds N        seconds per workload run (default 5; --quick: 1)
  --mtu LIST         MTUs, comma separated (default 1500,9000)
  --links LIST       multipath link counts (default 1,2,3,4; --quick: 1,2)
  --rate RATE        tbf rate per link for multipath (default 1gbit)
  --size-mib N       backing file / RAM disk size in MiB (default 512; --quick: 64)
  --buffers N        buffer count both targets advertise (-b, default 16)
  --workloads LIST   scenario (a) workloads: seqread,seqwrite,randread-qd1,randread-qd32,randwrite-qd32
  --targets LIST     aoeblade,vblade (default both)
  --profile DIR      run aoeblade and the client with --cpu-prof, profiles under DIR
  --json PATH        results file (default bench/results.json)
  --markdown PATH    regenerated report (default BENCHMARKS.md); --no-markdown to skip
  --report-only      measure nothing: re-render the table and BENCHMARKS.md from the --json file
  --quick            short validation pass`;

function fail(message: string): never {
  throw Object.assign(new Error(`${message}\n${BENCH_USAGE}`), { code: 'ERR_BENCH_USAGE' });
}

function positiveNumber(text: string | undefined, flag: string): number {
  const value = Number(text);
  if (text === undefined || !(value > 0)) fail(`${flag} needs a positive number, got '${text}'`);
  return value;
}

function list(text: string | undefined, flag: string): string[] {
  if (text === undefined || text.trim() === '') fail(`${flag} needs a comma-separated list`);
  return text.split(',').map((item) => item.trim()).filter(Boolean);
}

export function parseBenchArgs(argv: string[], root: string): ParsedBenchArgs {
  const quick = argv.includes('--quick');
  const options: BenchOptions = {
    scenarios: [], runs: quick ? 1 : 3, seconds: quick ? 1 : 5, mtus: [1500, 9000], linkCounts: quick ? [1, 2] : [1, 2, 3, 4], rate: '1gbit',
    sizeMiB: quick ? 64 : 512, bufferCount: 16, workloads: undefined, targets: ['aoeblade', 'vblade'], profileDir: undefined, quick,
  };
  let jsonPath = join(root, 'bench', 'results.json');
  let markdownPath: string | undefined = join(root, 'BENCHMARKS.md');
  let reportOnly = false;
  for (let i = 0; i < argv.length; i++) {
    const argument = argv[i];
    const next = (): string | undefined => argv[++i];
    switch (argument) {
      case '--quick': break;
      case '--runs': options.runs = Math.round(positiveNumber(next(), '--runs')); break;
      case '--seconds': options.seconds = positiveNumber(next(), '--seconds'); break;
      case '--mtu': options.mtus = list(next(), '--mtu').map((item) => positiveNumber(item, '--mtu')); break;
      case '--links': options.linkCounts = list(next(), '--links').map((item) => Math.round(positiveNumber(item, '--links'))); break;
      case '--rate': options.rate = next() ?? fail('--rate needs a value'); break;
      case '--size-mib': options.sizeMiB = Math.round(positiveNumber(next(), '--size-mib')); break;
      case '--buffers': options.bufferCount = Math.round(positiveNumber(next(), '--buffers')); break;
      case '--workloads': options.workloads = list(next(), '--workloads'); break;
      case '--targets': {
        const targets = list(next(), '--targets');
        if (targets.some((target) => target !== 'aoeblade' && target !== 'vblade')) fail('--targets takes aoeblade and/or vblade');
        options.targets = targets as BenchOptions['targets'];
        break;
      }
      case '--profile': options.profileDir = next() ?? fail('--profile needs a directory'); break;
      case '--json': jsonPath = next() ?? fail('--json needs a path'); break;
      case '--markdown': markdownPath = next() ?? fail('--markdown needs a path'); break;
      case '--no-markdown': markdownPath = undefined; break;
      case '--report-only': reportOnly = true; break;
      case '--help': case '-h': process.stdout.write(`${BENCH_USAGE}\n`); process.exit(0);
      default:
        if (argument.startsWith('-')) fail(`unknown option ${argument}`);
        if (!SCENARIOS.includes(argument as ScenarioName)) fail(`unknown scenario '${argument}' (use ${SCENARIOS.join(', ')})`);
        options.scenarios.push(argument as ScenarioName);
    }
  }
  if (options.scenarios.length === 0) options.scenarios = [...SCENARIOS];
  return { options, jsonPath, markdownPath, reportOnly };
}
