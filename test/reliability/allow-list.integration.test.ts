// Issue 11 acceptance in the lab: a host not on -m can change nothing (aoecfg, aoe from a second NIC), and `reserve --set self` covers every NIC.
import fs from 'node:fs';
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { listInterfaces } from '../../src/link/index.js';
import { recordFigures } from '../../tools/reliability/figures.js';
import { formatMac } from '../../src/wire/mac.js';
import { useLab } from '../helpers/lab.js';
import { runCli } from '../initiator/vblade-helpers.js';
import { killBlades, MiB, requireBuild, sha256, startBlade, type Blade } from './blade.js';

describe('allow list and reservations from a second NIC [netlab]', () => {
  const net = useLab({ links: 2 });
  const directory = fs.mkdtempSync('/dev/shm/aoekit-allow-');
  const blades: Blade[] = [];
  afterAll(async () => {
    await killBlades(blades);
    fs.rmSync(directory, { recursive: true, force: true });
  });
  beforeAll(() => requireBuild());

  const macOf = (name: string) => formatMac(listInterfaces(net.lab.initiatorNs).find((nic) => nic.name === name)!.mac);
  const aoe = (nic: string, ...args: string[]) => runCli('aoe', [...args, '--netns', net.lab.initiatorNs, '-i', nic, '--json'], 30_000);

  it('a host not on -m changes nothing: config string, mask list, reservation, data (aoecfg and aoe from i0; i1 is listed)', async () => {
    const file = `${directory}/masked.img`;
    const content = randomBytes(4 * MiB);
    fs.writeFileSync(file, content);
    const stateDir = `${directory}/state`;
    await startBlade(net.lab, ['-m', macOf('i1'), '--config-string', 'owner', '--state-dir', stateDir, '7', '1', 't0,t1', file], blades);
    const stateFile = fs.readdirSync(stateDir).map((name) => `${stateDir}/${name}`)[0];
    const stateBefore = fs.readFileSync(stateFile, 'utf8');

    // aoetools from the unlisted NIC: no answer to a read, a set or a force set.
    let attempts = 0;
    for (const args of [
      ['-c', 'read'],
      ['-c', 'set', '-s', 'intruder'],
      ['-c', 'fset', '-s', 'intruder'],
    ]) {
      const result = await net.lab.exec(net.lab.initiatorNs, ['aoecfg', '-t', '1', ...args, '7', '1', 'i0']);
      expect(result.stdout, `aoecfg ${args.join(' ')}`).not.toMatch(/owner|intruder/);
      attempts += 1;
    }
    // aoe from the unlisted NIC: the device is not even found, so nothing can be edited, reserved or written.
    const data = `${directory}/payload.bin`;
    fs.writeFileSync(data, randomBytes(MiB));
    for (const args of [
      ['mask', 'e7.1', '--add', 'self'],
      ['mask', 'e7.1', '--delete', macOf('i1')],
      ['reserve', 'e7.1', '--set', 'self', '--force'],
      ['cfg', 'e7.1', '--force', 'intruder'],
      ['copy', data, 'aoe:e7.1'],
    ]) {
      const result = await aoe('i0', ...args);
      expect(result.code, `aoe ${args.join(' ')}`).not.toBe(0);
      expect(result.stderr, `aoe ${args.join(' ')}`).toMatch(/ERR_AOE_NOT_FOUND/);
      attempts += 1;
    }

    // The listed NIC sees everything as it was.
    const [config] = JSON.parse((await aoe('i1', 'cfg', 'e7.1')).stdout);
    expect(config.configString).toBe('owner');
    const [mask] = JSON.parse((await aoe('i1', 'mask', 'e7.1')).stdout);
    expect(mask.mask).toEqual([macOf('i1')]);
    const [reservation] = JSON.parse((await aoe('i1', 'reserve', 'e7.1')).stdout);
    expect(reservation.reservedFor).toEqual([]);
    expect(sha256(fs.readFileSync(file))).toBe(sha256(content));
    expect(fs.readFileSync(stateFile, 'utf8')).toBe(stateBefore);
    recordFigures(
      13,
      'allow list from a second NIC',
      'aoeblade -m lists i1 only: from i0, aoetools aoecfg (read, set, fset) and aoe (mask add/delete, reserve --force, cfg --force, copy) get no answer at all, and the config string, mask list, reservation, data (sha256) and --state-dir file are unchanged as seen from i1.',
      {
        'attempts from the unlisted NIC': attempts,
        'attempts answered': 0,
        'config string, mask, reservation unchanged': true,
        'data unchanged (sha256)': true,
        'state file unchanged': true,
      },
    );
  }, 120_000);

  it('`aoe reserve --set self` on a host with two NICs reserves both in one command, and I/O goes on over both paths', async () => {
    const file = `${directory}/reserved.img`;
    fs.writeFileSync(file, Buffer.alloc(8 * MiB));
    await startBlade(net.lab, ['8', '1', 't0,t1', file], blades);
    const both = ['--netns', net.lab.initiatorNs, '-i', 'i0,i1', '--json'];
    const set = await runCli('aoe', ['reserve', 'e8.1', '--set', 'self', ...both]);
    expect(set.stderr).toBe('');
    expect(set.code).toBe(0);
    const rows = JSON.parse(set.stdout) as Array<{ reservedFor: string[] }>;
    for (const row of rows) expect([...row.reservedFor].sort()).toEqual([macOf('i0'), macOf('i1')].sort());
    const forced = await runCli('aoe', ['reserve', 'e8.1', '--set', 'self', '--force', ...both]);
    for (const row of JSON.parse(forced.stdout) as Array<{ reservedFor: string[] }>) expect(row.reservedFor).toHaveLength(2);
    const payload = `${directory}/payload-reserved.bin`;
    const content = randomBytes(4 * MiB);
    fs.writeFileSync(payload, content);
    const copy = await runCli('aoe', ['copy', payload, 'aoe:e8.1', ...both]);
    expect(copy.stderr).toBe('');
    const summary = JSON.parse(copy.stdout) as { paths: Array<{ frames: number }> };
    expect(summary.paths.every((path) => path.frames > 0)).toBe(true);
    expect(sha256(fs.readFileSync(file).subarray(0, content.length))).toBe(sha256(content));
  }, 120_000);
});
