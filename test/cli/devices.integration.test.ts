// CLI messages in the lab: e1.1 and aoe:e1.1 accepted and e1.1 shown everywhere, offset and read-only messages, --mtu said on stderr.
import fs from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { useLab } from '../helpers/lab.js';
import { type Blade, killBlades, requireBuild, sparseFile, startBlade } from '../reliability/blade.js';

const AOE = new URL('../../dist/cli/aoe.js', import.meta.url).pathname;
const MiB = 1024 * 1024;

describe('aoe device names and messages [netlab]', () => {
  const net = useLab({ links: 2 });
  const directory = fs.mkdtempSync('/dev/shm/aoekit-devices-');
  const blades: Blade[] = [];

  const aoe = (...argv: string[]) => net.lab.exec(net.lab.initiatorNs, [process.execPath, AOE, ...argv], { timeoutMs: 60_000 });
  const json = async (...argv: string[]) => {
    const result = await aoe(...argv, '--json');
    if (result.code !== 0) throw new Error(`aoe ${argv.join(' ')} exited ${result.code}: ${result.stderr}`);
    return JSON.parse(result.stdout);
  };

  beforeAll(async () => {
    requireBuild();
    await startBlade(net.lab, ['1', '1', 't0,t1', sparseFile(`${directory}/disk.img`, 64 * MiB)], blades);
    await startBlade(net.lab, ['-r', '1', '2', 't0,t1', sparseFile(`${directory}/ro.img`, 8 * MiB)], blades);
    fs.writeFileSync(`${directory}/two.img`, Buffer.alloc(2 * MiB, 1));
  }, 60_000);

  afterAll(async () => {
    await killBlades(blades);
    fs.rmSync(directory, { recursive: true, force: true });
  });

  it('cfg, mask, reserve, probe-mtu and bench take e1.1 and aoe:e1.1 alike, and every command shows e1.1', async () => {
    for (const command of ['cfg', 'mask', 'reserve']) {
      const bare = await json(command, 'e1.1', '-i', 'i0,i1');
      const prefixed = await json(command, 'aoe:e1.1', '-i', 'i0,i1');
      expect(prefixed, command).toEqual(bare);
      expect(
        bare.map((row: { device: string }) => row.device),
        command,
      ).toEqual(['e1.1', 'e1.1']);
    }
    expect((await json('probe-mtu', 'aoe:e1.1', '-i', 'i0,i1')).length).toBe(2);
    expect((await json('bench', 'e1.1', '-i', 'i0,i1', '--time', '0.3')).device).toBe('e1.1');
    expect((await json('bench', 'aoe:e1.1', '-i', 'i0,i1', '--time', '0.3')).device).toBe('e1.1');
    const stat = await json('stat', '-i', 'i0,i1');
    expect(stat.map((row: { device: string }) => row.device).sort()).toEqual(['e1.1', 'e1.2']);
    const copy = await json('copy', 'aoe:e1.1', '/dev/null', '--length', '1M', '-i', 'i0,i1');
    expect(copy.source).toBe('aoe:e1.1'); // what the user typed
    expect(copy.paths.map((path: { device: string }) => path.device)).toEqual(['e1.1', 'e1.1']);
  }, 120_000);

  it('a copy that does not fit after --offset says what the offset leaves of the device', async () => {
    const result = await aoe('copy', `${directory}/two.img`, 'aoe:e1.1', '--offset', '63M', '-i', 'i0,i1');
    expect(result.code).toBe(1);
    expect(result.stderr).toBe(
      `aoe: 2 MiB from ${directory}/two.img do not fit: offset 63 MiB leaves 1 MiB of e1.1 (64 MiB) (ERR_AOE_RANGE)\n`,
    );
    const read = await aoe('copy', 'aoe:e1.1', '/dev/null', '--offset', '63M', '--length', '2M', '-i', 'i0,i1');
    expect(read.stderr).toBe('aoe: cannot copy 2 MiB: offset 63 MiB leaves 1 MiB of e1.1 (64 MiB) (ERR_AOE_RANGE)\n');
  }, 60_000);

  it('a write to a read-only export says the export refused it (read-only?), not a bare ERR_ATA_ABORT', async () => {
    const result = await aoe('copy', `${directory}/two.img`, 'aoe:e1.2', '-i', 'i0,i1', '--no-progress');
    expect(result.code).toBe(1);
    expect(result.stderr).toBe(
      "aoe: e1.2 refused the write (ATA ABRT): the export is read-only, or the target's disk is out of space or permission (ERR_ATA_ABORT)\n",
    );
  }, 60_000);

  it('--mtu on an I/O command changes the host NICs and says so on stderr; unchanged NICs are not mentioned', async () => {
    const lab = net.lab;
    const mtuOf = async (nic: string) => Number((await lab.exec(lab.initiatorNs, ['cat', `/sys/class/net/${nic}/mtu`])).stdout.trim());
    try {
      const lowered = await aoe('copy', 'aoe:e1.1', '/dev/null', '--length', '1M', '-i', 'i0,i1', '--mtu', '1400', '--no-progress');
      expect(lowered.code, lowered.stderr).toBe(0);
      expect(lowered.stderr).toBe('note: set the MTU of i0 from 1500 to 1400\nnote: set the MTU of i1 from 1500 to 1400\n');
      expect([await mtuOf('i0'), await mtuOf('i1')]).toEqual([1400, 1400]);
      const again = await aoe('copy', 'aoe:e1.1', '/dev/null', '--length', '1M', '-i', 'i0,i1', '--mtu', '1400', '--no-progress');
      expect(again.stderr).toBe('');
      const refused = await aoe('stat', '-i', 'i0,i1', '--mtu', '1500');
      expect(refused.code).toBe(2);
      expect([await mtuOf('i0'), await mtuOf('i1')]).toEqual([1400, 1400]);
    } finally {
      for (const index of [0, 1]) await lab.setMtu(index, 1500);
    }
  }, 60_000);
});
