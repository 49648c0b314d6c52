// A real write-back error (a loop device over a 4 MiB tmpfs): `aoe copy` must fail and name it, and every later FLUSH must fail too.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { useLab } from '../helpers/lab.js';
import { recordFigures } from '../../tools/reliability/figures.js';
import { runCli } from '../initiator/vblade-helpers.js';
import { controlStats, killBlades, MiB, requireBuild, startBlade, type Blade } from './blade.js';

describe('write-back error behind aoeblade [netlab]', () => {
  const net = useLab({ links: 1 });
  const mountPoint = fs.mkdtempSync('/var/tmp/aoekit-wb-');
  const scratch = fs.mkdtempSync('/dev/shm/aoekit-wb-');
  const blades: Blade[] = [];
  let loopDevice = '';
  let mounted = false;

  beforeAll(() => {
    requireBuild();
    // 32 MiB of loop device over a tmpfs that holds 4 MiB: buffered writes succeed, write-back fails with EIO.
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=4M', 'aoekit-wb', mountPoint]);
    mounted = true;
    fs.writeFileSync(`${mountPoint}/backing.img`, Buffer.alloc(0));
    fs.truncateSync(`${mountPoint}/backing.img`, 32 * MiB);
    loopDevice = execFileSync('losetup', ['--find', '--show', `${mountPoint}/backing.img`], { encoding: 'utf8' }).trim();
  });
  afterAll(async () => {
    await killBlades(blades);
    if (loopDevice) execFileSync('losetup', ['-d', loopDevice]);
    if (mounted) execFileSync('umount', [mountPoint]);
    fs.rmSync(mountPoint, { recursive: true, force: true });
    fs.rmSync(scratch, { recursive: true, force: true });
  });

  it('a write-back error during aoe copy FILE aoe:eX.Y gives a non-zero exit naming the error, and later flushes keep failing', async () => {
    const socket = `${scratch}/control.sock`;
    await startBlade(net.lab, ['--control-socket', socket, '3', '1', 't0', loopDevice], blades);
    const input = `${scratch}/input.bin`;
    fs.writeFileSync(input, randomBytes(16 * MiB));
    const options = ['--netns', net.lab.initiatorNs, '-i', 'i0'];
    const copy = await runCli('aoe', ['copy', input, 'aoe:e3.1', ...options]);
    expect(copy.code).toBe(1);
    expect(copy.stdout).not.toMatch(/copied/);
    expect(copy.stderr).toMatch(/(FLUSH failed|write).*(ERR_ATA_UNC)/);
    const stats = await controlStats(socket);
    expect((stats.exports[0] as unknown as { writeFailure: { code: string } }).writeFailure.code).toBe('EIO');
    // Linux reports the write-back error to one fdatasync only; the target remembers it, so this small copy fails too.
    const small = `${scratch}/small.bin`;
    fs.writeFileSync(small, randomBytes(4096));
    const again = await runCli('aoe', ['copy', small, 'aoe:e3.1', '--offset', '30M', ...options]);
    expect(again.code).toBe(1);
    expect(again.stderr).toMatch(/FLUSH failed: the target reported an I\/O error \(UNC\)/);
    recordFigures(
      14,
      'write-back error (loop device over a 4 MiB tmpfs)',
      'A 16 MiB aoe copy onto a 32 MiB loop device whose tmpfs holds 4 MiB: the flush fails with an I/O error and aoe copy exits 1 naming it; a later 4 KiB copy also fails although fdatasync would now return 0 (Linux reports a write-back error once).',
      {
        'copy exit code': copy.code,
        'copy error': /ERR_ATA_\w+/.exec(copy.stderr)?.[0] ?? '',
        'target writeFailure': 'EIO',
        'later copy exit code': again.code,
      },
    );
  }, 120_000);
});
