// Initiator against Debian's vblade (one per link, same shelf.slot) in the netlab: discover, copy, write, failover.
import { randomBytes } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDevice } from '../../src/initiator/index.js';
import { useLab } from '../helpers/lab.js';
import { makeBackingFile, removeFiles, runCli, sha256File, startVblades, stopPids } from './vblade-helpers.js';

const MiB = 1024 * 1024;
const EXPORT_MIB = 1024; // the issue asks for 1 GiB; it runs in ~10 s here

describe('initiator vs vblade, 2 links [netlab]', () => {
  const net = useLab({ links: 2 });
  const file = `/dev/shm/aoekit-ini-${process.pid}.img`;
  const out = `/dev/shm/aoekit-ini-${process.pid}.out`;
  const input = `/dev/shm/aoekit-ini-${process.pid}.in`;
  let pids: number[] = [];

  beforeAll(async () => {
    await makeBackingFile(net.lab, file, EXPORT_MIB);
    pids = await startVblades(net.lab, file);
  }, 60_000);
  afterAll(async () => {
    stopPids(pids);
    await removeFiles(file, out, input);
  });

  it('aoe-discover --json lists e1.1 with the right size and one path per link', async () => {
    const result = await runCli('aoe-discover', ['--json', '--netns', net.lab.initiatorNs, '--timeout', '500']);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    const devices = JSON.parse(result.stdout);
    expect(devices).toHaveLength(1);
    expect(devices[0]).toMatchObject({ name: 'e1.1', size: EXPORT_MIB * MiB });
    expect(devices[0].paths.map((path: { interface: string }) => path.interface).sort()).toEqual(['i0', 'i1']);
    expect(devices[0].paths.every((path: { payloadBytes: number }) => path.payloadBytes === 1024)).toBe(true);
  }, 30_000);

  it('aoe stat prints one aoe-stat style line per device', async () => {
    const result = await runCli('aoe', ['stat', '--netns', net.lab.initiatorNs, '--timeout', '500']);
    expect(result.code).toBe(0);
    expect(result.stdout.trim()).toMatch(/^e1\.1\s+1\.074GB\s+i0,i1\s+1024\s+up$/);
  }, 30_000);

  it('aoe copy of the whole export matches its sha256 and uses both paths', async () => {
    const result = await runCli('aoe', ['copy', 'aoe:e1.1', out, '--json', '--netns', net.lab.initiatorNs, '-i', 'i0,i1']);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    const summary = JSON.parse(result.stdout);
    console.log(
      `[bench] vblade 2x1500 read ${summary.megabytesPerSecond} MB/s`,
      summary.paths.map((path: { frames: number; retransmits: number }) => `${path.frames}/${path.retransmits}`).join(' '),
    );
    expect(summary.bytes).toBe(EXPORT_MIB * MiB);
    expect(await sha256File(out)).toBe(await sha256File(file));
    expect(summary.paths.every((path: { frames: number }) => path.frames > 0)).toBe(true);
  }, 120_000);

  it('data written through aoekit lands in the exported file', async () => {
    const data = randomBytes(8 * MiB);
    await writeFile(input, data);
    const offset = 64 * MiB;
    const result = await runCli('aoe', ['copy', input, 'aoe:e1.1', '--offset', String(offset), '--json', '--netns', net.lab.initiatorNs]);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(await sha256File(file, offset, data.length)).toBe(await sha256File(input));
  }, 60_000);

  it('survives one link going down mid-transfer and brings the path back within 2 s of link up', async () => {
    const device = await openDevice('e1.1', { interfaces: ['i0', 'i1'], netns: net.lab.initiatorNs, deadlineMs: 20_000 });
    try {
      const events: Array<{ kind: string; at: number }> = [];
      device.on('path-down', () => events.push({ kind: 'down', at: Date.now() }));
      device.on('path-up', () => events.push({ kind: 'up', at: Date.now() }));
      const length = 128 * MiB;
      const buffer = Buffer.alloc(length);
      const reading = (async () => {
        for (let offset = 0; offset < length; offset += 4 * MiB) await device.readInto(buffer.subarray(offset, offset + 4 * MiB), offset);
      })();
      await new Promise((resolve) => setTimeout(resolve, 150));
      await net.lab.setLinkUp(1, false, 'initiator'); // vblade exits on ENETDOWN, so only the initiator end goes down
      await reading;
      expect(events.some((event) => event.kind === 'down')).toBe(true);
      expect(await sha256File(file, 0, length)).toBe(sha256(buffer));
      const upAt = Date.now();
      await net.lab.setLinkUp(1, true, 'initiator');
      // vblade exits on the ENOBUFS its send got while the link was down (its known weakness): restart it.
      if (!isAlive(pids[1])) {
        const child = net.lab.spawn(net.lab.targetNs, ['vblade', '1', '1', net.lab.links[1].targetIf, file], { stdio: 'ignore' });
        if (child.pid) pids.push(child.pid);
      }
      const back = Date.now();
      await new Promise<void>((resolve, reject) => {
        if (device.stats().paths[1].state === 'up') {
          resolve();
          return;
        }
        const timer = setTimeout(() => reject(new Error('path did not come back within 2 s')), 2000 + (back - upAt));
        device.once('path-up', () => {
          clearTimeout(timer);
          resolve();
        });
      });
      expect(device.stats().paths.every((path) => path.state === 'up')).toBe(true);
    } finally {
      await device.close();
    }
  }, 120_000);

  it('CLI errors: unknown device, bad size, missing NIC -> one line, non-zero exit', async () => {
    const unknown = await runCli('aoe', ['copy', 'aoe:e7.7', out, '--netns', net.lab.initiatorNs]);
    expect(unknown.code).not.toBe(0);
    expect(unknown.stderr).toMatch(/ERR_AOE_NOT_FOUND/);
    expect(unknown.stderr.trim().split('\n')).toHaveLength(1);
    const badSize = await runCli('aoe', ['copy', 'aoe:e1.1', out, '--length', '12parsecs', '--netns', net.lab.initiatorNs]);
    expect(badSize.code).toBe(2);
    expect(badSize.stderr).toMatch(/--length must be a size/);
    const noNic = await runCli('aoe', ['stat', '-i', 'nosuchnic0', '--netns', net.lab.initiatorNs]);
    expect(noNic.code).not.toBe(0);
    expect(noNic.stderr.trim().split('\n')).toHaveLength(1);
    const write = await runCli('aoe', ['bench', 'aoe:e1.1', '--pattern', 'randwrite', '--netns', net.lab.initiatorNs]);
    expect(write.code).toBe(2);
    expect(write.stderr).toMatch(/--allow-write/);
  }, 60_000);
});

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

function sha256(data: Buffer): string {
  return createHashHex(data);
}
import { createHash } from 'node:crypto';
function createHashHex(data: Buffer): string {
  return createHash('sha256').update(data).digest('hex');
}
