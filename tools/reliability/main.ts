// `npm run reliability`: run test/reliability (the full sizes unless AOEKIT_RELIABILITY_QUICK=1), then regenerate RELIABILITY.md from the recorded figures.
import { spawnSync } from 'node:child_process';
import { mkdirSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { renderReliability } from './render.js';

function main(): number {
  const root = process.cwd();
  const directory = path.resolve(
    root,
    process.env.AOEKIT_RELIABILITY_DIR ?? path.join(os.tmpdir(), `aoekit-reliability-run-${process.pid}`),
  );
  rmSync(directory, { recursive: true, force: true });
  mkdirSync(directory, { recursive: true });
  const only = process.argv.slice(2); // optional test file filters, e.g. `npm run reliability -- loss`
  const run = spawnSync(
    'npx',
    [
      'vitest',
      'run',
      ...(only.length > 0 ? only.map((item) => `test/reliability/${item}`) : ['test/reliability']),
      '--reporter=default',
      '--reporter=json',
      `--outputFile.json=${path.join(directory, 'vitest.json')}`,
    ],
    {
      stdio: 'inherit',
      env: { ...process.env, AOEKIT_RELIABILITY_DIR: directory },
    },
  );
  const output = path.resolve(root, 'RELIABILITY.md');
  renderReliability(directory, output);
  console.log(`wrote ${output}`);
  return run.status ?? 1;
}

process.exitCode = main();
