// Scenario 2: reordered, duplicated and delayed frames on the in-memory link; overlapping writes must land in order.
import { createHash } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { describe, expect, it } from 'vitest';
import { openDevice } from '../../src/initiator/index.js';
import { MemoryHub, type MemoryLink } from '../../src/link/memory-link.js';
import { fullRun, recordFigures } from '../../tools/reliability/figures.js';
import { OrderCheckingStore, stampSector } from '../../tools/reliability/order-store.js';
import { MemoryStore } from '../../src/store/memory-store.js';
import { createTarget } from '../../src/blade/index.js';

const MiB = 1024 * 1024;
const sha256 = (data: Uint8Array) => createHash('sha256').update(data).digest('hex');
const REGION = (fullRun ? 64 : 16) * MiB;
const OP = 256 * 1024;

function generationData(generation: number, length: number, firstSector: number): Buffer {
  const buffer = Buffer.alloc(length);
  for (let at = 0; at < length; at += 512) {
    buffer.fill((generation * 31 + at / 512) & 0xff, at, at + 512);
    stampSector(buffer, at, generation, firstSector + at / 512);
  }
  return buffer;
}

describe('reordering, duplication and delay (MemoryHub)', () => {
  it('moves data intact and never applies an older write after a newer one', async () => {
    const impairment = { reorderRate: 0.2, duplicateRate: 0.1, delayMs: 2 };
    const hubs = [new MemoryHub({ seed: 101 }), new MemoryHub({ seed: 202 })];
    const initiatorLinks: MemoryLink[] = [];
    const targetLinks: Record<string, MemoryLink> = {};
    hubs.forEach((hub, index) => {
      initiatorLinks.push(hub.attach(`i${index}`, { mac: 0x020000000100 + index, impairment, receiveSlots: 512 }));
      targetLinks[`t${index}`] = hub.attach(`t${index}`, { mac: 0x020000000200 + index, impairment, receiveSlots: 512 });
    });
    const store = new OrderCheckingStore(new MemoryStore(REGION));
    const target = createTarget({
      exports: [{ shelf: 1, slot: 2, store, interfaces: Object.keys(targetLinks), bufferCount: 32 }],
      links: targetLinks,
      announce: false,
    });
    await target.start();
    const device = await openDevice('e1.2', { links: initiatorLinks, discoverTimeoutMs: 50, deadlineMs: 30_000 });
    const started = performance.now();
    try {
      // Three generations over the same region, all submitted at once: the device must order overlapping writes.
      const expected = Buffer.alloc(REGION);
      const writes: Promise<void>[] = [];
      for (const generation of [1, 2, 3]) {
        const end = generation === 3 ? REGION / 2 : REGION;
        for (let offset = 0; offset < end; offset += OP) {
          const data = generationData(generation, OP, offset / 512);
          data.copy(expected, offset);
          writes.push(device.write(offset, data));
        }
      }
      await Promise.all(writes);
      await device.flush();
      const back = await device.read(0, REGION);
      const seconds = (performance.now() - started) / 1000;
      const impaired = hubs
        .map((hub) => hub.impairmentStats())
        .reduce((a, b) => ({
          // biome-ignore lint/performance/noAccumulatingSpread: two or three hubs, once per test
          ...a,
          duplicated: a.duplicated + b.duplicated,
          reordered: a.reordered + b.reordered,
          delayed: a.delayed + b.delayed,
        }));
      const stats = device.stats();
      let mismatchedSectors = 0;
      for (let at = 0; at < REGION; at += 512) if (back.compare(expected, at, at + 512, at, at + 512) !== 0) mismatchedSectors++;
      recordFigures(
        2,
        'reorder, duplicate, delay (in memory)',
        'Three overlapping generations of writes submitted at once through 20% reordering, 10% duplication and 2 ms delay on two paths: read back equals the last generation; no sector ever got an older generation after a newer one.',
        {
          'bytes written': stats.bytesWritten,
          'bytes read': stats.bytesRead,
          'frames duplicated': impaired.duplicated,
          'frames reordered': impaired.reordered,
          'frames delayed': impaired.delayed,
          retransmits: stats.retransmits,
          'late/duplicate replies ignored': stats.ignoredReplies,
          'sector writes applied': store.sectorWrites,
          'duplicate sector writes (same generation)': store.repeated,
          'older-after-newer sector writes': store.outOfOrder,
          'mismatched sectors': mismatchedSectors,
          seconds: Math.round(seconds * 10) / 10,
        },
      );
      expect(sha256(back)).toBe(sha256(expected));
      expect(mismatchedSectors).toBe(0);
      expect(store.outOfOrder).toBe(0);
      expect(impaired.duplicated).toBeGreaterThan(100);
      expect(impaired.reordered).toBeGreaterThan(100);
      expect(store.repeated).toBeGreaterThan(0); // duplicates did reach the store: the check had something to check
    } finally {
      await device.close();
      await target.stop();
      for (const link of [...initiatorLinks, ...Object.values(targetLinks)]) await link.close();
    }
  }, 120_000);
});
