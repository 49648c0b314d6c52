// Initiator against our own target (aoeblade, one process on both links): copy, write, flush, admin commands, link loss.
import { randomBytes } from 'node:crypto';
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDevice } from '../../src/initiator/index.js';
import { useLab } from '../helpers/lab.js';
import { makeBackingFile, removeFiles, runCli, sha256File, stopPids } from './vblade-helpers.js';

const MiB = 1024 * 1024;
const aoeblade = fileURLToPath(new URL('../../dist/cli/aoeblade.js', import.meta.url));

describe('initiator vs aoeblade, 2 links [netlab]', () => {
  const net = useLab({ links: 2 });
  const file = `/dev/shm/aoekit-blade-${process.pid}.img`;
  const out = `/dev/shm/aoekit-blade-${process.pid}.out`;
  const input = `/dev/shm/aoekit-blade-${process.pid}.in`;
  const pids: number[] = [];
  const ns = () => ['--netns', net.lab.initiatorNs, '-i', 'i0,i1'];

  beforeAll(async () => {
    if (!existsSync(aoeblade)) throw new Error(`${aoeblade} missing: run npm run build:ts first`);
    await makeBackingFile(net.lab, file, 256);
    const child = net.lab.spawn(net.lab.targetNs, [process.execPath, aoeblade, '--log-level', 'warn', '1', '1', 't0,t1', file], {
      stdio: 'ignore',
    });
    if (child.pid) pids.push(child.pid);
    await new Promise((resolve) => setTimeout(resolve, 800));
  }, 60_000);
  afterAll(async () => {
    stopPids(pids);
    await removeFiles(file, out, input);
  });

  it('discovers one device with a path per link and copies the whole export intact', async () => {
    const found = await runCli('aoe-discover', ['--json', ...ns(), '--timeout', '500']);
    expect(found.code).toBe(0);
    const [device] = JSON.parse(found.stdout);
    expect(device).toMatchObject({ name: 'e1.1', size: 256 * MiB });
    expect(device.paths).toHaveLength(2);
    const copy = await runCli('aoe', ['copy', 'aoe:e1.1', out, '--json', ...ns()]);
    expect(copy.stderr).toBe('');
    const summary = JSON.parse(copy.stdout);
    console.log(`[bench] aoeblade 2x1500 read ${summary.megabytesPerSecond} MB/s`);
    expect(await sha256File(out)).toBe(await sha256File(file));
  }, 120_000);

  it('writes through aoekit land in the file, and flush (FLUSH CACHE EXT) succeeds', async () => {
    const data = randomBytes(16 * MiB);
    await writeFile(input, data);
    const copy = await runCli('aoe', ['copy', input, 'aoe:e1.1', '--offset', '32M', '--json', ...ns()]);
    expect(copy.stderr).toBe('');
    console.log(`[bench] aoeblade 2x1500 write ${JSON.parse(copy.stdout).megabytesPerSecond} MB/s`);
    expect(await sha256File(file, 32 * MiB, data.length)).toBe(await sha256File(input));
    const device = await openDevice('e1.1', { interfaces: ['i0', 'i1'], netns: net.lab.initiatorNs });
    try {
      await device.write(0, data.subarray(0, MiB));
      await device.flush();
      expect(await sha256File(file, 0, MiB)).toBe(createHash('sha256').update(data.subarray(0, MiB)).digest('hex'));
    } finally {
      await device.close();
    }
  }, 60_000);

  it('cfg, mask and reserve read and change the target state', async () => {
    const set = await runCli('aoe', ['cfg', 'e1.1', '--set', 'rack7', '--json', ...ns()]);
    expect(set.stderr).toBe('');
    expect(set.code).toBe(0);
    expect(JSON.parse(set.stdout).map((row: { configString: string }) => row.configString)).toEqual(['rack7', 'rack7']);
    const again = await runCli('aoe', ['cfg', 'e1.1', '--set', 'other', ...ns()]);
    expect(again.code).toBe(1);
    expect(again.stderr).toMatch(/ERR_AOE_CONFIG_STRING_PRESENT/);
    const masked = await runCli('aoe', ['mask', 'e1.1', '--add', 'self', '--json', ...ns()]);
    expect(masked.code).toBe(0);
    expect(JSON.parse(masked.stdout).every((row: { mask: string[] }) => row.mask.length >= 1)).toBe(true);
    const unmasked = await runCli('aoe', ['mask', 'e1.1', '--delete', 'self', '--json', ...ns()]);
    expect(unmasked.code).toBe(0);
    const other = await runCli('aoe', ['reserve', 'e1.1', '--set', '02:00:00:00:00:99', '--json', ...ns()]);
    expect(other.stderr).toBe('');
    expect(other.code).toBe(0);
    const refused = await runCli('aoe', ['bench', 'aoe:e1.1', '--time', '0.2', ...ns()]);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/ERR_AOE_RESERVED|IDENTIFY/);
    const released = await runCli('aoe', ['reserve', 'e1.1', '--release', '--force', '--json', ...ns()]);
    expect(released.code).toBe(0);
    expect(JSON.parse(released.stdout).every((row: { reservedFor: string[] }) => row.reservedFor.length === 0)).toBe(true);
  }, 60_000);

  it('keeps copying when one link goes down (both ends) and the path is back within 2 s of link up', async () => {
    const device = await openDevice('e1.1', { interfaces: ['i0', 'i1'], netns: net.lab.initiatorNs, deadlineMs: 20_000 });
    try {
      const length = 128 * MiB;
      const buffer = Buffer.alloc(length);
      const reading = (async () => {
        for (let offset = 0; offset < length; offset += 4 * MiB) await device.readInto(buffer.subarray(offset, offset + 4 * MiB), offset);
      })();
      await new Promise((resolve) => setTimeout(resolve, 100));
      await net.lab.setLinkUp(1, false);
      await reading;
      expect(device.stats().paths[1].downEvents).toBeGreaterThanOrEqual(1);
      expect(createHash('sha256').update(buffer).digest('hex')).toBe(await sha256File(file, 0, length));
      const upAt = Date.now();
      const back = new Promise<number>((resolve) => device.once('path-up', () => resolve(Date.now())));
      await net.lab.setLinkUp(1, true);
      const at = await Promise.race([back, new Promise<number>((resolve) => setTimeout(() => resolve(Infinity), 5000))]);
      expect(at - upAt).toBeLessThan(2000);
      await device.read(0, 8 * MiB);
      expect(device.stats().paths[1].framesAcked).toBeGreaterThan(0);
    } finally {
      await device.close();
    }
  }, 120_000);
});

describe('aoeblade with one link at MTU 9000 and one at 1500 [netlab]', () => {
  const net = useLab({ links: 2 });
  const file = `/dev/shm/aoekit-blade-mtu-${process.pid}.img`;
  const out = `/dev/shm/aoekit-blade-mtu-${process.pid}.out`;
  const pids: number[] = [];
  beforeAll(async () => {
    await net.lab.setMtu(0, 9000);
    await makeBackingFile(net.lab, file, 256);
    const child = net.lab.spawn(net.lab.targetNs, [process.execPath, aoeblade, '--log-level', 'warn', '1', '1', 't0,t1', file], {
      stdio: 'ignore',
    });
    if (child.pid) pids.push(child.pid);
    await new Promise((resolve) => setTimeout(resolve, 800));
  }, 60_000);
  afterAll(async () => {
    stopPids(pids);
    await removeFiles(file, out);
  });

  it('each path keeps its own payload, both carry traffic, data intact', async () => {
    const copy = await runCli('aoe', ['copy', 'aoe:e1.1', out, '--json', '--netns', net.lab.initiatorNs, '-i', 'i0,i1']);
    expect(copy.stderr).toBe('');
    const summary = JSON.parse(copy.stdout);
    console.log(
      `[bench] aoeblade 9000+1500 read ${summary.megabytesPerSecond} MB/s`,
      JSON.stringify(summary.paths.map((path: { frames: number }) => path.frames)),
    );
    expect(summary.paths.map((path: { payloadBytes: number }) => path.payloadBytes)).toEqual([8704, 1024]);
    expect(summary.paths.every((path: { frames: number }) => path.frames > 0)).toBe(true);
    expect(await sha256File(out)).toBe(await sha256File(file));
  }, 120_000);

  it('probe-mtu confirms 17 and 2 sectors and warns that the paths differ', async () => {
    const probe = await runCli('aoe', ['probe-mtu', 'e1.1', '--json', '--netns', net.lab.initiatorNs, '-i', 'i0,i1']);
    expect(probe.code).toBe(0);
    expect(probe.stderr).toMatch(/different payloads/);
    const results = JSON.parse(probe.stdout);
    expect(
      results.map((result: { interface: string; workingSectors: number; mismatch: boolean }) => [
        result.interface,
        result.workingSectors,
        result.mismatch,
      ]),
    ).toEqual([
      ['i0', 17, false],
      ['i1', 2, false],
    ]);
  }, 60_000);
});
