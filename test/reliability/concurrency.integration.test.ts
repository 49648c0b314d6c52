// Scenario 8: two initiators, each in its own namespace, write disjoint halves of one export at the same time; both halves intact.
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import { performance } from 'node:perf_hooks';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDevice, type Device } from '../../src/initiator/index.js';
import { fullRun, recordFigures } from '../../tools/reliability/figures.js';
import { useLab } from '../helpers/lab.js';
import { hashFileRange, killBlades, MiB, requireBuild, sha256, sparseFile, startBlade, type Blade } from './blade.js';

const SIZE = (fullRun ? 256 : 64) * MiB;
const CHUNK = 4 * MiB;

describe('two initiators, disjoint halves [netlab]', () => {
  const net = useLab({ links: 2, extraInitiators: 1 });
  const file = `/dev/shm/aoekit-rel-concurrency-${process.pid}.img`;
  const blades: Blade[] = [];

  beforeAll(async () => {
    requireBuild();
    sparseFile(file, SIZE);
    await startBlade(net.lab, ['--no-announce', '1', '1', 't0,t1', file], blades);
  }, 60_000);
  afterAll(async () => {
    await killBlades(blades);
    fs.rmSync(file, { force: true });
  });

  it('both halves are intact (sha256 of the file and of each initiator reading the other half)', async () => {
    const lab = net.lab;
    const devices: Device[] = [];
    try {
      for (const netns of [lab.initiatorNs, lab.extraInitiatorNs[0]])
        devices.push(await openDevice('e1.1', { interfaces: ['i0', 'i1'], netns, deadlineMs: 30_000 }));
      const half = SIZE / 2;
      const halves = [randomBytes(half), randomBytes(half)];
      const started = performance.now();
      const finished: number[] = [];
      await Promise.all(
        devices.map(async (device, index) => {
          for (let offset = 0; offset < half; offset += CHUNK)
            await device.write(index * half + offset, halves[index].subarray(offset, offset + CHUNK));
          await device.flush();
          finished[index] = performance.now() - started;
        }),
      );
      const elapsed = performance.now() - started;
      const fileHalves = [hashFileRange(file, 0, half), hashFileRange(file, half, half)];
      // Each initiator reads back the half the other one wrote.
      const crossRead = await Promise.all(devices.map((device, index) => device.read((1 - index) * half, half)));
      recordFigures(
        8,
        'two initiators, disjoint halves',
        'Two initiators in separate namespaces (sharing the target links through a bridge) write the two halves of one export at the same time; each half is intact in the file and when read back by the other initiator.',
        {
          'MiB written (each)': half / MiB,
          'initiator A MB/s': Math.round(half / MiB / (finished[0] / 1000)),
          'initiator B MB/s': Math.round(half / MiB / (finished[1] / 1000)),
          'aggregate MB/s': Math.round(SIZE / MiB / (elapsed / 1000)),
          'retransmits A/B': `${devices[0].stats().retransmits}/${devices[1].stats().retransmits}`,
          'half A intact': fileHalves[0] === sha256(halves[0]),
          'half B intact': fileHalves[1] === sha256(halves[1]),
        },
      );
      expect(fileHalves[0]).toBe(sha256(halves[0]));
      expect(fileHalves[1]).toBe(sha256(halves[1]));
      expect(sha256(crossRead[0])).toBe(sha256(halves[1]));
      expect(sha256(crossRead[1])).toBe(sha256(halves[0]));
    } finally {
      for (const device of devices) await device.close();
    }
  }, 180_000);
});
