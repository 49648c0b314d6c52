// Loss recovery over MemoryHub + fake target: fast (RACK) retransmits under random loss, reorder-window adaptation, write quarantine.
import { randomBytes } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { afterEach, describe, expect, it } from 'vitest';
import { openDevice, type Device } from '../../src/initiator/index.js';
import { startFakeTarget, type FakeTargetOptions } from './fake-target.js';
import { createRig, sha256 } from './rig.js';

const MiB = 1024 * 1024;
let cleanup: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const step of cleanup.reverse()) await step();
  cleanup = [];
});

async function setup(rigOptions: Parameters<typeof createRig>[0], openOptions: Parameters<typeof openDevice>[1] = {}) {
  const rig = createRig(rigOptions);
  cleanup.push(() => rig.close());
  const device: Device = await openDevice('e1.1', { links: rig.initiatorLinks, discoverTimeoutMs: 30, ...openOptions });
  cleanup.push(() => device.close());
  return { rig, device };
}

/** Replace both fake targets by ones with extra options (the rig's disk stays shared). */
function restartTargets(rig: ReturnType<typeof createRig>, options: Partial<FakeTargetOptions>) {
  return rig.targetLinks.map((link, index) => {
    rig.targets[index].stop();
    return startFakeTarget(link, { shelf: 1, slot: 1, disk: rig.disk, ...options });
  });
}

describe('fast loss detection', () => {
  for (const lossRate of [0.01, 0.05]) {
    it(`${lossRate * 100}% random loss both ways: data intact, losses found by later replies rather than the RTO`, async () => {
      const { rig, device } = await setup({ diskBytes: 8 * MiB, impairment: { lossRate }, seed: 11 });
      const data = randomBytes(8 * MiB);
      await device.write(0, data);
      expect(sha256(rig.disk.subarray(0, data.length))).toBe(sha256(data));
      expect(sha256(await device.read(0, data.length))).toBe(sha256(data));
      const stats = device.stats();
      for (const path of stats.paths) {
        expect(path.fastRetransmits).toBeGreaterThan(0);
        expect(path.retransmits).toBe(path.fastRetransmits + path.timeouts);
        expect(path.state).toBe('up');
      }
      expect(stats.fastRetransmits).toBe(stats.paths.reduce((sum, path) => sum + path.fastRetransmits, 0));
      expect(stats.retransmits).toBe(stats.fastRetransmits + stats.timeoutRetransmits);
      expect(stats.fastRetransmits).toBeGreaterThan(5 * stats.timeoutRetransmits);
      // Random loss shrinks the window by 0.7 at most once per round trip, never to 1.
      for (const path of stats.paths) expect(path.ssthresh).toBeGreaterThanOrEqual(2);
    });
  }

  it('a retransmitted frame that is lost again is found again without the RTO', async () => {
    const { rig, device } = await setup({ diskBytes: 4 * MiB }, { tuning: { initialRtoMs: 5000, minRtoMs: 5000 } });
    let drops = 0;
    // Drop the first two copies of the write at LBA 512 (whatever path they take).
    restartTargets(rig, { drop: (frame) => frame[19] === 0 && frame[27] === 0x34 && frame.readUIntLE(28, 6) === 512 && drops++ < 2 });
    const data = randomBytes(2 * MiB);
    const started = performance.now();
    await device.write(0, data);
    expect(performance.now() - started).toBeLessThan(2000); // an RTO of 5 s never had to fire
    expect(drops).toBe(3);
    expect(sha256(rig.disk.subarray(0, data.length))).toBe(sha256(data));
    const stats = device.stats();
    expect(stats.timeoutRetransmits).toBe(0);
    expect(stats.fastRetransmits).toBeGreaterThanOrEqual(2);
  });
});

describe('stalls', () => {
  it('a blocked event loop is not taken for loss: the replies that queued up meanwhile are read before any RTO fires', async () => {
    const { device } = await setup({ diskBytes: 8 * MiB, mtus: [1500] });
    await device.read(0, MiB); // RTT samples: the RTO drops to its 10 ms floor
    const before = device.stats();
    const reading = device.read(0, 8 * MiB);
    // Block for 60 ms (like a descheduled process) with the first window sent and not yet delivered.
    await new Promise<void>((resolve) =>
      setImmediate(() => {
        const until = performance.now() + 60;
        while (performance.now() < until) {
          /* busy */
        }
        resolve();
      }),
    );
    await reading;
    const after = device.stats();
    expect(after.paths[0].rtoMs).toBeLessThan(60);
    expect(after.timeoutRetransmits - before.timeoutRetransmits).toBe(0);
  });
});

describe('reordering', () => {
  it('spurious fast retransmits widen the reorder window, so later reordering is not taken for loss', async () => {
    const { rig, device } = await setup({ diskBytes: 8 * MiB });
    const targets = restartTargets(rig, { lateEvery: 25, lateMs: 2 });
    const data = randomBytes(8 * MiB);
    // Sequential 64 KiB writes keep the event loop responsive, so a held reply is late by about lateMs and no more.
    for (let offset = 0; offset < data.length; offset += 64 * 1024) await device.write(offset, data.subarray(offset, offset + 64 * 1024));
    const back = Buffer.alloc(data.length);
    for (let offset = 0; offset < data.length; offset += 64 * 1024)
      await device.readInto(back.subarray(offset, offset + 64 * 1024), offset);
    expect(sha256(back)).toBe(sha256(data));
    expect(sha256(rig.disk.subarray(0, data.length))).toBe(sha256(data));
    const late = targets.reduce((sum, target) => sum + target.counters.late, 0);
    const stats = device.stats();
    expect(late).toBeGreaterThan(200);
    expect(stats.spuriousRetransmits).toBeGreaterThan(0);
    expect(stats.spuriousRetransmits).toBe(stats.paths.reduce((sum, path) => sum + path.spuriousRetransmits, 0));
    expect(stats.spuriousRetransmits).toBeLessThan(late / 3); // adapted (a fixed 0.25 ms window retransmits nearly every late frame)
    expect(Math.max(...stats.paths.map((path) => path.reorderWindowMs))).toBeGreaterThan(0.25);
  });

  it('keeps data intact and retransmits little through 20% reordering of the memory link', async () => {
    const { rig, device } = await setup({ diskBytes: 8 * MiB, impairment: { reorderRate: 0.2 } });
    const data = randomBytes(8 * MiB);
    await device.write(0, data);
    expect(sha256(await device.read(0, data.length))).toBe(sha256(data));
    expect(sha256(rig.disk.subarray(0, data.length))).toBe(sha256(data));
    expect(device.stats().retransmits).toBeLessThan(16 * 1024 * 0.01); // under 1% of the frames
  });
});

describe('duplicate-write safety', () => {
  /** Records when each WRITE EXT frame reaches the target and loses the first copy of the 0xaa write at LBA 0. */
  function loseFirstWriteOnce(rig: Parameters<typeof restartTargets>[0]) {
    const arrivals: Array<{ at: number; pattern: number }> = [];
    const state = { dropped: false };
    restartTargets(rig, {
      drop: (frame) => {
        if (frame[19] !== 0 || frame[27] !== 0x34) return false;
        arrivals.push({ at: performance.now(), pattern: frame[36] });
        if (!state.dropped && frame[36] === 0xaa && frame.readUIntLE(28, 6) === 0) {
          state.dropped = true;
          return true;
        }
        return false;
      },
    });
    const gap = () => {
      const lastFirst = Math.max(...arrivals.filter((arrival) => arrival.pattern === 0xaa).map((arrival) => arrival.at));
      const firstSecond = Math.min(...arrivals.filter((arrival) => arrival.pattern === 0xbb).map((arrival) => arrival.at));
      return firstSecond - lastFirst;
    };
    return { state, gap };
  }

  it('an overlapping write waits a quarantine after a write whose frames were retransmitted', async () => {
    const { rig, device } = await setup({ diskBytes: 4 * MiB }, { tuning: { initialRtoMs: 20, minRtoMs: 5 } });
    const watch = loseFirstWriteOnce(rig); // the first write is retransmitted
    const first = Buffer.alloc(256 * 1024, 0xaa);
    const second = Buffer.alloc(128 * 1024, 0xbb);
    await Promise.all([device.write(0, first), device.write(64 * 1024, second)]);
    expect(watch.state.dropped).toBe(true);
    expect(watch.gap()).toBeGreaterThanOrEqual(1); // quarantine: at least 1 ms (2 x srtt, at most 50 ms)
    const expected = Buffer.from(first);
    second.copy(expected, 64 * 1024);
    expect(sha256(rig.disk.subarray(0, expected.length))).toBe(sha256(expected));
    expect(device.stats().retransmits).toBeGreaterThan(0);
  });

  it('an overlapping write submitted just after a retransmitted write finished also waits the quarantine', async () => {
    const { rig, device } = await setup({ diskBytes: 4 * MiB }, { tuning: { initialRtoMs: 20, minRtoMs: 5 } });
    const watch = loseFirstWriteOnce(rig);
    await device.write(0, Buffer.alloc(256 * 1024, 0xaa));
    await device.write(0, Buffer.alloc(64 * 1024, 0xbb)); // not waiting for anything active: fenced instead
    await device.write(MiB, Buffer.alloc(64 * 1024, 0xcc)); // no overlap: goes at once
    expect(watch.state.dropped).toBe(true);
    expect(watch.gap()).toBeGreaterThanOrEqual(1);
    expect(rig.disk.subarray(0, 64 * 1024).every((byte) => byte === 0xbb)).toBe(true);
    expect(rig.disk.subarray(64 * 1024, 256 * 1024).every((byte) => byte === 0xaa)).toBe(true);
  });
});
