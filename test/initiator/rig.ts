// Test rig: N memory hubs (one per path), initiator links, fake targets sharing one disk.
import { createHash, randomBytes } from 'node:crypto';
import { MemoryHub, type MemoryLink } from '../../src/link/memory-link.js';
import type { Impairment } from '../../src/link/memory-link.js';
import { startFakeTarget, type FakeTargetOptions } from './fake-target.js';

export interface RigOptions {
  mtus?: number[];
  diskBytes?: number;
  impairment?: Impairment;
  target?: Partial<FakeTargetOptions>;
  seed?: number;
}

export function createRig(options: RigOptions = {}) {
  const mtus = options.mtus ?? [1500, 1500];
  const disk = randomBytes(options.diskBytes ?? 4 * 1024 * 1024);
  const initiatorLinks: MemoryLink[] = [];
  const targetLinks: MemoryLink[] = [];
  const targets = mtus.map((mtu, index) => {
    const hub = new MemoryHub({ seed: (options.seed ?? 7) + index });
    const initiator = hub.attach(`i${index}`, { mac: 0x020000000100 + index, mtu, impairment: options.impairment, receiveSlots: 256 });
    const target = hub.attach(`t${index}`, { mac: 0x020000000200 + index, mtu, impairment: options.impairment, receiveSlots: 256 });
    initiatorLinks.push(initiator);
    targetLinks.push(target);
    return startFakeTarget(target, { shelf: 1, slot: 1, disk, ...options.target });
  });
  return {
    disk,
    initiatorLinks,
    targetLinks,
    targets,
    async close() {
      for (const link of [...initiatorLinks, ...targetLinks]) await link.close();
    },
  };
}

export function sha256(data: Uint8Array): string {
  return createHash('sha256').update(data).digest('hex');
}
