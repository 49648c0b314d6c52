// Scenario 9: bad CLI arguments, malformed config, bad backing files, missing NIC, no CAP_NET_RAW: one clear line, non-zero exit, nothing half-made.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { recordFigures } from '../../tools/reliability/figures.js';
import { useLab } from '../helpers/lab.js';
import { BLADE, requireBuild, sha256 } from './blade.js';

const AOE = fileURLToPath(new URL('../../dist/cli/aoe.js', import.meta.url));
const NOBODY = ['setpriv', '--reuid=65534', '--regid=65534', '--clear-groups', '--inh-caps=-all', '--bounding-set=-all'];

interface Case {
  name: string;
  argv: (dir: string) => string[];
  /** What the error line must mention. */
  expect: RegExp;
  asNobody?: boolean;
}

describe('bad input at the edges [netlab]', () => {
  const net = useLab({ links: 1 });
  const root = fs.mkdtempSync('/dev/shm/aoekit-rel-badinput-');
  const image = path.join(root, 'disk.img');
  const tiny = path.join(root, 'tiny.img');
  const rows: string[] = [];

  beforeAll(() => {
    requireBuild();
    fs.chmodSync(root, 0o755);
    fs.writeFileSync(image, Buffer.alloc(64 * 512, 7));
    fs.chmodSync(image, 0o666);
    fs.writeFileSync(tiny, Buffer.alloc(100, 1));
    fs.writeFileSync(path.join(root, 'bad.json'), '{"exports": [ {"shelf": 1, ');
    fs.writeFileSync(
      path.join(root, 'wrong.json'),
      JSON.stringify({ exports: [{ shelf: 70000, slot: 1, path: image, interfaces: ['t0'] }] }),
    );
  });
  afterAll(() => {
    fs.rmSync(root, { recursive: true, force: true });
    recordFigures(
      9,
      'bad input at the edges',
      'Each bad input gets one clear error line (plus at most one hint line such as "Try aoeblade --help" or "See examples/serve.json"), a non-zero exit, no stack trace, and leaves no state directory, control socket or file behind.',
      Object.fromEntries(rows.map((row) => row.split(' => '))),
    );
  });

  const blade = (dir: string, ...args: string[]) => [
    process.execPath,
    BLADE,
    '--state-dir',
    path.join(dir, 'state'),
    '--control-socket',
    path.join(dir, 'ctl.sock'),
    ...args,
  ];
  const cases: Case[] = [
    { name: 'shelf out of range', argv: (dir) => blade(dir, '70000', '1', 't0', image), expect: /shelf must be between 0 and 65534/ },
    { name: 'missing arguments', argv: (dir) => blade(dir, '1', '1'), expect: /missing required argument/ },
    { name: 'unknown option', argv: (dir) => blade(dir, '--frobnicate', '1', '1', 't0', image), expect: /unknown option/ },
    { name: 'bad -b', argv: (dir) => blade(dir, '-b', '0', '1', '1', 't0', image), expect: /-b bufcnt must be between/ },
    { name: 'bad -m MAC', argv: (dir) => blade(dir, '-m', 'zz:zz', '1', '1', 't0', image), expect: /not a MAC address/ },
    {
      name: 'malformed config file (JSON)',
      argv: () => [process.execPath, AOE, 'serve', '--config', path.join(root, 'bad.json')],
      expect: /bad\.json/,
    },
    {
      name: 'config file with a bad value',
      argv: () => [process.execPath, AOE, 'serve', '--config', path.join(root, 'wrong.json')],
      expect: /shelf/,
    },
    { name: 'backing file missing', argv: (dir) => blade(dir, '1', '1', 't0', path.join(dir, 'nope.img')), expect: /nope\.img|ENOENT/ },
    { name: 'backing file smaller than a sector', argv: (dir) => blade(dir, '1', '1', 't0', tiny), expect: /sector|small|512/i },
    {
      name: 'window beyond the file (-o)',
      argv: (dir) => blade(dir, '-o', '1000', '1', '1', 't0', image),
      expect: /outside|offset|does not fit/i,
    },
    { name: 'NIC does not exist', argv: (dir) => blade(dir, '1', '1', 'nosuch0', image), expect: /nosuch0/ },
    {
      name: 'no CAP_NET_RAW (runs as nobody)',
      argv: (dir) => [...NOBODY, ...blade(dir, '1', '1', 't0', image)],
      expect: /CAP_NET_RAW/,
      asNobody: true,
    },
  ];

  for (const item of cases) {
    it(`${item.name}: one clear line, non-zero exit, nothing half-made`, async () => {
      const lab = net.lab;
      const dir = fs.mkdtempSync(path.join(root, 'case-'));
      fs.chmodSync(dir, 0o777);
      const before = sha256(fs.readFileSync(image));
      const result = await lab.exec(lab.targetNs, item.argv(dir), { timeoutMs: 20_000 });
      const lines = result.stderr.trim().split('\n').filter(Boolean);
      rows.push(`${item.name} => exit ${result.code}: ${lines[0] ?? '(no output)'}`);
      expect(result.code, result.stderr).not.toBe(0);
      expect(result.code, result.stderr).toBeLessThan(128); // an exit, not a crash by signal
      expect(lines.length, result.stderr).toBeGreaterThanOrEqual(1);
      expect(lines[0]).toMatch(/^aoe(blade)?: /);
      expect(lines[0]).toMatch(item.expect);
      expect(result.stderr).not.toMatch(/unexpected error|\n\s+at /);
      expect(
        lines.slice(1).every((line) => /^(Try '|See )/.test(line)),
        result.stderr,
      ).toBe(true); // at most a hint after the error line
      expect(result.stdout.trim()).toBe('');
      expect(fs.readdirSync(dir), 'files left behind').toEqual([]);
      expect(sha256(fs.readFileSync(image))).toBe(before);
    }, 30_000);
  }
});
