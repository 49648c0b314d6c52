// Shapes of a device kept out of its hot code: what it is made from, its statistics, and the per-path stats snapshot.
import { formatMac } from '../wire/mac.js';
import type { FrameTable } from './frame-table.js';
import type { Path } from './path.js';
import type { Policy } from './policy.js';

export interface DeviceTimers {
  deadlineMs: number;
  scanIntervalMs: number;
  probeIntervalMs: number;
}

/** What openDevice() gives a Device. */
export interface DeviceInit {
  shelf: number;
  slot: number;
  size: number;
  lba48: boolean;
  identify: { model: string; serial: string; firmware: string; sectors: number };
  paths: Path[];
  policy: Policy;
  frames: FrameTable;
  timers: DeviceTimers;
  onClose: () => Promise<void>;
}

export interface PathStats {
  index: number;
  interface: string;
  targetMac: string;
  mtu: number;
  payloadBytes: number;
  state: string;
  cwnd: number;
  ssthresh: number;
  inflight: number;
  srttMs: number;
  rtoMs: number;
  framesSent: number;
  framesAcked: number;
  bytesAcked: number;
  /** fastRetransmits + timeouts. */
  retransmits: number;
  /** Frames found lost by a later frame's reply (RACK) and sent again at once. */
  fastRetransmits: number;
  /** Frames sent again after their RTO expired. */
  timeouts: number;
  /** Fast retransmits whose original was answered after all (reordering): each widens the reorder window. */
  spuriousRetransmits: number;
  reorderWindowMs: number;
  downEvents: number;
}

export interface DeviceStats {
  name: string;
  size: number;
  policy: string;
  reads: number;
  writes: number;
  bytesRead: number;
  bytesWritten: number;
  retransmits: number;
  fastRetransmits: number;
  timeoutRetransmits: number;
  spuriousRetransmits: number;
  ignoredReplies: number;
  paths: PathStats[];
}

/** Snapshot of one path for stats(). */
export function pathStats(path: Path): PathStats {
  return {
    index: path.index,
    interface: path.link.name,
    targetMac: formatMac(path.targetMac),
    mtu: path.link.mtu,
    payloadBytes: path.payloadBytes,
    state: path.state,
    cwnd: Math.round(path.cwnd * 100) / 100,
    ssthresh: path.ssthresh,
    inflight: path.inflight,
    srttMs: Math.round(path.srtt * 1000) / 1000,
    rtoMs: Math.round(path.rto * 1000) / 1000,
    framesSent: path.counters.framesSent,
    framesAcked: path.counters.framesAcked,
    bytesAcked: path.counters.bytesAcked,
    retransmits: path.counters.timeouts + path.counters.fastRetransmits,
    fastRetransmits: path.counters.fastRetransmits,
    timeouts: path.counters.timeouts,
    spuriousRetransmits: path.counters.spuriousRetransmits,
    reorderWindowMs: Math.round(path.reorderWindow * 1000) / 1000,
    downEvents: path.counters.downEvents,
  };
}
