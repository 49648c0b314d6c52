// What a Path is made from: the tuning of its window and timers (with defaults), its options, its shared target budget.
import type { Link } from '../link/link.js';
import type { LinkPort } from './port.js';

export interface PathTuning {
  /** Retransmit timeout before the first RTT sample. Default 100 ms (see README: Linux's 250 ms is too slow on a LAN). */
  initialRtoMs: number;
  minRtoMs: number;
  maxRtoMs: number;
  /** Hard cap on the window, on top of the target's buffer count. */
  maxWindow: number;
  /** Consecutive loss events (timeouts a window apart, no reply in between) that mark a path down. */
  downAfterTimeouts: number;
  /** Window kept on a fast-detected loss (multiplicative decrease factor, once per round trip). */
  lossDecrease: number;
  /** Floor of the reorder window that fast loss detection allows (the window is max(srtt/4, this) x an adaptive multiplier). */
  minReorderMs: number;
}

export const DEFAULT_TUNING: PathTuning = {
  initialRtoMs: 100,
  minRtoMs: 10,
  maxRtoMs: 2000,
  maxWindow: 64,
  downAfterTimeouts: 4,
  lossDecrease: 0.7,
  minReorderMs: 0.25,
};

export type PathState = 'up' | 'down';

/** What happened on one path, for stats: Path counts, everyone else reads (Path.counters). */
export class PathCounters {
  framesSent = 0;
  framesAcked = 0;
  bytesAcked = 0;
  timeouts = 0;
  fastRetransmits = 0;
  spuriousRetransmits = 0;
  downEvents = 0;
}

/** Frames in flight to one target MAC over every local NIC: the target queues at most its buffer count (AoEr11 §3.2). */
export interface TargetBudget {
  inflight: number;
  cap: number;
}

export interface PathOptions {
  /** Position in the device's path list (frames record it). */
  index: number;
  link: Link;
  port: LinkPort;
  targetMac: number;
  /** AoE address of the device behind the target MAC. */
  shelf: number;
  slot: number;
  /** Target's Query Config buffer count (0 = unknown: 16 is assumed for the window). */
  bufferCount: number;
  /** Target's advertised max sectors per command (Query Config). */
  targetSectors: number;
  tuning: PathTuning;
  /** Sectors one frame of the device's frame table holds. */
  frameCapacitySectors: number;
  /** Shared with the other paths to the same target MAC (default: a budget of this path's own). */
  budget?: TargetBudget;
}
