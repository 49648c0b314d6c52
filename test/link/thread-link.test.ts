// ThreadLink (a NIC's socket on its own thread, frames through shared rings) over a veth pair: order and data by sha256 both
// ways, refusals, frames refused past their age never sent late, a missing NIC, close.
import { randomFillSync } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openLinks } from '../../src/initiator/links.js';
import { openPacketLink, openThreadLink, type PacketLink, ThreadLink } from '../../src/link/index.js';
import { collect, digest, until } from '../helpers/frames.js';
import { useLab } from '../helpers/lab.js';

/** An AoE response frame (version 1, response flag) carrying `sequence`, of `length` bytes, random beyond the header. */
function frame(destination: number, source: number, sequence: number, length: number): Buffer {
  const bytes = Buffer.alloc(length);
  bytes.writeUIntBE(destination, 0, 6);
  bytes.writeUIntBE(source, 6, 6);
  bytes.writeUInt16BE(0x88a2, 12);
  bytes[14] = 0x18;
  bytes.writeUInt32BE(sequence, 24);
  randomFillSync(bytes, 28);
  return bytes;
}

/** Sends `count` frames of varying length (60 .. 9014 bytes) in batches of 32, retrying what the link refuses. */
async function sendAll(sender: { send: PacketLink['send'] }, destination: number, source: number, count: number): Promise<Buffer[]> {
  const frames = Array.from({ length: count }, (_, index) => frame(destination, source, index, 60 + ((index * 977) % 8955)));
  const lengths = frames.map((item) => item.length);
  for (let done = 0; done < count; ) {
    const batch = Math.min(32, count - done);
    done += sender.send(frames.slice(done, done + batch), lengths.slice(done, done + batch), batch);
    await new Promise((resolve) => setTimeout(resolve, 1));
  }
  return frames;
}

describe('ThreadLink over a veth pair [netlab]', () => {
  const net = useLab({ links: 1, mtu: 9000 });
  let threaded: ThreadLink;
  let plain: PacketLink;

  beforeAll(async () => {
    if (net.skipReason !== undefined) return;
    threaded = await openThreadLink('t0', { netns: net.lab.targetNs });
    plain = await openPacketLink('i0', { netns: net.lab.initiatorNs, filter: 'responses' });
  });

  afterAll(async () => {
    await Promise.all([threaded?.close(), plain?.close()]);
  });

  it('reports the NIC as a PacketLink does (MAC, MTU, state)', async () => {
    const direct = await openPacketLink('t0', { netns: net.lab.targetNs });
    try {
      expect(threaded.mac).toBe(direct.mac);
      expect(threaded.mtu).toBe(9000);
      expect(threaded.state).toEqual({ up: true, carrier: true });
    } finally {
      await direct.close();
    }
  });

  it('sends 4000 frames of every length up to the MTU in order and intact (sha256), counted as sent', async () => {
    const received = collect(plain);
    const before = threaded.stats().framesOut;
    const sent = await sendAll(threaded, plain.mac, threaded.mac, 4000);
    await until(() => received.length >= sent.length, 10_000, `${sent.length} frames`);
    expect(received.length).toBe(sent.length);
    expect(digest(received)).toBe(digest(sent));
    await until(() => threaded.stats().framesOut - before === sent.length, 2000, 'the sent count');
  });

  it('receives 4000 frames in order and intact (sha256), delivered from the ring at the slab/slot contract', async () => {
    const received = collect(threaded);
    const sent = await sendAll(plain, threaded.mac, plain.mac, 4000);
    await until(() => received.length >= sent.length, 10_000, `${sent.length} frames`);
    expect(received.length).toBe(sent.length);
    expect(digest(received)).toBe(digest(sent));
    expect(threaded.stats().framesIn).toBeGreaterThanOrEqual(sent.length);
  });

  it('refuses a frame larger than its ring slots, as the kernel refuses, and counts it', () => {
    const blocked = threaded.stats().sendBlocked;
    const huge = frame(plain.mac, threaded.mac, 0, 70_000);
    expect(threaded.send([huge], [huge.length], 1)).toBe(0);
    expect(threaded.stats().sendBlocked).toBe(blocked + 1);
  });

  it('drops frames the kernel refused for longer than their age allows instead of sending them late (ENOBUFS, then cleared)', async () => {
    const received = collect(plain);
    const staleBefore = threaded.threadStats().staleDrops;
    await net.lab.addEgressDrop('target', 0); // every AoE frame leaving t0 is refused with ENOBUFS
    try {
      const held = [1, 2, 3, 4, 5].map((sequence) => frame(plain.mac, threaded.mac, 1_000_000 + sequence, 1000));
      expect(threaded.send(held, [1000, 1000, 1000, 1000, 1000], 5)).toBe(5);
      await until(() => threaded.threadStats().staleDrops - staleBefore >= 5, 2000, 'five stale drops');
    } finally {
      await net.lab.clearEgressDrop();
    }
    const marker = frame(plain.mac, threaded.mac, 2_000_000, 200);
    expect(threaded.send([marker], [200], 1)).toBe(1);
    await until(() => received.some((item) => item.readUInt32BE(24) === 2_000_000), 5000, 'the marker frame');
    expect(received.filter((item) => item.readUInt32BE(24) > 1_000_000 && item.readUInt32BE(24) < 2_000_000)).toHaveLength(0);
    await until(() => threaded.stats().sendBlocked > 0, 2000, 'the refusals counted');
  });

  it('is what the initiator opens with linkThreads, or with AOEKIT_LINK_THREADS=1 unless linkThreads is false', async () => {
    const saved = process.env.AOEKIT_LINK_THREADS;
    try {
      process.env.AOEKIT_LINK_THREADS = '1';
      const byEnvironment = await openLinks({ interfaces: ['i0'], netns: net.lab.initiatorNs });
      const refused = await openLinks({ interfaces: ['i0'], netns: net.lab.initiatorNs, linkThreads: false });
      delete process.env.AOEKIT_LINK_THREADS;
      const byOption = await openLinks({ interfaces: ['i0'], netns: net.lab.initiatorNs, linkThreads: true });
      const plainDefault = await openLinks({ interfaces: ['i0'], netns: net.lab.initiatorNs });
      expect(byEnvironment.links[0]).toBeInstanceOf(ThreadLink);
      expect(byOption.links[0]).toBeInstanceOf(ThreadLink);
      expect(refused.links[0]).not.toBeInstanceOf(ThreadLink);
      expect(plainDefault.links[0]).not.toBeInstanceOf(ThreadLink);
      await Promise.all([byEnvironment, refused, byOption, plainDefault].map((opened) => opened.close()));
    } finally {
      if (saved === undefined) delete process.env.AOEKIT_LINK_THREADS;
      else process.env.AOEKIT_LINK_THREADS = saved;
    }
  });

  it('fails to open a missing NIC with ENODEV, before any thread starts', async () => {
    await expect(openThreadLink('nosuch0', { netns: net.lab.targetNs })).rejects.toMatchObject({ code: 'ENODEV' });
  });

  it('keeps its MTU within its ring slots when the NIC grows past them, instead of refusing every full frame', async () => {
    const link = await openThreadLink('t0', { netns: net.lab.targetNs });
    try {
      const seen: number[] = [];
      link.on('mtu', (mtu: number) => seen.push(mtu));
      await net.lab.setMtu(0, 9500);
      await until(() => seen.length > 0, 3000, 'an mtu event');
      expect(link.mtu).toBe(9262); // slots of 9280 bytes (as PacketLink's: room for MTU 9216) hold 9262 plus 18 of overhead
      const full = frame(plain.mac, link.mac, 0, link.mtu + 14);
      expect(link.send([full], [full.length], 1)).toBe(1);
      await net.lab.setMtu(0, 9000);
      await until(() => link.mtu === 9000, 3000, 'the MTU back at 9000');
    } finally {
      await net.lab.setMtu(0, 9000);
      await link.close();
    }
  });

  it('a caller that never takes its frames costs no memory: the RX ring keeps the first 512, counts the rest as drops', async () => {
    const reader = await openThreadLink('i0', { netns: net.lab.initiatorNs, filter: 'responses' });
    try {
      const sent = await sendAll(threaded, reader.mac, threaded.mac, 3000);
      await until(() => reader.stats().framesIn + reader.stats().kernelDrops >= sent.length, 5000, 'every frame received or dropped');
      expect(reader.stats().framesIn).toBe(512);
      expect(reader.stats().kernelDrops).toBe(sent.length - 512);
      const received = collect(reader);
      await until(() => received.length >= 512, 2000, 'the ring delivered');
      await new Promise((resolve) => setTimeout(resolve, 100));
      expect(received).toHaveLength(512);
      expect(digest(received)).toBe(digest(sent.slice(0, 512)));
    } finally {
      await reader.close();
    }
  });

  it('a link thread that dies takes the link down (state event, sends refused) instead of failing silently', async () => {
    const link = await openThreadLink('t0', { netns: net.lab.targetNs });
    const states: Array<{ up: boolean; carrier: boolean }> = [];
    link.on('state', (state) => states.push(state));
    await (link as unknown as { worker: import('node:worker_threads').Worker }).worker.terminate();
    await until(() => states.length > 0, 2000, 'a state event');
    expect(states.at(-1)).toEqual({ up: false, carrier: false });
    const item = frame(plain.mac, link.mac, 0, 100);
    expect(link.send([item], [100], 1)).toBe(0);
    await link.close();
  });

  it('closes its thread and refuses frames afterwards', async () => {
    const link = await openThreadLink('t0', { netns: net.lab.targetNs });
    await link.close();
    const item = frame(plain.mac, link.mac, 0, 100);
    expect(link.send([item], [100], 1)).toBe(0);
    await link.close(); // idempotent
  });
});
