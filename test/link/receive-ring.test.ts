// Both receive paths of PacketLink (TPACKET_V2 ring and recvmmsg): data intact, truncation, early frames, ring overflow.
import { afterEach, describe, expect, it } from 'vitest';
import { openPacketLink, type PacketLink } from '../../src/link/index.js';
import { collect, digest, makeFrame, until } from '../helpers/frames.js';
import { useLab } from '../helpers/lab.js';

async function sendAll(link: PacketLink, frames: readonly Buffer[], batch: number): Promise<void> {
  let index = 0;
  while (index < frames.length) {
    const slice = frames.slice(index, index + batch);
    index += link.send(
      slice,
      Uint32Array.from(slice, (frame) => frame.length),
      slice.length,
    );
    await new Promise((resolve) => setImmediate(resolve));
  }
}

describe('PacketLink receive paths: TPACKET_V2 ring and recvmmsg [netlab]', () => {
  const net = useLab({ links: 1, mtu: 1500 });
  const opened: PacketLink[] = [];
  const open = async (side: 'i0' | 't0', options: Parameters<typeof openPacketLink>[1] = {}): Promise<PacketLink> => {
    const link = await openPacketLink(side, { netns: side === 'i0' ? net.lab.initiatorNs : net.lab.targetNs, ...options });
    opened.push(link);
    return link;
  };

  afterEach(async () => {
    await Promise.all(opened.splice(0).map((link) => link.close()));
  });

  for (const [mode, ringBytes] of [
    ['ring', 8 << 20],
    ['recvmmsg', 0],
  ] as const) {
    it(`${mode}: 4000 frames of mixed sizes arrive intact and in order, frames taken in batches`, async () => {
      const sender = await open('i0');
      const receiver = await open('t0', { receiveRingBytes: ringBytes, batchSize: 32 });
      const received = collect(receiver);
      const frames = Array.from({ length: 4000 }, (_, i) => makeFrame(receiver.mac, sender.mac, 60 + ((i * 337) % 1455), i));
      await sendAll(sender, frames, 48);
      await until(() => received.length >= frames.length, 10_000, '4000 frames');
      expect(received.length).toBe(frames.length);
      expect(digest(received)).toBe(digest(frames));
      const stats = receiver.stats();
      expect(stats.framesIn).toBe(frames.length);
      expect(stats.bytesIn).toBe(frames.reduce((sum, frame) => sum + frame.length, 0));
      expect(stats.batchesIn).toBeLessThan(frames.length);
      expect(stats.kernelDrops).toBe(0);
    });

    it(`${mode}: a frame longer than a slot is delivered with length 0 and counted as truncated`, async () => {
      const sender = await open('i0');
      const receiver = await open('t0', { receiveRingBytes: ringBytes, slotSize: 1024 });
      const received = collect(receiver);
      const frames = [
        makeFrame(receiver.mac, sender.mac, 600, 1),
        makeFrame(receiver.mac, sender.mac, 1400, 2),
        makeFrame(receiver.mac, sender.mac, 700, 3),
      ];
      await sendAll(sender, frames, 3);
      await until(() => received.length >= 3, 5000, '3 frames');
      expect(received.map((frame) => frame.length)).toEqual([600, 0, 700]);
      expect(digest([received[0], received[2]])).toBe(digest([frames[0], frames[2]]));
      expect(receiver.stats()).toMatchObject({ truncated: 1, framesIn: 2 });
    });
  }

  for (const [mode, ringBytes] of [
    ['ring', 8 << 20],
    ['recvmmsg', 0],
  ] as const) {
    it(`${mode}: frames that arrive before receiving starts are still delivered, first and in order`, async () => {
      const sender = await open('i0');
      const receiver = await open('t0', { receiveRingBytes: ringBytes });
      const early = Array.from({ length: 50 }, (_, i) => makeFrame(receiver.mac, sender.mac, 1000, i));
      await sendAll(sender, early, 50);
      await new Promise((resolve) => setTimeout(resolve, 50));
      const received = collect(receiver); // the ring is mapped now; the 50 frames wait on the socket's queue
      const late = Array.from({ length: 50 }, (_, i) => makeFrame(receiver.mac, sender.mac, 1000, 50 + i));
      await until(() => received.length >= 50, 5000, 'the early frames');
      await sendAll(sender, late, 50);
      await until(() => received.length >= 100, 5000, '100 frames');
      expect(digest(received)).toBe(digest([...early, ...late]));
    });
  }

  it('ring: an overflowing ring drops in the kernel (counted), never corrupts, and keeps receiving', async () => {
    const sender = await open('i0');
    // 128 KiB ring: two 64 KiB blocks of 6 jumbo-sized slots = 12 frames.
    const receiver = await open('t0', { receiveRingBytes: 128 * 1024 });
    const received = collect(receiver);
    const burst = Array.from({ length: 64 }, (_, i) => makeFrame(receiver.mac, sender.mac, 1200, i));
    expect(
      sender.send(
        burst,
        Uint32Array.from(burst, (frame) => frame.length),
        burst.length,
      ),
    ).toBe(64); // no yield: the ring fills
    await until(() => received.length >= 12, 5000, 'the frames that fit');
    await new Promise((resolve) => setTimeout(resolve, 50));
    const kept = received.length;
    expect(kept).toBeLessThan(64);
    const stats = receiver.stats();
    expect(stats.kernelDrops).toBe(64 - kept);
    // What arrived is an in-order prefix-free subset of the burst, byte for byte.
    const bySequence = new Map(burst.map((frame) => [frame.readUInt32BE(24), frame]));
    for (const frame of received) expect(frame.equals(bySequence.get(frame.readUInt32BE(24))!)).toBe(true);
    received.length = 0;
    const after = Array.from({ length: 200 }, (_, i) => makeFrame(receiver.mac, sender.mac, 1200, 1000 + i));
    await sendAll(sender, after, 8);
    await until(() => received.length >= 200, 5000, '200 frames after the overflow');
    expect(digest(received)).toBe(digest(after));
  });

  it('runs process.nextTick and promise jobs queued by a batch handler before the wakeup ends', async () => {
    const sender = await open('i0');
    const receiver = await open('t0', { batchSize: 8 });
    let batches = 0;
    let ticks = 0;
    let jobs = 0;
    let orderedBeforeTimer = true;
    receiver.onFrames(() => {
      batches++;
      process.nextTick(() => ticks++);
      void Promise.resolve().then(() => jobs++);
      setImmediate(() => {
        if (ticks < batches || jobs < batches) orderedBeforeTimer = false;
      });
    });
    const frames = Array.from({ length: 200 }, (_, i) => makeFrame(receiver.mac, sender.mac, 500, i));
    await sendAll(sender, frames, 50);
    await until(() => receiver.stats().framesIn >= 200, 5000, '200 frames');
    await new Promise((resolve) => setImmediate(resolve));
    expect(batches).toBeGreaterThan(0);
    expect(ticks).toBe(batches);
    expect(jobs).toBe(batches);
    expect(orderedBeforeTimer).toBe(true);
  });
});
