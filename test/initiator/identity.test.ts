// One identity per device: paths to one shelf.slot that lead to different disks are never merged, and I/O says which they are.
import { randomBytes } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { discoverOnLinks, openDevice } from '../../src/initiator/index.js';
import { MemoryHub, type MemoryLink } from '../../src/link/memory-link.js';
import { startFakeTarget, type FakeTargetOptions } from './fake-target.js';

const MiB = 1024 * 1024;
let links: MemoryLink[] = [];
afterEach(async () => {
  for (const link of links) await link.close();
  links = [];
});

/** One hub (path) per target: each fake target serves e1.1 from its own options. */
function twoTargets(first: Partial<FakeTargetOptions>, second: Partial<FakeTargetOptions>): MemoryLink[] {
  const initiators = [first, second].map((options, index) => {
    const hub = new MemoryHub({ seed: 3 + index });
    const initiator = hub.attach(`i${index}`, { mac: 0x020000000100 + index, mtu: 1500 });
    const target = hub.attach(`t${index}`, { mac: 0x020000000200 + index, mtu: 1500 });
    links.push(initiator, target);
    startFakeTarget(target, { shelf: 1, slot: 1, disk: randomBytes(MiB), ...options });
    return initiator;
  });
  return initiators;
}

describe('one identity per device', () => {
  it('two different disks behind one shelf.slot (64 MiB and 1 MiB) are not merged: discovery reports both sides', async () => {
    const initiators = twoTargets({ disk: Buffer.alloc(64 * MiB) }, { disk: Buffer.alloc(MiB) });
    const [device] = await discoverOnLinks(initiators, { timeoutMs: 50 });
    expect(device.conflict).toHaveLength(2);
    expect(device.conflict?.map((group) => group.identity.sectors * 512)).toEqual([64 * MiB, MiB]);
    expect(device.conflict?.map((group) => group.paths.map((path) => path.interface))).toEqual([['i0'], ['i1']]);
  });

  it('I/O on a device whose paths lead to different disks refuses with ERR_AOE_CONFLICT naming both paths', async () => {
    const initiators = twoTargets({ disk: Buffer.alloc(64 * MiB) }, { disk: Buffer.alloc(MiB) });
    const failure = await openDevice('e1.1', { links: initiators, discoverTimeoutMs: 50 }).then(
      () => undefined,
      (error: unknown) => error,
    );
    expect(failure).toMatchObject({ code: 'ERR_AOE_CONFLICT' });
    const message = (failure as Error).message;
    expect(message).toContain('i0 -> 02:00:00:00:02:00');
    expect(message).toContain('i1 -> 02:00:00:00:02:01');
    expect(message).toContain(`${64 * MiB} bytes`);
    expect(message).toContain(`${MiB} bytes`);
  });

  it('same size but different config strings are different disks too', async () => {
    const initiators = twoTargets(
      { disk: Buffer.alloc(MiB), configString: 'rack1 disk1' },
      { disk: Buffer.alloc(MiB), configString: 'rack2 disk7' },
    );
    await expect(openDevice('e1.1', { links: initiators, discoverTimeoutMs: 50 })).rejects.toMatchObject({ code: 'ERR_AOE_CONFLICT' });
  });

  it('narrowing to one side (one link) opens that disk alone', async () => {
    const initiators = twoTargets({ disk: Buffer.alloc(64 * MiB) }, { disk: Buffer.alloc(MiB) });
    const device = await openDevice('e1.1', { links: [initiators[1]], discoverTimeoutMs: 50 });
    try {
      expect(device.size).toBe(MiB);
      expect(device.paths).toHaveLength(1);
    } finally {
      await device.close();
    }
  });

  it('paths to the same disk (same size, serial, model, config) are merged as before', async () => {
    const disk = randomBytes(MiB);
    const initiators = twoTargets({ disk }, { disk });
    const device = await openDevice('e1.1', { links: initiators, discoverTimeoutMs: 50 });
    try {
      expect(device.paths).toHaveLength(2);
    } finally {
      await device.close();
    }
  });
});
