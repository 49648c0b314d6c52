// Multipath against vblade in the netlab: mixed MTUs keep their own payloads; three shaped links share the load.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { useLab } from '../helpers/lab.js';
import { makeBackingFile, removeFiles, runCli, sha256File, startVblades, stopPids } from './vblade-helpers.js';

interface CopySummary {
  bytes: number;
  megabytesPerSecond: number;
  paths: Array<{ interface: string; payloadBytes: number; frames: number; share: number; retransmits: number }>;
}

describe('one link at MTU 9000, one at 1500 [netlab]', () => {
  const net = useLab({ links: 2 });
  const file = `/dev/shm/aoekit-mtu-${process.pid}.img`;
  const out = `/dev/shm/aoekit-mtu-${process.pid}.out`;
  let pids: number[] = [];
  beforeAll(async () => {
    await net.lab.setMtu(0, 9000);
    await makeBackingFile(net.lab, file, 256);
    pids = await startVblades(net.lab, file);
  }, 60_000);
  afterAll(async () => {
    stopPids(pids);
    await removeFiles(file, out);
  });

  it('discovers a different payload per path and warns about the mismatch', async () => {
    const result = await runCli('aoe-discover', ['--json', '--netns', net.lab.initiatorNs, '-i', 'i0,i1', '--timeout', '500']);
    expect(result.code).toBe(0);
    expect(result.stderr).toMatch(/MTU mismatch/);
    const [device] = JSON.parse(result.stdout);
    const payloads = Object.fromEntries(
      device.paths.map((path: { interface: string; payloadBytes: number }) => [path.interface, path.payloadBytes]),
    );
    expect(payloads).toEqual({ i0: 8704, i1: 1024 });
  }, 30_000);

  it('copies over both paths, each with its own payload, sha256 intact', async () => {
    const result = await runCli('aoe', ['copy', 'aoe:e1.1', out, '--json', '--netns', net.lab.initiatorNs, '-i', 'i0,i1']);
    expect(result.stderr).toBe('');
    const summary = JSON.parse(result.stdout) as CopySummary;
    console.log(`[bench] vblade 9000+1500 read ${summary.megabytesPerSecond} MB/s`, JSON.stringify(summary.paths));
    expect(await sha256File(out)).toBe(await sha256File(file));
    expect(summary.paths.find((path) => path.interface === 'i0')).toMatchObject({ payloadBytes: 8704 });
    expect(summary.paths.find((path) => path.interface === 'i1')).toMatchObject({ payloadBytes: 1024 });
    expect(summary.paths.every((path) => path.frames > 0)).toBe(true);
  }, 120_000);
});

describe('three links shaped to 1 gbit [netlab]', () => {
  const net = useLab({ links: 3, rate: '1gbit' });
  const file = `/dev/shm/aoekit-tbf-${process.pid}.img`;
  const out = `/dev/shm/aoekit-tbf-${process.pid}.out`;
  let pids: number[] = [];
  beforeAll(async () => {
    await makeBackingFile(net.lab, file, 256);
    pids = await startVblades(net.lab, file);
  }, 60_000);
  afterAll(async () => {
    stopPids(pids);
    await removeFiles(file, out);
  });

  it('aoe copy uses all three paths, each with 25-42% of the frames', async () => {
    const result = await runCli('aoe', ['copy', 'aoe:e1.1', out, '--json', '--netns', net.lab.initiatorNs, '-i', 'i0,i1,i2']);
    expect(result.stderr).toBe('');
    const summary = JSON.parse(result.stdout) as CopySummary;
    console.log(`[bench] vblade 3x1gbit read ${summary.megabytesPerSecond} MB/s`, JSON.stringify(summary.paths));
    expect(await sha256File(out)).toBe(await sha256File(file));
    expect(summary.paths).toHaveLength(3);
    for (const path of summary.paths) {
      expect(path.share).toBeGreaterThanOrEqual(0.25);
      expect(path.share).toBeLessThanOrEqual(0.42);
    }
  }, 120_000);
});
