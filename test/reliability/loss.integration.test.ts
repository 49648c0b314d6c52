// Scenario 1: 1% and 5% random loss (nftables ingress, every path, both directions); write and read back, sha256; throughput vs no loss.
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import { performance } from 'node:perf_hooks';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDevice } from '../../src/initiator/index.js';
import { fullRun, recordFigures } from '../../tools/reliability/figures.js';
import { useLab } from '../helpers/lab.js';
import { killBlades, MiB, requireBuild, sha256, sparseFile, startBlade, type Blade } from './blade.js';

const SIZE = (Number(process.env.AOEKIT_LOSS_MIB) || (fullRun ? 256 : 32)) * MiB;

describe('loss on every path, both directions [netlab]', () => {
  const net = useLab({ links: 2 });
  const file = `/dev/shm/aoekit-rel-loss-${process.pid}.img`;
  const blades: Blade[] = [];
  const figures: Record<string, number | string> = { 'MiB per phase (written, then read back)': SIZE / MiB };
  let baseline = 0;

  beforeAll(async () => {
    requireBuild();
    sparseFile(file, SIZE);
    await startBlade(net.lab, ['--no-announce', '-b', '64', '1', '1', 't0,t1', file], blades);
  }, 60_000);
  afterAll(async () => {
    await killBlades(blades);
    fs.rmSync(file, { force: true });
  });

  for (const percent of [0, 1, 5]) {
    it(`${percent}% loss: ${SIZE / MiB} MiB written and read back with zero mismatches`, async () => {
      const lab = net.lab;
      await lab.clearLoss();
      if (percent > 0) await lab.addLoss(percent, { side: 'both' });
      const device = await openDevice('e1.1', { interfaces: ['i0', 'i1'], netns: lab.initiatorNs, deadlineMs: 60_000 });
      try {
        const data = randomBytes(SIZE);
        const chunk = 4 * MiB;
        const started = performance.now();
        for (let offset = 0; offset < SIZE; offset += chunk) await device.write(offset, data.subarray(offset, offset + chunk));
        await device.flush();
        const wrote = performance.now();
        const back = Buffer.alloc(SIZE);
        for (let offset = 0; offset < SIZE; offset += chunk) await device.readInto(back.subarray(offset, offset + chunk), offset);
        const read = performance.now();
        const drops = (await lab.dropCounters())
          .filter((counter) => counter.kind === 'loss')
          .reduce((sum, counter) => sum + counter.packets, 0);
        let mismatches = 0;
        for (let at = 0; at < SIZE; at += 512) if (back.compare(data, at, at + 512, at, at + 512) !== 0) mismatches++;
        const fileMatches = sha256(fs.readFileSync(file)) === sha256(data);
        const megabytesPerSecond = (2 * SIZE) / MiB / ((read - started) / 1000);
        if (percent === 0) baseline = megabytesPerSecond;
        const stats = device.stats();
        figures[`${percent}%: write MB/s`] = Math.round(SIZE / MiB / ((wrote - started) / 1000));
        figures[`${percent}%: read MB/s`] = Math.round(SIZE / MiB / ((read - wrote) / 1000));
        figures[`${percent}%: throughput vs no loss`] = baseline > 0 ? `${Math.round((100 * megabytesPerSecond) / baseline)}%` : 'n/a';
        figures[`${percent}%: frames dropped by nftables`] = drops;
        figures[`${percent}%: retransmits (fast / RTO / spurious)`] =
          `${stats.retransmits} (${stats.fastRetransmits} / ${stats.timeoutRetransmits} / ${stats.spuriousRetransmits})`;
        figures[`${percent}%: mismatched sectors`] = mismatches;
        expect(mismatches).toBe(0);
        expect(sha256(back)).toBe(sha256(data));
        expect(fileMatches).toBe(true);
        if (percent > 0) {
          expect(drops).toBeGreaterThan(0);
          expect(stats.retransmits).toBeGreaterThan(0);
          expect(stats.fastRetransmits).toBeGreaterThan(stats.timeoutRetransmits); // most losses found without waiting for the RTO
        }
      } finally {
        await device.close();
        await lab.clearLoss();
      }
      if (percent === 5)
        recordFigures(
          1,
          'loss 1% and 5%',
          'Random loss injected with nftables at the ingress of both ends of both links: every byte written and read back matches (sha256 of the read-back and of the backing file), and most lost frames are found by later replies on their path (fast retransmit, RACK) rather than by the RTO.',
          figures,
        );
    }, 300_000);
  }
});
