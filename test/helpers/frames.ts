// Test helpers for raw-frame suites: build AoE-ish frames, collect received frames, hash them, wait for a condition.
import { createHash, randomFillSync } from 'node:crypto';
import type { Link } from '../../src/link/link.js';

export const AOE_ETHERTYPE = 0x88a2;

/** Whole Ethernet frame: header, AoE version 1 + flags, 32-bit sequence at 24, random payload. */
export function makeFrame(
  destination: number,
  source: number,
  length: number,
  sequence: number,
  etherType = AOE_ETHERTYPE,
  flags = 0,
): Buffer {
  const frame = Buffer.alloc(length);
  frame.writeUIntBE(destination, 0, 6);
  frame.writeUIntBE(source, 6, 6);
  frame.writeUInt16BE(etherType, 12);
  frame[14] = 0x10 | flags;
  frame.writeUInt32BE(sequence, 24);
  randomFillSync(frame, 28);
  return frame;
}

/** sha256 over frames in order. */
export function digest(frames: readonly Uint8Array[]): string {
  const hash = createHash('sha256');
  for (const frame of frames) hash.update(frame);
  return hash.digest('hex');
}

/** Copies every received frame (tests only: the slab is reused by the next batch). */
export function collect(link: Link): Buffer[] {
  const frames: Buffer[] = [];
  link.onFrames((slab, slotSize, lengths, count) => {
    for (let i = 0; i < count; i++) frames.push(Buffer.from(slab.subarray(i * slotSize, i * slotSize + lengths[i])));
  });
  return frames;
}

/** Polls `condition` every 10 ms; throws `timed out waiting for <what>` after timeoutMs. */
export async function until(condition: () => boolean, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}
