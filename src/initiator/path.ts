// One path (local link x target MAC): payload size, congestion window, Jacobson/Karels RTT and health.
import type { Link } from '../link/link.js';
import { ETHERTYPE_AOE, SECTOR_SIZE, sectorsForMtu } from '../wire/constants.js';
import { writeMac } from '../wire/mac.js';
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
  initialRtoMs: 100, minRtoMs: 10, maxRtoMs: 2000, maxWindow: 64, downAfterTimeouts: 4, lossDecrease: 0.7, minReorderMs: 0.25,
};

/** Most reorder-window widenings (one per spurious retransmit, at most one per round trip). */
const MAX_REORDER_MULTIPLIER = 16;
/** Loss events without a spurious retransmit after which the reorder window shrinks back (RFC 8985 §6.2). */
const REORDER_RESET_EVENTS = 16;

export type PathState = 'up' | 'down';

/** Frames in flight to one target MAC over every local NIC: the target queues at most its buffer count (AoEr11 §3.2). */
export interface TargetBudget {
  inflight: number;
  cap: number;
}

export class Path {
  readonly index: number;
  readonly link: Link;
  readonly port: LinkPort;
  readonly targetMac: number;
  readonly bufferCount: number;
  /** Target's advertised max sectors per command (Query Config). */
  readonly targetSectors: number;
  /** The first 20 header bytes (Ethernet + AoE up to the tag), copied into every frame. */
  readonly header = Buffer.alloc(20);
  readonly tuning: PathTuning;
  /** Shared with the other paths to the same target MAC. */
  readonly budget: TargetBudget;
  /** Control tag used for probes while down. */
  probeTag = 0;
  lastProbeAt = 0;

  state: PathState = 'up';
  payloadSectors = 1;
  /** Window cap: min(buffer count, maxWindow). */
  windowCap: number;
  cwnd: number;
  ssthresh: number;
  inflight = 0;
  srtt = 0;
  rttvar = 0;
  rto: number;
  hasRttSample = false;
  consecutiveTimeouts = 0;
  lastResponseAt = 0;
  /** Timeouts of frames sent before this instant do not shrink the window again (one reduction per window). */
  lastReductionAt = -1;
  /** Outstanding frames of this path in send order: a list of slot indices threaded through the slot table. */
  oldestSlot = -1;
  newestSlot = -1;
  sendSequence = 0;
  /** RACK state (RFC 8985): the most recently sent frame that got a reply (its send sequence and RTT). */
  rackSequence = 0;
  rackRtt = 0;
  reorderMultiplier = 1;
  /** When the last tail loss probe was sent (one per reply). */
  lastTailProbeAt = -Infinity;
  private lastWidenAt = -Infinity;
  private lossEventsSinceWiden = 0;

  framesSent = 0;
  framesAcked = 0;
  bytesAcked = 0;
  timeouts = 0;
  fastRetransmits = 0;
  spuriousRetransmits = 0;
  downEvents = 0;
  /** Delivery rate estimate in bytes/s (EWMA, updated by the device's rate tick). */
  rate = 0;
  private rateBytesMark = 0;

  constructor(index: number, link: Link, port: LinkPort, targetMac: number, bufferCount: number, targetSectors: number, shelf: number, slot: number, tuning: PathTuning, frameCapacitySectors: number, budget?: TargetBudget) {
    this.index = index;
    this.link = link;
    this.port = port;
    this.targetMac = targetMac;
    this.bufferCount = bufferCount;
    this.targetSectors = targetSectors;
    this.tuning = tuning;
    this.windowCap = Math.max(1, Math.min(bufferCount || 16, tuning.maxWindow));
    this.budget = budget ?? { inflight: 0, cap: this.windowCap };
    this.cwnd = Math.min(this.windowCap, 8);
    this.ssthresh = this.windowCap;
    this.rto = tuning.initialRtoMs;
    writeMac(this.header, 0, targetMac);
    writeMac(this.header, 6, link.mac);
    this.header.writeUInt16BE(ETHERTYPE_AOE, 12);
    this.header[14] = 0x10; // version 1, no flags
    this.header[15] = 0;
    this.header.writeUInt16BE(shelf, 16);
    this.header[18] = slot;
    this.header[19] = 0; // ATA
    this.updatePayload(link.mtu, frameCapacitySectors);
    this.rate = this.payloadBytes * 1000;
  }

  get payloadBytes(): number {
    return this.payloadSectors * SECTOR_SIZE;
  }

  /** Payload from this path's own MTU and the target's sector count (not the smallest over all paths). */
  updatePayload(mtu: number, frameCapacitySectors: number): void {
    this.payloadSectors = Math.max(1, Math.min(sectorsForMtu(mtu), this.targetSectors, frameCapacitySectors));
  }

  canSend(): boolean {
    return this.state === 'up' && this.inflight < Math.floor(this.cwnd) && this.budget.inflight < this.budget.cap;
  }

  /** How long a frame may trail a later-sent answered one before it counts as lost (RACK reorder window). */
  get reorderWindow(): number {
    const base = Math.max(this.srtt / 4, this.tuning.minReorderMs);
    return Math.min(this.reorderMultiplier * base, Math.max(base, this.rto));
  }

  /**
   * A reply arrived `rttMs` after its transmission: RTT sample, window growth. Karn's rule holds by construction:
   * every send (retransmits included) carries a fresh tag and only the live tag is accepted, so a sample is never
   * taken from a reply that could belong to another copy of the frame.
   */
  onAck(rttMs: number, now: number, bytes: number): void {
    this.framesAcked += 1;
    this.bytesAcked += bytes;
    this.consecutiveTimeouts = 0;
    this.lastResponseAt = now;
    if (!this.hasRttSample) {
      this.srtt = rttMs;
      this.rttvar = rttMs / 2;
      this.hasRttSample = true;
    } else {
      const error = rttMs - this.srtt;
      this.srtt += error / 8;
      this.rttvar += (Math.abs(error) - this.rttvar) / 4;
    }
    this.rto = Math.min(this.tuning.maxRtoMs, Math.max(this.tuning.minRtoMs, this.srtt + 4 * this.rttvar));
    if (this.cwnd < this.ssthresh) this.cwnd += 1; // slow start: +1 per reply
    else this.cwnd += 1 / this.cwnd; // congestion avoidance: +1 per window
    if (this.cwnd > this.windowCap) this.cwnd = this.windowCap;
  }

  /**
   * A frame sent at `sentAt` was found lost by a later-sent frame's reply (fast detection). Random loss on a LAN is
   * not congestion: the window shrinks by `lossDecrease` at most once per round trip (losses of frames sent before
   * the last reduction belong to the same event), never below 2, and the RTO is left alone. A tail loss probe
   * (`probe`) leaves the window alone: at the tail a late reply is as likely as a loss, and one frame says little
   * about congestion.
   */
  onFastLoss(sentAt: number, now: number, probe = false): void {
    this.fastRetransmits += 1;
    if (probe || sentAt < this.lastReductionAt) return;
    this.ssthresh = Math.max(2, Math.floor(this.cwnd * this.tuning.lossDecrease));
    this.cwnd = this.ssthresh;
    this.lastReductionAt = now;
    this.lossEventsSinceWiden += 1;
    if (this.lossEventsSinceWiden >= REORDER_RESET_EVENTS) {
      this.reorderMultiplier = 1;
      this.lossEventsSinceWiden = 0;
    }
  }

  /** The original of a fast-retransmitted frame was answered after all: it was reordered, not lost. Widen the reorder window (once per round trip). */
  onSpuriousRetransmit(now: number): void {
    this.spuriousRetransmits += 1;
    this.lossEventsSinceWiden = 0;
    if (now - this.lastWidenAt < this.srtt) return;
    this.lastWidenAt = now;
    this.reorderMultiplier = Math.min(MAX_REORDER_MULTIPLIER, this.reorderMultiplier + 1);
  }

  /**
   * A frame sent at `sentAt` timed out: an RTO expiry, the only event that backs the RTO off (the next RTT sample
   * resets it). Timeouts of frames sent before the last reduction belong to the same loss event and change nothing.
   * A new event halves the window (ssthresh = cwnd/2, cwnd = ssthresh) and backs the RTO off x2; a second event in a
   * row with no reply in between (a black hole, not random loss) collapses the window to 1 like the Linux driver.
   * Returns true when `downAfterTimeouts` events in a row (no reply for 2 x rto) say the path is dead.
   */
  onTimeout(sentAt: number, now: number): boolean {
    this.timeouts += 1;
    if (sentAt < this.lastReductionAt) return false;
    this.consecutiveTimeouts += 1;
    this.ssthresh = Math.max(2, Math.floor(this.cwnd / 2));
    this.cwnd = this.consecutiveTimeouts > 1 ? 1 : this.ssthresh;
    this.lastReductionAt = now;
    this.rto = Math.min(this.tuning.maxRtoMs, this.rto * 2);
    return this.consecutiveTimeouts >= this.tuning.downAfterTimeouts && now - this.lastResponseAt > 2 * this.rto;
  }

  /** Back to a fresh window after the path returns. */
  resetWindow(): void {
    this.cwnd = Math.min(this.windowCap, 4);
    this.ssthresh = this.windowCap;
    this.consecutiveTimeouts = 0;
    this.rto = Math.max(this.rto, this.tuning.initialRtoMs);
    this.hasRttSample = false;
    this.reorderMultiplier = 1;
  }

  /** Update the delivery-rate EWMA from bytes acknowledged over `intervalMs`. */
  tickRate(intervalMs: number): void {
    const delta = this.bytesAcked - this.rateBytesMark;
    this.rateBytesMark = this.bytesAcked;
    if (delta > 0 && intervalMs > 0) this.rate = this.rate * 0.5 + (delta * 1000 / intervalMs) * 0.5;
  }
}
