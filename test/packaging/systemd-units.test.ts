// The shipped systemd units pass systemd-analyze verify (in a scratch root with their ExecStart bins and man pages), and aoeblade-instance picks and splits configs.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ROOT, run } from './package-install.js';

const UNITS = ['aoeblade@.service', 'aoe-serve.service', 'aoe-nbd@.service'];
const INSTANCES = ['aoeblade@disk1.service', 'aoe-serve.service', 'aoe-nbd@e1.1.service'];
const WRAPPER = path.join(ROOT, 'systemd', 'aoeblade-instance');
const work = fs.mkdtempSync(path.join(os.tmpdir(), 'aoekit-systemd-'));

afterAll(() => fs.rmSync(work, { recursive: true, force: true }));

function unitText(name: string): string {
  return fs.readFileSync(path.join(ROOT, 'systemd', name), 'utf8');
}

/** Every `Key=value` of a unit, in order (comments and sections left out). */
function settings(name: string): Array<[string, string]> {
  return unitText(name)
    .split('\n')
    .filter((line) => /^[A-Za-z]+=/.test(line))
    .map((line) => [line.slice(0, line.indexOf('=')), line.slice(line.indexOf('=') + 1)]);
}

describe('systemd units', () => {
  it('pass systemd-analyze verify with no message at all (ExecStart bins present, man: pages found)', async () => {
    const root = path.join(work, 'root');
    // The system's own units (targets the units order against), the units under test, and their ExecStart programs.
    fs.cpSync('/usr/lib/systemd/system', path.join(root, 'usr/lib/systemd/system'), { recursive: true, verbatimSymlinks: true });
    fs.mkdirSync(path.join(root, 'etc/systemd/system'), { recursive: true });
    for (const unit of UNITS) fs.copyFileSync(path.join(ROOT, 'systemd', unit), path.join(root, 'etc/systemd/system', unit));
    const programs = new Set(
      UNITS.flatMap((unit) =>
        settings(unit)
          .filter(([key]) => key === 'ExecStart')
          .map(([, value]) => value.split(' ')[0]),
      ),
    );
    expect([...programs].sort()).toEqual(['/usr/local/bin/aoe', '/usr/local/bin/aoeblade-instance']);
    for (const program of programs) {
      fs.mkdirSync(path.join(root, path.dirname(program)), { recursive: true });
      fs.writeFileSync(path.join(root, program), '#!/bin/sh\n', { mode: 0o755 });
    }
    // Documentation=man:... is checked with man(1): give it the generated pages.
    const manDirectory = path.join(work, 'man', 'man8');
    fs.mkdirSync(manDirectory, { recursive: true });
    for (const page of fs.readdirSync(path.join(ROOT, 'man'))) fs.copyFileSync(path.join(ROOT, 'man', page), path.join(manDirectory, page));
    const result = await run('systemd-analyze', ['verify', `--root=${root}`, ...INSTANCES], {
      env: { ...process.env, MANPATH: path.join(work, 'man'), SYSTEMD_LOG_LEVEL: 'notice' },
    });
    expect(result, 'systemd-analyze verify').toEqual({ code: 0, stdout: '', stderr: '' });
  }, 60_000);

  it.each(UNITS)('%s is hardened and stops gracefully', (unit) => {
    const values = new Map<string, string[]>();
    for (const [key, value] of settings(unit)) values.set(key, [...(values.get(key) ?? []), value]);
    const one = (key: string) => values.get(key)?.at(-1);
    expect(one('CapabilityBoundingSet')).toBe('CAP_NET_RAW CAP_NET_ADMIN');
    expect(one('AmbientCapabilities')).toBe('CAP_NET_RAW CAP_NET_ADMIN');
    expect(one('NoNewPrivileges')).toBe('yes');
    expect(one('ProtectSystem')).toBe('strict');
    expect(one('ProtectHome')).toBe('yes');
    expect(one('RuntimeDirectory')).toMatch(/^aoe/);
    expect(one('Restart')).toBe('on-failure');
    expect(one('KillSignal')).toBe('SIGTERM');
    // The target drains for up to 3 s and an NBD-backed flush may wait 30 s for its server; the initiator's deadline is 60 s.
    expect(Number(one('TimeoutStopSec'))).toBeGreaterThanOrEqual(90);
    if (unit !== 'aoe-nbd@.service') expect(one('StateDirectory')).toMatch(/^aoe/);
  });
});

describe('aoeblade-instance (the ExecStart of aoeblade@NAME)', () => {
  const config = path.join(work, 'etc');
  const fakeNode = path.join(work, 'fake-node');
  fs.mkdirSync(config, { recursive: true });
  // Prints the argv it was given, one per line, in place of node.
  fs.writeFileSync(fakeNode, '#!/bin/sh\nfor argument in "$@"; do printf "%s\\n" "$argument"; done\n', { mode: 0o755 });
  const instance = (name: string, extra: NodeJS.ProcessEnv = {}) =>
    run(WRAPPER, [name], { env: { PATH: process.env.PATH, AOEKIT_CONFIG_DIR: config, AOEKIT_NODE: fakeNode, ...extra } });
  const bundle = (name: string) => path.join(ROOT, 'dist', 'bundle', `${name}.js`);

  it('NAME.json: aoe serve --config NAME.json', async () => {
    fs.writeFileSync(path.join(config, 'shelf.json'), '{"exports":[]}');
    const result = await instance('shelf');
    expect(result).toEqual({ code: 0, stdout: `${bundle('aoe')}\nserve\n--config\n${config}/shelf.json\n`, stderr: '' });
  });

  it('NAME.conf: vblade-style words over any number of lines, split like a shell (quotes kept, nothing expanded), comments skipped, systemd directories added', async () => {
    fs.writeFileSync(
      path.join(config, 'disk1.conf'),
      '# exported to the rack\n-b 64 --config-string \'rack 1 $HOME\'\n  1 1 eth1,eth2 "/srv/aoe/disk one.img"\n',
    );
    const result = await instance('disk1', { STATE_DIRECTORY: '/var/lib/aoeblade/disk1', RUNTIME_DIRECTORY: '/run/aoeblade/disk1' });
    expect(result.stderr).toBe('');
    expect(result.stdout.split('\n').slice(0, -1)).toEqual([
      bundle('aoeblade'),
      '--state-dir',
      '/var/lib/aoeblade/disk1',
      '--control-socket',
      '/run/aoeblade/disk1/control.sock',
      '-b',
      '64',
      '--config-string',
      'rack 1 $HOME',
      '1',
      '1',
      'eth1,eth2',
      '/srv/aoe/disk one.img',
    ]);
    fs.writeFileSync(path.join(config, 'own.conf'), '--state-dir /srv/state 2 1 eth1 ram:1G\n');
    const own = await instance('own', { STATE_DIRECTORY: '/var/lib/aoeblade/own' });
    expect(own.stdout.split('\n').slice(0, -1)).toEqual([bundle('aoeblade'), '--state-dir', '/srv/state', '2', '1', 'eth1', 'ram:1G']);
  });

  it('refuses, in one line: no config, both configs, an unbalanced quote, an unsafe name', async () => {
    expect(await instance('absent')).toMatchObject({
      code: 1,
      stderr: `aoeblade-instance: neither ${config}/absent.json nor ${config}/absent.conf exists\n`,
    });
    fs.writeFileSync(path.join(config, 'both.json'), '{}');
    fs.writeFileSync(path.join(config, 'both.conf'), '1 1 eth1 ram:1M');
    expect((await instance('both')).stderr).toBe(`aoeblade-instance: both ${config}/both.json and ${config}/both.conf exist: keep one\n`);
    fs.writeFileSync(path.join(config, 'quote.conf'), "1 1 eth1 'ram:1M\n");
    const quote = await instance('quote');
    expect(quote.code).toBe(1);
    expect(quote.stderr).toMatch(/^aoeblade-instance: .*quote\.conf: cannot split its arguments \(an unbalanced quote\?\)$/m);
    expect(await instance('../etc/passwd')).toMatchObject({ code: 2, stdout: '' });
  });
});
