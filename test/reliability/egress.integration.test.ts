// Scenario 5: the target's sends fail (ENOBUFS, nftables egress drop on every target NIC) for 5 s mid-transfer; it survives and the transfer completes.
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDevice } from '../../src/initiator/index.js';
import { fullRun, recordFigures } from '../../tools/reliability/figures.js';
import { useLab } from '../helpers/lab.js';
import { alive, controlStats, killBlades, MiB, requireBuild, sha256, sleep, sparseFile, startBlade, type Blade } from './blade.js';

const SIZE = (fullRun ? 128 : 48) * MiB;

describe('send failure on the target [netlab]', () => {
  const net = useLab({ links: 2 });
  const directory = fs.mkdtempSync('/dev/shm/aoekit-rel-egress-');
  const file = path.join(directory, 'disk.img');
  const socketPath = path.join(directory, 'control.sock');
  const blades: Blade[] = [];

  beforeAll(async () => {
    requireBuild();
    sparseFile(file, SIZE);
  }, 60_000);
  afterAll(async () => {
    await killBlades(blades);
    fs.rmSync(directory, { recursive: true, force: true });
  });

  it('egress drops for 5 s: aoeblade survives, the transfer completes after the rule is removed', async () => {
    const lab = net.lab;
    const blade = await startBlade(lab, ['--no-announce', '--control-socket', socketPath, '1', '1', 't0,t1', file], blades);
    const device = await openDevice('e1.1', { interfaces: ['i0', 'i1'], netns: lab.initiatorNs, deadlineMs: 30_000 });
    try {
      const data = randomBytes(SIZE);
      let acknowledged = 0;
      const writing = (async () => {
        for (let offset = 0; offset < SIZE; offset += MiB) {
          await device.write(offset, data.subarray(offset, offset + MiB));
          acknowledged += MiB;
        }
      })();
      let settled = false;
      writing.finally(() => (settled = true)).catch(() => {});
      while (acknowledged < 2 * MiB) await sleep(1);
      await Promise.all([lab.addEgressDrop('target', 0), lab.addEgressDrop('target', 1)]);
      const acknowledgedAtDrop = acknowledged;
      const dropStarted = performance.now();
      await sleep(5000);
      const during = await controlStats(socketPath);
      const egressDrops = (await lab.dropCounters())
        .filter((counter) => counter.kind === 'egress')
        .reduce((sum, counter) => sum + counter.packets, 0);
      const survived = alive(blade);
      const pendingDuringDrop = !settled;
      await lab.clearEgressDrop();
      const clearedAt = performance.now();
      await writing;
      const completedMs = performance.now() - clearedAt;
      await device.flush();
      const back = await device.read(0, SIZE);
      expect(sha256(back)).toBe(sha256(data));
      expect(sha256(fs.readFileSync(file))).toBe(sha256(data));
      const after = await controlStats(socketPath);
      const sum = (stats: typeof after, key: string) => stats.nics.reduce((total, nic) => total + (nic[key] ?? 0), 0);
      recordFigures(
        5,
        'send failure (ENOBUFS)',
        'Every AoE frame the target sends is dropped at its egress (its sends fail with ENOBUFS) for 5 s during a write stream: aoeblade keeps running and the transfer completes intact once the rule is gone.',
        {
          'MiB written + read': (2 * SIZE) / MiB,
          'MiB acknowledged when the drop began': acknowledgedAtDrop / MiB,
          'drop window s': Math.round((clearedAt - dropStarted) / 100) / 10,
          'frames dropped at target egress': egressDrops,
          'target send retries': sum(after, 'sendRetries'),
          'target replies given up (initiator retransmits)': sum(after, 'sendDropped'),
          'link sendBlocked+sendErrors': after.nics.reduce(
            (total, nic) =>
              total +
              ((nic.link as unknown as Record<string, number>)?.sendBlocked ?? 0) +
              ((nic.link as unknown as Record<string, number>)?.sendErrors ?? 0),
            0,
          ),
          'initiator retransmits': device.stats().retransmits,
          'ms from rule removed to write done': Math.round(completedMs),
          'target alive': alive(blade),
        },
      );
      expect(survived).toBe(true);
      expect(pendingDuringDrop).toBe(true);
      expect(egressDrops + sum(during, 'sendRetries')).toBeGreaterThan(0);
      expect(alive(blade)).toBe(true);
    } finally {
      await device.close();
      await lab.clearEgressDrop();
    }
  }, 120_000);
});
