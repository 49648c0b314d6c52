// The Link interface: how every layer above sends and receives batches of raw Ethernet frames.
import type { EventEmitter } from 'node:events';

/**
 * Called once per received batch. Frame `i` starts at byte `i * slotSize` of `slab` and is
 * `lengths[i]` bytes long (whole Ethernet frame, header included). The slab and lengths are
 * reused for the next batch: copy anything you need to keep beyond this call.
 */
export type FrameBatchHandler = (slab: Buffer, slotSize: number, lengths: Uint32Array, count: number) => void;

/** Ethernet header plus a VLAN tag, so an MTU-sized payload always fits a receive slot. */
export const FRAME_OVERHEAD = 18;
/** Receive slots hold at least a 9216-byte MTU, so a NIC going jumbo needs no new buffers. */
const MINIMUM_SLOT_MTU = 9216;

/** Bytes per receive slot for `mtu` (a multiple of 64). */
export function slotSizeFor(mtu: number): number {
  return Math.ceil((Math.max(mtu, MINIMUM_SLOT_MTU) + FRAME_OVERHEAD) / 64) * 64;
}

export interface LinkStats {
  framesIn: number;
  bytesIn: number;
  framesOut: number;
  bytesOut: number;
  /** Receive batches delivered to JS (framesIn / batchesIn = average batch size). */
  batchesIn: number;
  /** Frames the caller asked to send that the kernel refused with EAGAIN/ENOBUFS (not sent). */
  sendBlocked: number;
  /** Other send errors (ENETDOWN, ENXIO, ...) counted, not thrown. */
  sendErrors: number;
  /** Frames the kernel dropped before we read them (PACKET_STATISTICS tp_drops, cumulative). */
  kernelDrops: number;
}

export interface LinkState {
  /** Interface administratively up (IFF_UP). */
  up: boolean;
  /** Carrier present (IFF_RUNNING / IFF_LOWER_UP). */
  carrier: boolean;
}

/**
 * A NIC (or a simulated one) that moves AoE frames. Events:
 *  - 'state' (state: LinkState) when up/carrier changes
 *  - 'mtu' (mtu: number) when the MTU changes
 *  - 'error' (err: Error) for asynchronous receive errors that are not per-frame
 */
export interface Link extends EventEmitter {
  readonly name: string;
  /** Our MAC as a 48-bit integer. */
  readonly mac: number;
  /** Current MTU (bytes after the Ethernet header). Updated when it changes. */
  readonly mtu: number;
  readonly state: LinkState;
  /**
   * Send `count` frames: frames[i].subarray(0, lengths[i]). Frames shorter than 60 bytes must
   * already be padded by the caller. Returns how many were accepted, in order; the rest were refused
   * (EAGAIN/ENOBUFS or link errors, counted in stats) and the caller decides whether to retry.
   * Never throws for transient conditions.
   */
  send(frames: readonly Uint8Array[], lengths: ArrayLike<number>, count: number): number;
  /** Optional fast path with send()'s contract: frame i is slab[offsets[i] .. offsets[i] + lengths[i]). */
  sendSlab?(slab: Uint8Array, offsets: Uint32Array, lengths: Uint32Array, count: number): number;
  /** Install the single receive handler. Receiving starts when a handler is set. */
  onFrames(handler: FrameBatchHandler): void;
  stats(): LinkStats;
  close(): Promise<void>;
}
