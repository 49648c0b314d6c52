// Scenario 12b: start-up failures with real NICs (state dir, control socket, MTU) and SIGHUP, aoeblade run in the lab.
import fs from 'node:fs';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { recordFigures } from '../../tools/reliability/figures.js';
import { useLab } from '../helpers/lab.js';
import { BLADE, killBlades, requireBuild, sleep, startBlade, type Blade } from './blade.js';
import { describeFailure, expectOneLineFailure, timed } from './startup-check.js';

describe('aoeblade start-up failures and SIGHUP [netlab]', () => {
  const net = useLab({ links: 1 });
  const root = fs.mkdtempSync('/dev/shm/aoekit-startup-');
  const image = path.join(root, 'disk.img');
  const rows: Record<string, string> = {};
  const blades: Blade[] = [];

  beforeAll(() => {
    requireBuild();
    fs.writeFileSync(image, Buffer.alloc(1024 * 512));
  });
  afterAll(async () => {
    await killBlades(blades);
    fs.rmSync(root, { recursive: true, force: true });
    recordFigures(
      12,
      'start-up failures with NICs, and SIGHUP',
      'A state directory that cannot be made, a control socket path that is a regular file, or a NIC that does not exist fails the start with one line and a non-zero exit within 2 s, and leaves no control socket, no state directory it made, no changed MTU and no process behind. SIGHUP stops aoeblade like SIGTERM: state saved, exit 0.',
      rows,
    );
  });

  const blade = (...args: string[]) => timed(() => net.lab.exec(net.lab.targetNs, [process.execPath, BLADE, ...args], { timeoutMs: 5000 }));
  const caseDir = () => fs.mkdtempSync(path.join(root, 'case-'));
  const mtuOf = async (nic: string) => Number((await net.lab.exec(net.lab.targetNs, ['cat', `/sys/class/net/${nic}/mtu`])).stdout.trim());

  it('--state-dir /proc/nope fails fast with one line instead of hanging, and leaves no control socket behind', async () => {
    const dir = caseDir();
    const result = await blade('--state-dir', '/proc/nope', '--control-socket', path.join(dir, 'ctl.sock'), '1', '1', 't0', image);
    rows['--state-dir /proc/nope'] = describeFailure(result);
    expectOneLineFailure(result, /state directory \/proc\/nope/);
    expect(fs.readdirSync(dir)).toEqual([]);
    // A state directory path that is a regular file: the same.
    const file = path.join(dir, 'not-a-dir');
    fs.writeFileSync(file, 'x');
    const notDirectory = await blade('--state-dir', path.join(file, 'state'), '1', '1', 't0', image);
    rows['--state-dir under a regular file'] = describeFailure(notDirectory);
    expectOneLineFailure(notDirectory, /state directory .*not-a-dir/);
    expect(fs.readdirSync(dir)).toEqual(['not-a-dir']);
  });

  it('--control-socket on an existing regular file fails the start instead of serving half started, and leaves the file, the MTU and no process behind', async () => {
    const dir = caseDir();
    const file = path.join(dir, 'precious.txt');
    fs.writeFileSync(file, 'precious');
    const mtuBefore = await mtuOf('t0');
    try {
      const result = await blade('--mtu', '9000', '--state-dir', path.join(dir, 'state'), '--control-socket', file, '1', '1', 't0', image);
      rows['--control-socket on a regular file, --mtu 9000'] = `${describeFailure(result)}; MTU after: ${await mtuOf('t0')}`;
      expectOneLineFailure(result, /precious\.txt exists and is not a socket/);
      expect(fs.readFileSync(file, 'utf8')).toBe('precious');
      expect(fs.readdirSync(dir)).toEqual(['precious.txt']); // the state directory it made is gone again
      expect(await mtuOf('t0')).toBe(mtuBefore);
    } finally {
      await net.lab.setMtu(0, mtuBefore);
    }
  });

  it('a start that fails on its NIC leaves no control socket and no state directory behind', async () => {
    const dir = caseDir();
    const result = await blade(
      '--state-dir',
      path.join(dir, 'state', 'deeper'),
      '--control-socket',
      path.join(dir, 'ctl.sock'),
      '1',
      '1',
      't0,nosuch0',
      image,
    );
    rows['NIC missing (after the control socket opened)'] = describeFailure(result);
    expectOneLineFailure(result, /nosuch0/);
    expect(fs.readdirSync(dir)).toEqual([]);
  });

  it('SIGHUP stops aoeblade cleanly (state saved, exit 0) instead of killing it', async () => {
    const lab = net.lab;
    const dir = caseDir();
    const stateDir = path.join(dir, 'state');
    const running = await startBlade(
      lab,
      ['--state-dir', stateDir, '--control-socket', path.join(dir, 'ctl.sock'), '1', '1', 't0', image],
      blades,
    );
    const set = await lab.exec(lab.initiatorNs, ['aoecfg', '-t', '1', '-c', 'fset', '-s', 'set before hup', '1', '1', 'i0']);
    expect(set.stdout.trim()).toBe('set before hup');
    const started = performance.now();
    running.child.kill('SIGHUP');
    const code = await Promise.race([running.exited, sleep(10_000).then(() => 'still running')]);
    const ms = performance.now() - started;
    rows.SIGHUP = `exit ${code} after ${Math.round(ms)} ms`;
    expect(code, running.output()).toBe(0);
    expect(running.output()).toMatch(/"signal":"SIGHUP"/);
    expect(running.output()).toMatch(/"msg":"stopped"/);
    const state = JSON.parse(fs.readFileSync(path.join(stateDir, 'e1.1.json'), 'utf8')) as { configStringText: string };
    expect(state.configStringText).toBe('set before hup');
    expect(fs.existsSync(path.join(dir, 'ctl.sock'))).toBe(false);
  }, 30_000);
});
