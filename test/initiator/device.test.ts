// Device data path over MemoryHub + fake target: split/reassemble, ordering, loss, duplicates, failover, deadline.
import { randomBytes } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { discoverOnLinks, openDevice, type Device } from '../../src/initiator/index.js';
import { createRig, sha256 } from './rig.js';

const MiB = 1024 * 1024;
let cleanup: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const step of cleanup.reverse()) await step();
  cleanup = [];
});

async function open(rig: ReturnType<typeof createRig>, options: Parameters<typeof openDevice>[1] = {}): Promise<Device> {
  const device = await openDevice('e1.1', { links: rig.initiatorLinks, discoverTimeoutMs: 30, ...options });
  cleanup.push(() => device.close());
  return device;
}

function rigWith(options: Parameters<typeof createRig>[0] = {}) {
  const rig = createRig(options);
  cleanup.push(() => rig.close());
  return rig;
}

describe('discovery', () => {
  it('finds one device with a path per link and a payload per path MTU', async () => {
    const rig = rigWith({ mtus: [1500, 9000], diskBytes: 2 * MiB });
    const devices = await discoverOnLinks(rig.initiatorLinks, { timeoutMs: 200 });
    expect(devices).toHaveLength(1);
    const [device] = devices;
    expect(device.name).toBe('e1.1');
    expect(device.size).toBe(2 * MiB);
    expect(device.model).toBe('aoekit fake target');
    expect(device.paths.map((path) => path.payloadBytes)).toEqual([1024, 8704]);
    expect(device.paths.map((path) => path.bufferCount)).toEqual([16, 16]);
  });

  it('rejects an unknown device with ERR_AOE_NOT_FOUND and a bad name with ERR_AOE_BAD_DEVICE', async () => {
    const rig = rigWith();
    await expect(openDevice('e9.9', { links: rig.initiatorLinks, discoverTimeoutMs: 20 })).rejects.toMatchObject({
      code: 'ERR_AOE_NOT_FOUND',
    });
    await expect(openDevice('disk1', { links: rig.initiatorLinks })).rejects.toMatchObject({ code: 'ERR_AOE_BAD_DEVICE' });
  });
});

describe('data path', () => {
  it('splits, spreads over both paths and reassembles (sha256), MTU 1500 + 9000', async () => {
    const rig = rigWith({ mtus: [1500, 9000] });
    const device = await open(rig);
    const data = randomBytes(3 * MiB);
    await device.write(512 * 8, data);
    expect(sha256(rig.disk.subarray(4096, 4096 + data.length))).toBe(sha256(data));
    const back = await device.read(4096, data.length);
    expect(sha256(back)).toBe(sha256(data));
    const stats = device.stats();
    expect(stats.paths.every((path) => path.framesAcked > 0)).toBe(true);
    expect(stats.paths.map((path) => path.payloadBytes)).toEqual([1024, 8704]);
  });

  it('readInto fills the caller buffer in place', async () => {
    const rig = rigWith();
    const device = await open(rig);
    const buffer = Buffer.alloc(64 * 1024);
    await device.readInto(buffer, 128 * 1024);
    expect(sha256(buffer)).toBe(sha256(rig.disk.subarray(128 * 1024, 192 * 1024)));
  });

  it('keeps overlapping writes in order, even under loss and reordering', async () => {
    const rig = rigWith({ impairment: { lossRate: 0.05, reorderRate: 0.2 } });
    const device = await open(rig, { tuning: { initialRtoMs: 20, minRtoMs: 5 } });
    const first = Buffer.alloc(MiB, 0xaa);
    const second = Buffer.alloc(MiB, 0xbb);
    const third = Buffer.alloc(64 * 1024, 0xcc);
    await Promise.all([device.write(0, first), device.write(MiB / 2, second), device.write(MiB - 32 * 1024, third)]);
    const expected = Buffer.alloc(MiB + MiB / 2);
    first.copy(expected, 0);
    second.copy(expected, MiB / 2);
    third.copy(expected, MiB - 32 * 1024);
    expect(sha256(rig.disk.subarray(0, expected.length))).toBe(sha256(expected));
    const read = await device.read(0, expected.length);
    expect(sha256(read)).toBe(sha256(expected));
  });

  it('retransmits through 5% loss with zero mismatches', async () => {
    const rig = rigWith({ impairment: { lossRate: 0.05 } });
    const device = await open(rig, { tuning: { initialRtoMs: 20, minRtoMs: 5 } });
    const data = randomBytes(2 * MiB);
    await device.write(0, data);
    const back = await device.read(0, data.length);
    expect(sha256(back)).toBe(sha256(data));
    expect(sha256(rig.disk.subarray(0, data.length))).toBe(sha256(data));
    expect(device.stats().retransmits).toBeGreaterThan(0);
  });

  it('ignores duplicate and late replies', async () => {
    const rig = rigWith({ target: { duplicate: true } });
    const device = await open(rig);
    const data = randomBytes(MiB);
    await device.write(0, data);
    expect(sha256(await device.read(0, data.length))).toBe(sha256(data));
    expect(device.stats().ignoredReplies).toBeGreaterThan(0);
  });

  it('ignores late replies to frames it already retransmitted', async () => {
    const rig = rigWith({ target: { delayMs: 40 } });
    const device = await open(rig, { discoverTimeoutMs: 150, tuning: { initialRtoMs: 10, minRtoMs: 5 } });
    const data = randomBytes(256 * 1024);
    await device.write(0, data);
    expect(sha256(await device.read(0, data.length))).toBe(sha256(data));
    const stats = device.stats();
    expect(stats.retransmits).toBeGreaterThan(0);
    expect(stats.ignoredReplies).toBeGreaterThan(0);
  });

  it('maps range, alignment and AoE error replies to codes', async () => {
    const rig = rigWith({ diskBytes: MiB });
    const device = await open(rig);
    await expect(device.read(MiB - 512, 1024)).rejects.toMatchObject({ code: 'ERR_AOE_RANGE' });
    await expect(device.read(100, 512)).rejects.toMatchObject({ code: 'ERR_AOE_ALIGNMENT' });
    for (const target of rig.targets) target.stop();
    await device.close();
    const short = rigWith({ diskBytes: MiB, target: { identifySectors: 4096 } });
    const shortDevice = await open(short);
    await expect(shortDevice.read(MiB, 4096)).rejects.toMatchObject({ code: 'ERR_ATA_IDNF' });
    expect(shortDevice.stats().retransmits).toBe(0);
    const reserved = rigWith({ diskBytes: MiB, target: { aoeError: 6 } });
    const reservedDevice = await open(reserved);
    await expect(reservedDevice.read(0, 4096)).rejects.toMatchObject({ code: 'ERR_AOE_RESERVED' });
  });
});

describe('paths', () => {
  it('fails over when a link loses carrier and brings the path back when it returns', async () => {
    const rig = rigWith({ diskBytes: 16 * MiB });
    const device = await open(rig, { probeIntervalMs: 50 });
    const events: string[] = [];
    device.on('path-down', (event) => events.push(`down:${event.interface}`));
    device.on('path-up', (event) => events.push(`up:${event.interface}`));
    const data = randomBytes(16 * MiB);
    const writing = device.write(0, data);
    setTimeout(() => rig.initiatorLinks[1].setCarrier(false), 5);
    await writing;
    expect(events).toContain('down:i1');
    expect(sha256(await device.read(0, data.length))).toBe(sha256(data));
    const downAt = Date.now();
    rig.initiatorLinks[1].setCarrier(true);
    await new Promise<void>((resolve) => device.once('path-up', () => resolve()));
    expect(Date.now() - downAt).toBeLessThan(2000);
    await device.read(0, MiB);
    expect(device.stats().paths[1].state).toBe('up');
  });

  it('marks a silent path down after timeouts and keeps going on the other', async () => {
    let silent = false;
    const rig = rigWith({ diskBytes: 8 * MiB });
    rig.targets[1].stop();
    const { startFakeTarget } = await import('./fake-target.js');
    startFakeTarget(rig.targetLinks[1], { shelf: 1, slot: 1, disk: rig.disk, drop: (frame) => silent && frame[19] === 0 });
    const device = await open(rig, { tuning: { initialRtoMs: 20, minRtoMs: 5 } });
    silent = true;
    const data = randomBytes(4 * MiB);
    await device.write(0, data);
    expect(sha256(rig.disk.subarray(0, data.length))).toBe(sha256(data));
    // Loss events a doubling RTO apart: keep traffic flowing until the path is declared down.
    const until = Date.now() + 3000;
    while (device.stats().paths[1].state === 'up' && Date.now() < until)
      expect(sha256(await device.read(0, MiB))).toBe(sha256(data.subarray(0, MiB)));
    expect(device.stats().paths[1].downEvents).toBe(1);
    expect(device.stats().paths[1].state).toBe('down');
  });

  it('fails with ERR_AOE_DEADLINE when no path answers, and leaves no timers behind', async () => {
    const before = process.getActiveResourcesInfo().filter((name) => name === 'Timeout').length;
    let silent = false;
    const rig = rigWith({ target: { drop: () => silent } });
    const device = await openDevice('e1.1', {
      links: rig.initiatorLinks,
      discoverTimeoutMs: 20,
      deadlineMs: 300,
      tuning: { initialRtoMs: 20, minRtoMs: 5 },
    });
    silent = true;
    const started = Date.now();
    await expect(device.read(0, 65536)).rejects.toMatchObject({ code: 'ERR_AOE_DEADLINE' });
    expect(Date.now() - started).toBeGreaterThanOrEqual(280);
    await device.close();
    await new Promise((resolve) => setTimeout(resolve, 20));
    const after = process.getActiveResourcesInfo().filter((name) => name === 'Timeout').length;
    expect(after).toBeLessThanOrEqual(before);
  });
});

describe('target budget', () => {
  it('two local NICs to one target MAC share its buffer count', async () => {
    const { MemoryHub } = await import('../../src/link/memory-link.js');
    const { startFakeTarget } = await import('./fake-target.js');
    const hub = new MemoryHub({ seed: 3 });
    const links = [hub.attach('i0', { receiveSlots: 256 }), hub.attach('i1', { receiveSlots: 256 })];
    const targetLink = hub.attach('t0', { receiveSlots: 256 });
    const disk = randomBytes(4 * MiB);
    startFakeTarget(targetLink, { shelf: 1, slot: 1, disk, bufferCount: 8 });
    cleanup.push(async () => {
      for (const link of [...links, targetLink]) await link.close();
    });
    const device = await openDevice('e1.1', { links, discoverTimeoutMs: 30 });
    cleanup.push(() => device.close());
    expect(device.paths).toHaveLength(2);
    expect(device.paths[0].budget).toBe(device.paths[1].budget);
    let peak = 0;
    let reading = true;
    const sample = () => {
      peak = Math.max(peak, device.paths[0].inflight + device.paths[1].inflight);
      if (reading) setImmediate(sample);
    };
    sample();
    expect(sha256(await device.read(0, disk.length))).toBe(sha256(disk));
    reading = false;
    expect(peak).toBeGreaterThan(1);
    expect(peak).toBeLessThanOrEqual(8);
  });
});

describe('policies', () => {
  it('round-robin splits two equal paths evenly; failover keeps everything on the first', async () => {
    const rig = rigWith({ diskBytes: 8 * MiB });
    const robin = await open(rig, { policy: 'round-robin' });
    await robin.read(0, 4 * MiB);
    const [a, b] = robin.stats().paths.map((path) => path.framesAcked);
    expect(Math.abs(a - b) / (a + b)).toBeLessThan(0.1);
    await robin.close();
    const failover = await open(rig, { policy: 'failover' });
    await failover.read(0, 4 * MiB);
    const paths = failover.stats().paths;
    expect(paths[0].framesAcked).toBe(4096);
    expect(paths[1].framesAcked).toBe(0);
  });

  it('least-queue and weighted use every path', async () => {
    const rig = rigWith({ diskBytes: 8 * MiB, mtus: [1500, 9000] });
    for (const policy of ['least-queue', 'weighted'] as const) {
      const device = await open(rig, { policy });
      await device.read(0, 8 * MiB);
      expect(device.stats().paths.every((path) => path.framesAcked > 0)).toBe(true);
      await device.close();
    }
  });
});
