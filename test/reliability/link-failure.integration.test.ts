// Scenario 3: one of three links down mid-transfer, all links down for 10 s, all links down past the device deadline.
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import { performance } from 'node:perf_hooks';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDevice, type Device } from '../../src/initiator/index.js';
import { fullRun, recordFigures } from '../../tools/reliability/figures.js';
import { useLab } from '../helpers/lab.js';
import { killBlades, MiB, requireBuild, sha256, sparseFile, sleep, startBlade, type Blade } from './blade.js';

const SIZE = (fullRun ? 128 : 48) * MiB;
const CHUNK = 4 * MiB;

function resourceCounts(): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const type of process.getActiveResourcesInfo()) counts[type] = (counts[type] ?? 0) + 1;
  return counts;
}

async function readAll(device: Device, length: number): Promise<Buffer> {
  const back = Buffer.alloc(length);
  for (let offset = 0; offset < length; offset += CHUNK) await device.readInto(back.subarray(offset, offset + CHUNK), offset);
  return back;
}

describe('link failure, 3 links [netlab]', () => {
  const net = useLab({ links: 3 });
  const file = `/dev/shm/aoekit-rel-links-${process.pid}.img`;
  const blades: Blade[] = [];
  const figures: Record<string, number | string | boolean> = {};
  const interfaces = ['i0', 'i1', 'i2'];

  beforeAll(async () => {
    requireBuild();
    sparseFile(file, SIZE);
    await startBlade(net.lab, ['--no-announce', '-b', '64', '1', '1', 't0,t1,t2', file], blades);
  }, 60_000);
  afterAll(async () => {
    await killBlades(blades);
    fs.rmSync(file, { force: true });
    recordFigures(
      3,
      'link failure',
      'One of three links down mid-transfer: the transfer completes and the path is back within 2 s of link up. All links down 10 s: I/O resumes with no error. All links down past the deadline: ERR_AOE_DEADLINE on time, no timer or handle left.',
      figures,
    );
  });

  it('one link down mid-transfer: the transfer completes intact and the path is back within 2 s of link up', async () => {
    const lab = net.lab;
    const device = await openDevice('e1.1', { interfaces, netns: lab.initiatorNs, deadlineMs: 30_000 });
    try {
      const data = randomBytes(SIZE);
      const started = performance.now();
      let acknowledged = 0;
      const writing = (async () => {
        for (let offset = 0; offset < SIZE; offset += MiB) {
          await device.write(offset, data.subarray(offset, offset + MiB));
          acknowledged += MiB;
        }
      })();
      while (acknowledged < SIZE / 4) await sleep(1);
      await lab.setLinkUp(1, false);
      const downAt = performance.now();
      const acknowledgedAtDown = acknowledged;
      await writing;
      const back = await readAll(device, SIZE);
      const done = performance.now();
      expect(sha256(back)).toBe(sha256(data));
      expect(sha256(fs.readFileSync(file))).toBe(sha256(data));
      const path = device.paths.find((item) => item.link.name === 'i1')!;
      expect(path.state).toBe('down');
      const upAt = performance.now();
      const back1 = new Promise<number>((resolve) =>
        device.on('path-up', (event: { interface: string }) => {
          if (event.interface === 'i1') resolve(performance.now());
        }),
      );
      await lab.setLinkUp(1, true);
      const recoveredAt = await Promise.race([back1, sleep(5000).then(() => Infinity)]);
      const recoverMs = recoveredAt - upAt;
      figures['one link down: MiB written + read'] = (2 * SIZE) / MiB;
      figures['one link down: transfer s (link dropped at s)'] =
        `${((done - started) / 1000).toFixed(1)} (${((downAt - started) / 1000).toFixed(2)})`;
      figures['one link down: MiB of the write acknowledged when the link went down'] = acknowledgedAtDown / MiB;
      figures['one link down: retransmits'] = device.stats().retransmits;
      figures['one link down: path back after link up, ms'] = Math.round(recoverMs);
      expect(acknowledgedAtDown).toBeLessThan(SIZE); // the link really went down mid-transfer
      expect(recoverMs).toBeLessThan(2000);
      // The recovered path carries data again.
      const before = device.stats().paths.find((item) => item.interface === 'i1')!.framesAcked;
      await readAll(device, 16 * MiB);
      expect(device.stats().paths.find((item) => item.interface === 'i1')!.framesAcked).toBeGreaterThan(before);
    } finally {
      await device.close();
      for (let index = 0; index < 3; index++) await lab.setLinkUp(index, true);
    }
  }, 120_000);

  it('all links down for 10 s, then up: I/O resumes with no error', async () => {
    const lab = net.lab;
    const device = await openDevice('e1.1', { interfaces, netns: lab.initiatorNs, deadlineMs: 30_000 });
    try {
      const data = randomBytes(32 * MiB);
      let acknowledged = 0;
      const writing = (async () => {
        for (let offset = 0; offset < data.length; offset += MiB) {
          await device.write(offset, data.subarray(offset, offset + MiB));
          acknowledged += MiB;
        }
      })();
      let settled = false;
      writing.finally(() => (settled = true)).catch(() => {});
      while (acknowledged < MiB) await sleep(1);
      await Promise.all([0, 1, 2].map((index) => lab.setLinkUp(index, false)));
      const acknowledgedAtOutage = acknowledged;
      await sleep(10_000);
      const stillPending = !settled;
      const upAt = performance.now();
      for (let index = 0; index < 3; index++) await lab.setLinkUp(index, true);
      await writing;
      const resumedMs = performance.now() - upAt;
      expect(sha256(await readAll(device, data.length))).toBe(sha256(data));
      figures['all down 10 s: write still pending during outage'] = stillPending;
      figures['all down 10 s: MiB acknowledged before the outage / total'] = `${acknowledgedAtOutage / MiB} / ${data.length / MiB}`;
      figures['all down 10 s: ms from links up to write done'] = Math.round(resumedMs);
      figures['all down 10 s: retransmits'] = device.stats().retransmits;
      expect(stillPending).toBe(true);
    } finally {
      await device.close();
    }
  }, 120_000);

  it('all links down past the device deadline: ERR_AOE_DEADLINE on time, then no leaked timers or handles', async () => {
    const lab = net.lab;
    const baseline = resourceCounts();
    const deadlineMs = 3000;
    const device = await openDevice('e1.1', { interfaces, netns: lab.initiatorNs, deadlineMs });
    let failedAfterMs = -1;
    try {
      for (let index = 0; index < 3; index++) await lab.setLinkUp(index, false);
      const started = performance.now();
      const error = await device.read(0, 4 * MiB).then(
        () => undefined,
        (caught: unknown) => caught as { code?: string; message: string },
      );
      failedAfterMs = performance.now() - started;
      expect(error?.code).toBe('ERR_AOE_DEADLINE');
      expect(failedAfterMs).toBeGreaterThanOrEqual(deadlineMs - 50);
      expect(failedAfterMs).toBeLessThan(deadlineMs + 1500);
      figures['past deadline: error'] = `${error?.code} after ${Math.round(failedAfterMs)} ms (deadline ${deadlineMs} ms)`;
    } finally {
      await device.close();
      for (let index = 0; index < 3; index++) await lab.setLinkUp(index, true);
    }
    await sleep(100);
    const after = resourceCounts();
    const leaked = Object.entries(after)
      .filter(([type, count]) => count > (baseline[type] ?? 0))
      .map(([type, count]) => `${type} +${count - (baseline[type] ?? 0)}`);
    figures['past deadline: handles/timers left after close'] = leaked.length === 0 ? 'none' : leaked.join(', ');
    expect(leaked).toEqual([]);
  }, 60_000);
});
