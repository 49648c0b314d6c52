// `aoe serve` config validation (errors name the JSON path) and aoeblade's argument errors (one line, exit 2).
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { parseServeConfig } from '../../src/blade/serve-config.js';

const BLADE = fileURLToPath(new URL('../../dist/cli/aoeblade.js', import.meta.url));
const EXAMPLE = fileURLToPath(new URL('../../examples/serve.json', import.meta.url));

function runBlade(args: string[]): Promise<{ code: number; stderr: string; stdout: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [BLADE, ...args], { timeout: 10_000 }, (error, stdout, stderr) => {
      resolve({ code: error ? (typeof error.code === 'number' ? error.code : 1) : 0, stdout, stderr });
    });
  });
}

const valid = { exports: [{ shelf: 1, slot: 1, path: 'ram:1M', interfaces: ['eth1'] }] };

describe('parseServeConfig', () => {
  it('accepts the shipped example', () => {
    const config = parseServeConfig(JSON.parse(fs.readFileSync(EXAMPLE, 'utf8')));
    expect(config.exports).toHaveLength(3);
    expect(config.exports[1].macMask).toEqual([0x020000000001, 0x020000000002]);
    expect(config.statsInterval).toBe(60);
  });

  it.each([
    [{ exports: [{ ...valid.exports[0], shelf: 65535 }] }, 'exports[0].shelf must be 0..65534'],
    [{ exports: [{ ...valid.exports[0], slot: 255 }] }, 'exports[0].slot must be 0..254'],
    [{ exports: [valid.exports[0], { ...valid.exports[0], interfaces: [] }] }, 'exports[1].interfaces must be a non-empty array'],
    [{ exports: [{ ...valid.exports[0], macMask: ['nope'] }] }, 'exports[0].macMask[0] is not a MAC address'],
    [{ exports: [{ ...valid.exports[0], bogus: 1 }] }, 'exports[0].bogus is not a known setting'],
    [{ exports: [valid.exports[0], valid.exports[0]] }, 'exports[1] repeats e1.1 on eth1'],
    [
      { exports: [{ ...valid.exports[0], configString: 'x'.repeat(1025) }] },
      'exports[0].configString must be a string of at most 1024 bytes',
    ],
    [{ exports: [] }, 'exports must be a non-empty array'],
    [{ exports: [{ ...valid.exports[0], serial: 'x'.repeat(21) }] }, 'exports[0].serial must be at most 20 printable ASCII characters'],
    [{ ...valid, statsInterval: -1 }, 'statsInterval must be 0..86400'],
  ])('rejects %j with a message naming the path', (input, message) => {
    expect(() => parseServeConfig(input)).toThrow(
      expect.objectContaining({ code: 'ERR_CONFIG', message: expect.stringContaining(message) }),
    );
  });
});

describe('aoeblade command line (dist build)', () => {
  beforeAll(() => {
    if (!fs.existsSync(BLADE)) throw new Error(`${BLADE} is missing: run npm run build first`);
  });

  it('prints one line plus a usage hint and exits 2 on bad arguments', async () => {
    for (const args of [
      ['1'],
      ['70000', '1', 'eth0', 'ram:1M'],
      ['-m', 'zz', '1', '1', 'eth0', 'ram:1M'],
      ['1', '1', 'eth0', 'ram:lots'],
      ['-b', 'x', '1', '1', 'eth0', 'ram:1M'],
      ['--model', 'é', '1', '1', 'eth0', 'ram:1M'],
    ]) {
      const result = await runBlade(args);
      expect(result.code, args.join(' ')).toBe(2);
      const lines = result.stderr.trim().split('\n');
      expect(lines).toHaveLength(2);
      expect(lines[0]).toMatch(/^aoeblade: /);
      expect(lines[1]).toMatch(/--help/);
    }
  });

  it('--help explains every flag', async () => {
    const result = await runBlade(['--help']);
    expect(result.code).toBe(0);
    for (const flag of [
      '-b,',
      '-o,',
      '-l,',
      '-d,',
      '-s,',
      '-r,',
      '-m,',
      '--mtu',
      '--config-string',
      '--state-dir',
      '--no-announce',
      '--physical-sector',
      '--serial',
      '--model',
      '--stats-interval',
      '--control-socket',
      '--log-level',
      '--pretty',
      '--netns',
    ]) {
      expect(result.stdout).toContain(flag);
    }
  });

  it('a missing interface is a one-line runtime error (exit 1)', async () => {
    const result = await runBlade(['--no-announce', '1', '1', 'nosuchif0', 'ram:1M']);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/ENODEV/);
  });
});
