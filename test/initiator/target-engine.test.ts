// Initiator against the real target engine (aoeblade's library) over MemoryHub: data under loss, control plane, errors.
import { randomBytes } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import {
  discoverOnLinks,
  flushCache,
  maskList,
  openDevice,
  queryConfig,
  reserve,
  setConfig,
  withDeviceTargets,
  probePathMtu,
} from '../../src/initiator/index.js';
import { MemoryHub, type MemoryLink } from '../../src/link/memory-link.js';
import { MemoryStore } from '../../src/store/memory-store.js';
import { createTarget, type Target } from '../../src/blade/index.js';
import { sha256 } from './rig.js';

const MiB = 1024 * 1024;
let cleanup: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const step of cleanup.reverse()) await step();
  cleanup = [];
});

async function rig(options: { mtus?: number[]; lossRate?: number; size?: number } = {}) {
  const mtus = options.mtus ?? [1500, 1500];
  const initiatorLinks: MemoryLink[] = [];
  const targetLinks: Record<string, MemoryLink> = {};
  mtus.forEach((mtu, index) => {
    const hub = new MemoryHub({ seed: 11 + index });
    initiatorLinks.push(
      hub.attach(`i${index}`, { mac: 0x020000000100 + index, mtu, impairment: { lossRate: options.lossRate ?? 0 }, receiveSlots: 256 }),
    );
    targetLinks[`t${index}`] = hub.attach(`t${index}`, {
      mac: 0x020000000200 + index,
      mtu,
      impairment: { lossRate: options.lossRate ?? 0 },
      receiveSlots: 256,
    });
  });
  const store = new MemoryStore(options.size ?? 8 * MiB);
  const target: Target = createTarget({
    exports: [{ shelf: 2, slot: 3, store, interfaces: Object.keys(targetLinks), bufferCount: 32 }],
    links: targetLinks,
    announce: false,
  });
  await target.start();
  cleanup.push(async () => {
    await target.stop();
    for (const link of [...initiatorLinks, ...Object.values(targetLinks)]) await link.close();
  });
  return { initiatorLinks, target, store };
}

describe('initiator x target engine (MemoryHub)', () => {
  it('moves data intact over two paths through 5% loss and flushes', async () => {
    const { initiatorLinks } = await rig({ lossRate: 0.05, mtus: [9000, 1500] });
    const device = await openDevice('e2.3', { links: initiatorLinks, discoverTimeoutMs: 30, tuning: { initialRtoMs: 20, minRtoMs: 5 } });
    cleanup.push(() => device.close());
    expect(device.paths.map((path) => path.payloadBytes)).toEqual([8704, 1024]);
    const data = randomBytes(4 * MiB);
    await device.write(MiB, data);
    await device.flush();
    expect(sha256(await device.read(MiB, data.length))).toBe(sha256(data));
    if (process.env.AOEKIT_DEBUG) console.log(JSON.stringify(device.stats()));
    expect(device.stats().retransmits).toBeGreaterThan(0);
  });

  it('sets and reads the config string, mask list and reservations; a foreign reservation gives ERR_AOE_RESERVED', async () => {
    const { initiatorLinks } = await rig();
    await withDeviceTargets('e2.3', { links: initiatorLinks, timeoutMs: 30 }, async (_device, handles) => {
      expect(handles).toHaveLength(2);
      const [first, second] = handles;
      expect((await setConfig(first.target, 'shelf-two', false)).configString).toBe('shelf-two');
      expect((await setConfig(second.target, 'shelf-two', false)).configString).toBe('shelf-two'); // shared export: idempotent
      await expect(setConfig(first.target, 'other', false)).rejects.toMatchObject({ code: 'ERR_AOE_CONFIG_STRING_PRESENT' });
      expect((await queryConfig(second.target)).configString).toBe('shelf-two');
      expect(await maskList(first.target, [{ command: 'add', mac: first.path.localMac }])).toEqual([first.path.localMac]);
      expect(await maskList(first.target, [{ command: 'delete', mac: first.path.localMac }])).toEqual([]);
      expect(await reserve(first.target, [0x020000000099])).toEqual([0x020000000099]);
      expect(await flushCache(first.target).catch((error) => error.code)).toBe('ERR_AOE_RESERVED');
      expect(await reserve(first.target, [], true)).toEqual([]);
      expect(await flushCache(first.target)).toBe('ext');
    });
  });

  it('reports ERR_AOE_RESERVED for I/O on a device reserved by someone else, without retrying', async () => {
    const { initiatorLinks } = await rig();
    const device = await openDevice('e2.3', { links: initiatorLinks, discoverTimeoutMs: 30 });
    cleanup.push(() => device.close());
    await withDeviceTargets('e2.3', { links: initiatorLinks, timeoutMs: 30 }, async (_device, handles) => {
      await reserve(handles[0].target, [0x020000000042], true);
    });
    await expect(device.read(0, 64 * 1024)).rejects.toMatchObject({ code: 'ERR_AOE_RESERVED' });
    expect(device.stats().retransmits).toBe(0);
  });

  it("probe-mtu finds each path's working payload", async () => {
    const { initiatorLinks } = await rig({ mtus: [9000, 1500] });
    const [device] = await discoverOnLinks(initiatorLinks, { timeoutMs: 30, skipIdentify: true });
    const results = await withDeviceTargets('e2.3', { links: initiatorLinks, timeoutMs: 30, everyPath: true }, async (_found, handles) =>
      Promise.all(handles.map((handle) => probePathMtu(handle.path, handle.target, 50))),
    );
    expect(device.paths).toHaveLength(2);
    expect(results.map((result) => [result.workingSectors, result.mismatch])).toEqual([
      [17, false],
      [2, false],
    ]);
  });
});
