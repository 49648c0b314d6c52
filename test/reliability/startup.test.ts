// Scenario 12a: start-up failures found before any NIC (backing file, RAM disk size): one line, non-zero exit, within 2 s.

// Runs the built CLI (`npm run build:ts`); the NIC named is never reached.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { recordFigures } from '../../tools/reliability/figures.js';
import { requireBuild } from './blade.js';
import { describeFailure, expectOneLineFailure, runBlade } from './startup-check.js';

describe('aoeblade start-up failures before any NIC', () => {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'aoekit-startup-'));
  const rows: Record<string, string> = {};
  beforeAll(() => requireBuild());
  afterAll(() => {
    fs.rmSync(root, { recursive: true, force: true });
    recordFigures(
      12,
      'start-up failures before any NIC',
      'A backing path that cannot be exported, or a RAM disk larger than the memory available, is refused with one line and a non-zero exit, within 2 s, before any NIC is opened (no hang in open() or in allocation, no stack trace).',
      rows,
    );
  });

  it('a directory as the backing file gives one line, not a stack trace', async () => {
    const directory = path.join(root, 'a-directory');
    fs.mkdirSync(directory);
    for (const flags of [[], ['-r']]) {
      const result = await runBlade([...flags, '1', '1', 'nosuchnic0', directory]);
      rows[`directory ${flags.join(' ')}`.trim()] = describeFailure(result);
      expectOneLineFailure(result, /a-directory.*is a directory/);
    }
  });

  it('a FIFO as the backing file (-r) is refused at once instead of hanging in open()', async () => {
    const fifo = path.join(root, 'a-fifo');
    execFileSync('mkfifo', [fifo]);
    for (const flags of [['-r'], []]) {
      const result = await runBlade([...flags, '1', '1', 'nosuchnic0', fifo]);
      rows[`FIFO ${flags.join(' ')}`.trim()] = describeFailure(result);
      expectOneLineFailure(result, /a-fifo.*is a FIFO/);
    }
  });

  it('ram:100T is refused at once instead of hanging in allocation', async () => {
    const result = await runBlade(['1', '1', 'nosuchnic0', 'ram:100T']);
    rows['ram:100T'] = describeFailure(result);
    expectOneLineFailure(result, /RAM disk of 100 TiB does not fit in memory.*ENOMEM/);
  });

  it('a character device as the backing file is refused with one line', async () => {
    const result = await runBlade(['-r', '1', '1', 'nosuchnic0', '/dev/zero']);
    rows['/dev/zero'] = describeFailure(result);
    expectOneLineFailure(result, /\/dev\/zero.*character device/);
    expect(result.stdout).toBe('');
  });
});
