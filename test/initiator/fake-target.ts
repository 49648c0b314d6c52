// A minimal in-process AoE target over a Link for initiator unit tests (Query Config, IDENTIFY, READ/WRITE, FLUSH).
import type { Link } from '../../src/link/link.js';
import { buildIdentify } from '../../src/wire/identify.js';
import { readMac, writeMac } from '../../src/wire/mac.js';

export interface FakeTargetOptions {
  shelf: number;
  slot: number;
  disk: Buffer;
  bufferCount?: number;
  sectorCount?: number;
  configString?: string;
  /** Return true to drop a request silently (simulates a dead or lossy target). */
  drop?: (frame: Buffer) => boolean;
  /** When set, every ATA read/write gets this AoE error. */
  aoeError?: number;
  /** Reply twice to every ATA request (duplicate replies). */
  duplicate?: boolean;
  /** Delay replies by this many ms (late replies). */
  delayMs?: number;
  /** Hold every `lateEvery`-th ATA reply back by `lateMs` while later ones go at once (reordering, not loss). */
  lateEvery?: number;
  lateMs?: number;
  /** Capacity IDENTIFY reports (default: the disk's), to provoke IDNF beyond the disk. */
  identifySectors?: number;
  /** ATA error register to answer a FLUSH CACHE (0xE7) / FLUSH CACHE EXT (0xEA) with; 0 = success (the default). */
  flushError?: (ataCommand: number) => number;
}

/** Serve `disk` as eSHELF.SLOT on `link`. Returns counters and a stop function. */
export function startFakeTarget(link: Link, options: FakeTargetOptions) {
  const counters = { requests: 0, reads: 0, writes: 0, flushes: 0, dropped: 0, late: 0 };
  let ataReplies = 0;
  const sectorCount = options.sectorCount ?? 255;
  const out: Buffer[] = [];
  const lengths: number[] = [];
  link.onFrames((slab, slotSize, frameLengths, count) => {
    out.length = 0;
    lengths.length = 0;
    for (let index = 0; index < count; index += 1) {
      const frame = Buffer.from(slab.subarray(index * slotSize, index * slotSize + frameLengths[index]));
      if (frame.readUInt16BE(12) !== 0x88a2 || (frame[14] & 0x8) !== 0) continue;
      const shelf = frame.readUInt16BE(16);
      const slot = frame[18];
      if (!((shelf === options.shelf || shelf === 0xffff) && (slot === options.slot || slot === 0xff))) continue;
      counters.requests += 1;
      if (options.drop?.(frame)) {
        counters.dropped += 1;
        continue;
      }
      const reply = answer(frame, options, counters, link, sectorCount);
      if (!reply) continue;
      if (options.lateEvery && frame[19] === 0 && ++ataReplies % options.lateEvery === 0) {
        counters.late += 1;
        const late = reply.length < 60 ? Buffer.concat([reply, Buffer.alloc(60 - reply.length)]) : reply;
        setTimeout(() => link.send([late], [late.length], 1), options.lateMs ?? 2);
        continue;
      }
      out.push(reply);
      lengths.push(Math.max(60, reply.length));
      if (options.duplicate && frame[19] === 0) {
        out.push(reply);
        lengths.push(Math.max(60, reply.length));
      }
    }
    if (out.length === 0) return;
    const frames = out.map((frame) => (frame.length < 60 ? Buffer.concat([frame, Buffer.alloc(60 - frame.length)]) : frame));
    const sendLengths = [...lengths];
    if (options.delayMs) setTimeout(() => link.send(frames, sendLengths, frames.length), options.delayMs);
    else link.send(frames, sendLengths, frames.length);
  });
  return { counters, stop: () => link.onFrames(() => {}) };
}

function answer(
  frame: Buffer,
  options: FakeTargetOptions,
  counters: { reads: number; writes: number; flushes: number },
  link: Link,
  sectorCount: number,
): Buffer | undefined {
  const command = frame[19];
  let reply: Buffer;
  if (command === 1) {
    const text = Buffer.from(options.configString ?? '');
    reply = Buffer.alloc(32 + text.length);
    frame.copy(reply, 0, 0, 24);
    reply.writeUInt16BE(options.bufferCount ?? 16, 24);
    reply.writeUInt16BE(0x4019, 26);
    reply[28] = sectorCount;
    reply[29] = 0x10;
    reply.writeUInt16BE(text.length, 30);
    text.copy(reply, 32);
  } else if (command === 0) {
    const sectors = frame[26];
    const ataCommand = frame[27];
    const rawLba = frame.readUIntLE(28, 6);
    const lba = frame[24] & 0x40 ? rawLba : rawLba % 0x10000000;
    const write = ataCommand === 0x34 || ataCommand === 0x30;
    const read = ataCommand === 0x24 || ataCommand === 0x20;
    reply = Buffer.alloc(36 + (read ? sectors * 512 : ataCommand === 0xec ? 512 : 0));
    frame.copy(reply, 0, 0, 36);
    reply[25] = 0;
    reply[27] = 0x40;
    if ((read || write) && options.aoeError) {
      reply = reply.subarray(0, 36);
      reply[14] |= 0x4;
      reply[15] = options.aoeError;
    } else if (read || write) {
      const start = lba * 512;
      const end = start + sectors * 512;
      if (end > options.disk.length) {
        reply = reply.subarray(0, 36);
        reply[27] = 0x41;
        reply[25] = 0x10;
      } else if (read) {
        counters.reads += 1;
        options.disk.copy(reply, 36, start, end);
      } else {
        counters.writes += 1;
        frame.copy(options.disk, start, 36, 36 + sectors * 512);
      }
    } else if (ataCommand === 0xec) {
      buildIdentify(
        {
          serial: 'FAKE0001',
          firmware: 'fake',
          model: 'aoekit fake target',
          sectors: options.identifySectors ?? options.disk.length / 512,
        },
        reply,
        36,
      );
    } else if (ataCommand === 0xe7 || ataCommand === 0xea) {
      counters.flushes += 1;
      const error = options.flushError?.(ataCommand) ?? 0;
      if (error !== 0) {
        reply[27] = 0x41;
        reply[25] = error;
      }
    } else {
      reply[27] = 0x41;
      reply[25] = 0x04;
    }
  } else {
    return undefined;
  }
  reply.writeUInt16BE(options.shelf, 16);
  reply[18] = options.slot;
  writeMac(reply, 0, readMac(frame, 6));
  writeMac(reply, 6, link.mac);
  reply[14] |= 0x8;
  return reply;
}
