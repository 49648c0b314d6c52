// sendSlab (one slab + offsets + lengths, no per-frame N-API lookups) on PacketLink over veth and on MemoryLink: order and data by sha256.
import { randomFillSync } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openPacketLink, type PacketLink } from '../../src/link/index.js';
import type { Link } from '../../src/link/link.js';
import { MemoryHub } from '../../src/link/memory-link.js';
import { collect, digest, until } from '../helpers/frames.js';
import { useLab } from '../helpers/lab.js';

const FRAME_SPACING = 1514;

/** `count` AoE frames of varying length at non-uniform offsets of one slab, as the target's response pool lays them out. */
function buildSlab(destination: number, source: number, count: number, first: number) {
  const slab = Buffer.alloc(count * FRAME_SPACING + 7);
  const offsets = new Uint32Array(count);
  const lengths = new Uint32Array(count);
  const expected: Buffer[] = [];
  for (let i = 0; i < count; i++) {
    const offset = 7 + (count - 1 - i) * FRAME_SPACING; // reversed: order comes from offsets, not from the slab
    const length = 60 + (((first + i) * 97) % 1000);
    slab.writeUIntBE(destination, offset, 6);
    slab.writeUIntBE(source, offset + 6, 6);
    slab.writeUInt16BE(0x88a2, offset + 12);
    slab[offset + 14] = 0x18;
    slab.writeUInt32BE(first + i, offset + 24);
    randomFillSync(slab, offset + 28, length - 28);
    offsets[i] = offset;
    lengths[i] = length;
    expected.push(Buffer.from(slab.subarray(offset, offset + length)));
  }
  return { slab, offsets, lengths, expected };
}

/** Sends 40 slabs of 32 frames, retrying refused frames; returns every frame in send order. */
async function sendSlabs(sender: Link, destination: number): Promise<Buffer[]> {
  const all: Buffer[] = [];
  for (let round = 0; round < 40; round++) {
    const { slab, offsets, lengths, expected } = buildSlab(destination, sender.mac, 32, round * 32);
    all.push(...expected);
    let done = 0;
    while (done < 32) {
      done += sender.sendSlab!(slab, offsets.subarray(done), lengths.subarray(done), 32 - done);
      if (done < 32) await new Promise((resolve) => setTimeout(resolve, 1));
    }
    await new Promise((resolve) => setImmediate(resolve));
  }
  return all;
}

describe('PacketLink.sendSlab over a veth pair [netlab]', () => {
  const net = useLab({ links: 1, mtu: 1500 });
  let sender: PacketLink;
  let receiver: PacketLink;
  let received: Buffer[];

  beforeAll(async () => {
    if (net.skipReason !== undefined) return;
    sender = await openPacketLink('t0', { netns: net.lab.targetNs });
    receiver = await openPacketLink('i0', { netns: net.lab.initiatorNs, filter: 'responses' });
    received = collect(receiver);
  });

  afterAll(async () => {
    await Promise.all([sender?.close(), receiver?.close()]);
  });

  it('sends frames from one slab in offset order, intact (sha256), counted like send()', async () => {
    const before = sender.stats().framesOut;
    const sent = await sendSlabs(sender, receiver.mac);
    await until(() => received.length >= sent.length, 5000, `${sent.length} frames`);
    expect(received.length).toBe(sent.length);
    expect(digest(received)).toBe(digest(sent));
    expect(sender.stats().framesOut - before).toBe(sent.length);
  });

  it('rejects a frame past the end of the slab with ERR_OUT_OF_RANGE; returns 0 once closed', async () => {
    const { slab, offsets, lengths } = buildSlab(receiver.mac, sender.mac, 2, 0);
    lengths[1] = slab.length;
    expect(() => sender.sendSlab(slab, offsets, lengths, 2)).toThrow(expect.objectContaining({ code: 'ERR_OUT_OF_RANGE' }));
    expect(() => sender.sendSlab(slab, offsets, lengths, 3)).toThrow(expect.objectContaining({ code: 'ERR_OUT_OF_RANGE' }));
    const link = await openPacketLink('t0', { netns: net.lab.targetNs });
    await link.close();
    expect(link.sendSlab(slab, offsets, lengths, 1)).toBe(0);
  });
});

describe('MemoryLink.sendSlab', () => {
  it('delivers frames in offset order, intact (sha256)', async () => {
    const hub = new MemoryHub({ seed: 7 });
    const sender = hub.attach('a');
    const receiver = hub.attach('b');
    const received = collect(receiver);
    const sent = await sendSlabs(sender, receiver.mac);
    await until(() => received.length >= sent.length, 5000, `${sent.length} frames`);
    expect(digest(received)).toBe(digest(sent));
    await Promise.all([sender.close(), receiver.close()]);
  });
});
