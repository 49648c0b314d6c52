// What a threaded link's two sides share: the shared-memory rings (layout, words, clock) and the messages between the threads.
import type { PacketFilter } from './packet-link.js';
import type { LinkState } from './link.js';

/**
 * Frames in flight per direction (a power of two). The rings hold whole frames: the caller's thread copies a frame in,
 * the link's thread hands it to the kernel (sendSlab straight from the ring) or copies a received one in.
 */
export const RING_SLOTS = 512;
export const RING_MASK = RING_SLOTS - 1;
/**
 * Frames sit this many bytes into their ring slot (slots are multiples of 64 bytes), so a frame's AoE data (36 bytes in)
 * is 8-aligned, as callers' buffers are. V8 copies to and from a SharedArrayBuffer word by word only when both sides
 * share their alignment, else byte by byte: 1.6 against 10 GB/s for 8 KiB on the machines measured.
 */
export const FRAME_SHIFT = 4;
/** Bytes of a ring: its slots, plus room for the shift of the last one. */
export function ringBytes(slotSize: number): number {
  return RING_SLOTS * slotSize + 8;
}

/** Int32 words of the control array. Head/tail counters wrap at 2^32 (compare with `(a - b) | 0`). */
export const Word = {
  /** Next TX slot the link's thread sends (it writes this), and one past the last slot the caller filled (caller writes). */
  TxHead: 0,
  TxTail: 1,
  /** Next RX slot the caller reads (caller writes), and one past the last slot the link's thread filled (it writes). */
  RxHead: 2,
  RxTail: 3,
  /** Non-zero once the caller closes the link. */
  Stop: 4,
} as const;
export const CONTROL_WORDS = 8;

/** Float64 counters the link's thread keeps current (after every batch and every 250 ms). */
export const Counter = {
  framesIn: 0,
  bytesIn: 1,
  framesOut: 2,
  bytesOut: 3,
  batchesIn: 4,
  sendBlocked: 5,
  sendErrors: 6,
  kernelDrops: 7,
  /** Received frames dropped because the caller's thread had not taken the previous ones (RX ring full) or too long. */
  ringDrops: 8,
  /** Frames queued for sending that waited longer than MAX_TX_AGE_MS and were dropped instead of sent late. */
  staleDrops: 9,
} as const;
export const COUNTER_COUNT = 10;

/**
 * A frame that waited this long in the TX ring is dropped, not sent. A late write frame could land after a newer write
 * to the same sectors sent meanwhile on another path; the initiator's write quarantine (50 ms) covers younger copies.
 */
export const MAX_TX_AGE_MS = 20;

type WaitAsync = (
  array: Int32Array,
  index: number,
  value: number,
) => { async: false; value: 'not-equal' | 'timed-out' } | { async: true; value: Promise<'ok' | 'timed-out'> };
/** Atomics.waitAsync (V8 since Node 16; typed only in lib es2024): wait for `array[index]` to leave `value` without blocking. */
export const waitAsync = (Atomics as unknown as { waitAsync: WaitAsync }).waitAsync;

/** Milliseconds on a clock both threads share (performance.now() has a per-thread origin). */
export function sharedClock(): number {
  return performance.timeOrigin + performance.now();
}

export interface LinkThreadSetup {
  name: string;
  netns: string | undefined;
  filter: PacketFilter;
  /** Bytes per ring slot: the largest frame either ring carries. */
  slotSize: number;
  control: SharedArrayBuffer;
  counters: SharedArrayBuffer;
  tx: SharedArrayBuffer;
  txLengths: SharedArrayBuffer;
  /** Float64: when each TX slot was filled (sharedClock). */
  txStamps: SharedArrayBuffer;
  rx: SharedArrayBuffer;
  rxLengths: SharedArrayBuffer;
}

/** From the link's thread to the caller's. */
export type LinkThreadMessage =
  | { type: 'ready'; mac: number; mtu: number; state: LinkState }
  | { type: 'open-failed'; message: string; code: string | undefined }
  | { type: 'state'; state: LinkState }
  | { type: 'mtu'; mtu: number }
  | { type: 'error'; message: string; code: string | undefined }
  | { type: 'closed' };

/** From the caller's thread to the link's. */
export type LinkThreadCommand = { type: 'close' };
