// Tests for the in-process memory hub: routing, batching, MTU, carrier, backpressure and seeded impairments.
import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { MemoryHub, type Impairment, type MemoryLink } from '../../src/link/memory-link.js';
import { BROADCAST_MAC, ETHERTYPE_AOE } from '../../src/wire/constants.js';
import { writeMac } from '../../src/wire/mac.js';

const sha256 = (bytes: Uint8Array): string => createHash('sha256').update(bytes).digest('hex');

/** An AoE-typed frame whose bytes 14..17 carry `sequence` and the rest a pattern derived from it. */
function makeFrame(destination: number, source: number, sequence: number, length = 60): Buffer {
  const frame = Buffer.alloc(length);
  writeMac(frame, 0, destination);
  writeMac(frame, 6, source);
  frame.writeUInt16BE(ETHERTYPE_AOE, 12);
  frame.writeUInt32BE(sequence, 14);
  for (let i = 18; i < length; i++) frame[i] = (sequence * 31 + i * 7) & 0xff;
  return frame;
}

interface Received {
  batches: number[];
  frames: Buffer[];
  sequences: number[];
}

function collect(link: MemoryLink): Received {
  const received: Received = { batches: [], frames: [], sequences: [] };
  link.onFrames((slab, slotSize, lengths, count) => {
    received.batches.push(count);
    for (let i = 0; i < count; i++) {
      const frame = Buffer.from(slab.subarray(i * slotSize, i * slotSize + lengths[i]));
      received.frames.push(frame);
      received.sequences.push(frame.readUInt32BE(14));
    }
  });
  return received;
}

/** Let setImmediate-scheduled deliveries (and releases that schedule further deliveries) run. */
async function turns(count = 3): Promise<void> {
  for (let i = 0; i < count; i++) await new Promise((resolve) => setImmediate(resolve));
}

function sendAll(link: MemoryLink, frames: Buffer[]): number {
  return link.send(
    frames,
    frames.map((frame) => frame.length),
    frames.length,
  );
}

/** Send `total` frames from a (with `impairment`) to b in bursts of 500, one turn each; returns what b received. */
async function stream(hub: MemoryHub, total: number, impairment: Impairment): Promise<{ a: MemoryLink; received: Received }> {
  const a = hub.attach('a', { impairment });
  const b = hub.attach('b', { receiveSlots: 1500 });
  const received = collect(b);
  for (let start = 0; start < total; start += 500) {
    const frames = [];
    for (let sequence = start; sequence < Math.min(total, start + 500); sequence++) frames.push(makeFrame(b.mac, a.mac, sequence));
    expect(sendAll(a, frames)).toBe(frames.length);
    await turns();
  }
  await turns();
  return { a, received };
}

describe('MemoryHub routing and batching', () => {
  it('delivers unicast only to the matching MAC, byte for byte', async () => {
    const hub = new MemoryHub();
    const [a, b, c] = [hub.attach('a'), hub.attach('b'), hub.attach('c')];
    expect([a.mac, b.mac, c.mac]).toEqual([0x020000000001, 0x020000000002, 0x020000000003]);
    const atB = collect(b);
    const atC = collect(c);
    const frames = [makeFrame(b.mac, a.mac, 1, 60), makeFrame(b.mac, a.mac, 2, 1514)];
    expect(sendAll(a, frames)).toBe(2);
    expect(atB.frames).toHaveLength(0); // asynchronous delivery
    await turns();
    expect(atB.frames.map(sha256)).toEqual(frames.map(sha256));
    expect(atC.frames).toHaveLength(0);
    expect(a.stats()).toMatchObject({ framesOut: 2, bytesOut: 60 + 1514 });
    expect(b.stats()).toMatchObject({ framesIn: 2, bytesIn: 60 + 1514, batchesIn: 1 });
  });

  it('delivers broadcast to every other link and never back to the sender', async () => {
    const hub = new MemoryHub();
    const [a, b, c] = [hub.attach('a'), hub.attach('b'), hub.attach('c')];
    const atA = collect(a);
    const [atB, atC] = [collect(b), collect(c)];
    const frame = makeFrame(BROADCAST_MAC, a.mac, 7);
    sendAll(a, [frame]);
    await turns();
    expect(atB.frames.map(sha256)).toEqual([sha256(frame)]);
    expect(atC.frames.map(sha256)).toEqual([sha256(frame)]);
    expect(atA.frames).toHaveLength(0);
  });

  it('hands a burst sent in one turn to the handler as one batch', async () => {
    const hub = new MemoryHub();
    const [a, b] = [hub.attach('a'), hub.attach('b')];
    const received = collect(b);
    for (let sequence = 0; sequence < 10; sequence++) sendAll(a, [makeFrame(b.mac, a.mac, sequence)]);
    await turns();
    sendAll(
      a,
      [0, 1, 2].map((sequence) => makeFrame(b.mac, a.mac, 100 + sequence)),
    );
    await turns();
    expect(received.batches).toEqual([10, 3]);
    expect(received.sequences).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 100, 101, 102]);
  });

  it('drops frames beyond the receive slots as kernelDrops', async () => {
    const hub = new MemoryHub();
    const [a, b] = [hub.attach('a'), hub.attach('b', { receiveSlots: 4 })];
    const received = collect(b);
    sendAll(
      a,
      [0, 1, 2, 3, 4, 5].map((sequence) => makeFrame(b.mac, a.mac, sequence)),
    );
    await turns();
    expect(received.sequences).toEqual([0, 1, 2, 3]);
    expect(b.stats().kernelDrops).toBe(2);
    expect(b.impairmentStats().overflowDropped).toBe(2);
  });
});

describe('MemoryLink carrier, MTU and backpressure', () => {
  it('loses frames to a link without carrier; a link without carrier sends nothing', async () => {
    const hub = new MemoryHub();
    const [a, b] = [hub.attach('a'), hub.attach('b')];
    const received = collect(b);
    const states: unknown[] = [];
    b.on('state', (state) => states.push(state));
    b.setCarrier(false);
    expect(states).toEqual([{ up: true, carrier: false }]);
    expect(sendAll(a, [makeFrame(b.mac, a.mac, 1)])).toBe(1);
    expect(sendAll(b, [makeFrame(a.mac, b.mac, 2), makeFrame(a.mac, b.mac, 3)])).toBe(0);
    expect(b.stats().sendErrors).toBe(2);
    await turns();
    expect(received.frames).toHaveLength(0);
    expect(b.impairmentStats().carrierDropped).toBe(1);
    b.setCarrier(true);
    sendAll(a, [makeFrame(b.mac, a.mac, 4)]);
    await turns();
    expect(received.sequences).toEqual([4]);
  });

  it('drops frames longer than MTU + 14 at the sender and at the receiver', async () => {
    const hub = new MemoryHub();
    const [a, b] = [hub.attach('a', { mtu: 9000 }), hub.attach('b')];
    const received = collect(b);
    sendAll(a, [makeFrame(b.mac, a.mac, 1, 1515), makeFrame(b.mac, a.mac, 2, 1514)]);
    await turns();
    expect(received.sequences).toEqual([2]);
    expect(b.impairmentStats().oversizeDropped).toBe(1);

    const mtus: number[] = [];
    a.on('mtu', (mtu: number) => mtus.push(mtu));
    a.setMtu(1500);
    expect(a.mtu).toBe(1500);
    expect(mtus).toEqual([1500]);
    expect(sendAll(a, [makeFrame(b.mac, a.mac, 3, 1515)])).toBe(1);
    expect(a.stats().sendErrors).toBe(1);
    expect(a.impairmentStats().oversizeDropped).toBe(1);

    b.setMtu(12000); // beyond the default slots: they grow
    a.setMtu(12000);
    const jumbo = makeFrame(b.mac, a.mac, 4, 12014);
    sendAll(a, [jumbo]);
    await turns();
    expect(sha256(received.frames.at(-1)!)).toBe(sha256(jumbo));
  });

  it('accepts only sendCapacity frames per turn, then recovers', async () => {
    const hub = new MemoryHub();
    const [a, b] = [hub.attach('a', { sendCapacity: 3 }), hub.attach('b')];
    const received = collect(b);
    const frames = [0, 1, 2, 3, 4].map((sequence) => makeFrame(b.mac, a.mac, sequence));
    expect(sendAll(a, frames)).toBe(3);
    expect(a.send(frames.slice(3), [60, 60], 2)).toBe(0);
    expect(a.stats().sendBlocked).toBe(4);
    await turns();
    expect(a.send(frames.slice(3), [60, 60], 2)).toBe(2);
    await turns();
    expect(received.sequences).toEqual([0, 1, 2, 3, 4]);
  });
});

describe('MemoryLink impairments (seeded)', () => {
  it('loses about lossRate of the frames, reproducibly for a seed', async () => {
    const run = async () => {
      const { a, received } = await stream(new MemoryHub({ seed: 42 }), 5000, { lossRate: 0.1 });
      return { lost: a.impairmentStats().lost, delivered: received.sequences };
    };
    const first = await run();
    const second = await run();
    expect(first.lost).toBeGreaterThan(400);
    expect(first.lost).toBeLessThan(600);
    expect(first.delivered.length + first.lost).toBe(5000);
    expect(second).toEqual(first);
    expect(first.delivered).toEqual([...first.delivered].sort((x, y) => x - y)); // loss alone keeps order
  });

  it('duplicates about duplicateRate of the frames', async () => {
    const { a, received } = await stream(new MemoryHub({ seed: 7 }), 5000, { duplicateRate: 0.05 });
    const { duplicated } = a.impairmentStats();
    expect(duplicated).toBeGreaterThan(180);
    expect(duplicated).toBeLessThan(320);
    expect(received.frames).toHaveLength(5000 + duplicated);
    expect(new Set(received.sequences).size).toBe(5000);
  });

  it('reorders about reorderRate of the frames without losing any', async () => {
    const { a, received } = await stream(new MemoryHub({ seed: 3 }), 5000, { reorderRate: 0.1 });
    const { reordered } = a.impairmentStats();
    let inversions = 0;
    for (let i = 1; i < received.sequences.length; i++) if (received.sequences[i] < received.sequences[i - 1]) inversions++;
    expect(reordered).toBeGreaterThan(350);
    expect(reordered).toBeLessThan(550);
    expect(inversions).toBe(reordered);
    expect([...received.sequences].sort((x, y) => x - y)).toEqual(Array.from({ length: 5000 }, (_, i) => i));
  });

  it('delays frames by delayMs, keeping their bytes intact', async () => {
    const hub = new MemoryHub();
    const a = hub.attach('a', { impairment: { delayMs: 30 } });
    const b = hub.attach('b');
    const received = collect(b);
    const frames = [makeFrame(b.mac, a.mac, 1, 1000), makeFrame(b.mac, a.mac, 2, 200)];
    const started = performance.now();
    sendAll(a, frames);
    frames[0].fill(0); // the caller may reuse its buffer at once
    await turns();
    expect(received.frames).toHaveLength(0);
    while (received.frames.length < 2 && performance.now() - started < 2000) await new Promise((resolve) => setTimeout(resolve, 5));
    expect(performance.now() - started).toBeGreaterThanOrEqual(25);
    expect(received.frames.map(sha256)).toEqual([sha256(makeFrame(b.mac, a.mac, 1, 1000)), sha256(frames[1])]);
    expect(hub.impairmentStats().delayed).toBe(2);
  });
});
