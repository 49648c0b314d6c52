// Test fixture: a target on a MemoryHub with one or more fake initiators.
import { MemoryHub, type MemoryLink } from '../../src/link/memory-link.js';
import type { BlockStore } from '../../src/store/block-store.js';
import { MemoryStore } from '../../src/store/memory-store.js';
import type { ExportOptions } from '../../src/blade/export.js';
import { createTarget, type Target, type TargetOptions } from '../../src/blade/server.js';
import { TestInitiator } from './aoe-test-client.js';

export const TARGET_MAC = 0x02aa00000001;
export const INITIATOR_MAC = 0x02bb00000001;
export const OTHER_MAC = 0x02bb00000002;

export interface Fixture {
  hub: MemoryHub;
  targetLink: MemoryLink;
  target: Target;
  initiator: TestInitiator;
  other: TestInitiator;
  store: BlockStore;
  close(): Promise<void>;
}

export async function startFixture(
  options: {
    store?: BlockStore;
    exportOptions?: Partial<ExportOptions>;
    extraExports?: Array<Partial<ExportOptions> & { shelf: number; slot: number }>;
    targetOptions?: Partial<TargetOptions>;
    mtu?: number;
    sendCapacity?: number;
  } = {},
): Promise<Fixture> {
  const hub = new MemoryHub({ seed: 7 });
  const targetLink = hub.attach('t0', { mac: TARGET_MAC, mtu: options.mtu ?? 1500, sendCapacity: options.sendCapacity });
  const initiator = new TestInitiator(hub.attach('i0', { mac: INITIATOR_MAC, mtu: options.mtu ?? 1500 }));
  const other = new TestInitiator(hub.attach('i1', { mac: OTHER_MAC, mtu: options.mtu ?? 1500 }));
  const store = options.store ?? new MemoryStore(1024 * 1024);
  const exportsList: ExportOptions[] = [{ shelf: 1, slot: 2, store, interfaces: ['t0'], ...options.exportOptions }];
  for (const extra of options.extraExports ?? []) exportsList.push({ store: new MemoryStore(64 * 1024), interfaces: ['t0'], ...extra });
  const target = createTarget({ exports: exportsList, links: { t0: targetLink }, announce: false, ...options.targetOptions });
  await target.start();
  return {
    hub,
    targetLink,
    target,
    initiator,
    other,
    store,
    async close() {
      await target.stop();
      await targetLink.close();
      await initiator.link.close();
      await other.link.close();
    },
  };
}
