// One path (local link x target MAC): its payload, congestion window, Jacobson/Karels RTT, RACK state and health, changed only by its methods.
import type { Link } from '../link/link.js';
import { SECTOR_SIZE, sectorsForMtu } from '../wire/constants.js';
import type { PathOptions, PathState, PathTuning, TargetBudget } from './path-options.js';
import type { LinkPort } from './port.js';

export { DEFAULT_TUNING, type PathOptions, type PathState, type PathTuning, type TargetBudget } from './path-options.js';

/** Most reorder-window widenings (one per spurious retransmit, at most one per round trip). */
const MAX_REORDER_MULTIPLIER = 16;
/** Loss events without a spurious retransmit after which the reorder window shrinks back (RFC 8985 §6.2). */
const REORDER_RESET_EVENTS = 16;

export class Path {
  readonly index: number;
  readonly link: Link;
  readonly port: LinkPort;
  readonly targetMac: number;
  /** The local MAC frames of this path come from (the link's, when the path was made). */
  readonly localMac: number;
  readonly shelf: number;
  readonly slot: number;
  readonly bufferCount: number;
  readonly targetSectors: number;
  readonly tuning: PathTuning;
  /** Shared with the other paths to the same target MAC; only Path methods change it. */
  readonly budget: TargetBudget;
  /** Window cap: min(buffer count, maxWindow). */
  readonly windowCap: number;

  #state: PathState = 'up';
  #payloadSectors = 1;
  #cwnd: number;
  #ssthresh: number;
  #inflight = 0;
  #srtt = 0;
  #rttvar = 0;
  #rto: number;
  #hasRttSample = false;
  #consecutiveTimeouts = 0;
  #lastResponseAt = 0;
  /** Timeouts of frames sent before this instant do not shrink the window again (one reduction per window). */
  #lastReductionAt = -1;
  /** Outstanding frames of this path in send order: a list of frame-table entries threaded through the table. */
  #oldestEntry = -1;
  #newestEntry = -1;
  #sendSequence = 0;
  /** RACK state (RFC 8985): the most recently sent frame that got a reply (its send sequence and RTT). */
  #rackSequence = 0;
  #rackRtt = 0;
  #reorderMultiplier = 1;
  /** When the last tail loss probe was sent (one per reply). */
  #lastTailProbeAt = -Infinity;
  #lastWidenAt = -Infinity;
  #lossEventsSinceWiden = 0;
  #lastProbeAt = 0;

  #framesSent = 0;
  #framesAcked = 0;
  #bytesAcked = 0;
  #timeouts = 0;
  #fastRetransmits = 0;
  #spuriousRetransmits = 0;
  #downEvents = 0;
  /** Delivery rate estimate in bytes/s (EWMA, updated by the device's rate tick). */
  #rate = 0;
  #rateBytesMark = 0;

  constructor(options: PathOptions) {
    const { tuning } = options;
    this.index = options.index;
    this.link = options.link;
    this.port = options.port;
    this.targetMac = options.targetMac;
    this.localMac = options.link.mac;
    this.shelf = options.shelf;
    this.slot = options.slot;
    this.bufferCount = options.bufferCount;
    this.targetSectors = options.targetSectors;
    this.tuning = tuning;
    this.windowCap = Math.max(1, Math.min(options.bufferCount || 16, tuning.maxWindow));
    this.budget = options.budget ?? { inflight: 0, cap: this.windowCap };
    this.#cwnd = Math.min(this.windowCap, 8);
    this.#ssthresh = this.windowCap;
    this.#rto = tuning.initialRtoMs;
    this.updatePayload(options.link.mtu, options.frameCapacitySectors);
    this.#rate = this.payloadBytes * 1000;
  }

  get state(): PathState { return this.#state; }
  get payloadSectors(): number { return this.#payloadSectors; }
  get payloadBytes(): number { return this.#payloadSectors * SECTOR_SIZE; }
  get cwnd(): number { return this.#cwnd; }
  get ssthresh(): number { return this.#ssthresh; }
  get inflight(): number { return this.#inflight; }
  get srtt(): number { return this.#srtt; }
  get rto(): number { return this.#rto; }
  get hasRttSample(): boolean { return this.#hasRttSample; }
  get lastResponseAt(): number { return this.#lastResponseAt; }
  /** Oldest and newest outstanding frame (frame-table entries), -1 when none. */
  get oldestEntry(): number { return this.#oldestEntry; }
  get newestEntry(): number { return this.#newestEntry; }
  get rackSequence(): number { return this.#rackSequence; }
  get rackRtt(): number { return this.#rackRtt; }
  get lastTailProbeAt(): number { return this.#lastTailProbeAt; }
  get lastProbeAt(): number { return this.#lastProbeAt; }
  get framesSent(): number { return this.#framesSent; }
  get framesAcked(): number { return this.#framesAcked; }
  get bytesAcked(): number { return this.#bytesAcked; }
  get timeouts(): number { return this.#timeouts; }
  get fastRetransmits(): number { return this.#fastRetransmits; }
  get spuriousRetransmits(): number { return this.#spuriousRetransmits; }
  get downEvents(): number { return this.#downEvents; }
  get rate(): number { return this.#rate; }

  /** Payload from this path's own MTU and the target's sector count (not the smallest over all paths). */
  updatePayload(mtu: number, frameCapacitySectors: number): void {
    this.#payloadSectors = Math.max(1, Math.min(sectorsForMtu(mtu), this.targetSectors, frameCapacitySectors));
  }

  canSend(): boolean {
    return this.#state === 'up' && this.#inflight < Math.floor(this.#cwnd) && this.budget.inflight < this.budget.cap;
  }

  /** How long a frame may trail a later-sent answered one before it counts as lost (RACK reorder window). */
  get reorderWindow(): number {
    const base = Math.max(this.#srtt / 4, this.tuning.minReorderMs);
    return Math.min(this.#reorderMultiplier * base, Math.max(base, this.#rto));
  }

  /** A frame went out as frame-table `entry`, after the path's newest: returns its send sequence. */
  onFrameSent(entry: number): number {
    if (this.#newestEntry < 0) this.#oldestEntry = entry;
    this.#newestEntry = entry;
    this.#inflight += 1;
    this.budget.inflight += 1;
    this.#framesSent += 1;
    return ++this.#sendSequence;
  }

  /** An outstanding frame left the path (answered, lost or failed); `previous`/`next` were its neighbours in send order. */
  onFrameReleased(previous: number, next: number): void {
    if (previous < 0) this.#oldestEntry = next;
    if (next < 0) this.#newestEntry = previous;
    this.#inflight -= 1;
    this.budget.inflight -= 1;
  }

  /**
   * A reply arrived `rttSample` ms after its frame (send sequence `sequence`) left: RTT sample, RACK state, window
   * growth. Karn's rule holds by construction: every send (retransmits included) carries a fresh tag and only the
   * live tag is accepted, so a sample is never taken from a reply that could belong to another copy of the frame.
   */
  onFrameAcked(rttSample: number, now: number, bytes: number, sequence: number): void {
    this.#framesAcked += 1;
    this.#bytesAcked += bytes;
    this.#consecutiveTimeouts = 0;
    this.#lastResponseAt = now;
    if (sequence > this.#rackSequence) {
      this.#rackSequence = sequence;
      this.#rackRtt = rttSample;
    }
    if (!this.#hasRttSample) {
      this.#srtt = rttSample;
      this.#rttvar = rttSample / 2;
      this.#hasRttSample = true;
    } else {
      const error = rttSample - this.#srtt;
      this.#srtt += error / 8;
      this.#rttvar += (Math.abs(error) - this.#rttvar) / 4;
    }
    this.#rto = Math.min(this.tuning.maxRtoMs, Math.max(this.tuning.minRtoMs, this.#srtt + 4 * this.#rttvar));
    if (this.#cwnd < this.#ssthresh) this.#cwnd += 1; // slow start: +1 per reply
    else this.#cwnd += 1 / this.#cwnd; // congestion avoidance: +1 per window
    if (this.#cwnd > this.windowCap) this.#cwnd = this.windowCap;
  }

  /**
   * A frame sent at `sentAt` was found lost by a later-sent frame's reply (fast detection). Random loss on a LAN is
   * not congestion: the window shrinks by `lossDecrease` at most once per round trip (losses of frames sent before
   * the last reduction belong to the same event), never below 2, and the RTO is left alone. A tail loss probe
   * (`probe`) leaves the window alone: at the tail a late reply is as likely as a loss, and one frame says little
   * about congestion.
   */
  onLoss(sentAt: number, now: number, probe = false): void {
    this.#fastRetransmits += 1;
    if (probe || sentAt < this.#lastReductionAt) return;
    this.#ssthresh = Math.max(2, Math.floor(this.#cwnd * this.tuning.lossDecrease));
    this.#cwnd = this.#ssthresh;
    this.#lastReductionAt = now;
    this.#lossEventsSinceWiden += 1;
    if (this.#lossEventsSinceWiden >= REORDER_RESET_EVENTS) {
      this.#reorderMultiplier = 1;
      this.#lossEventsSinceWiden = 0;
    }
  }

  /** A tail loss probe is sent now (RFC 8985 §7): the next one waits for another reply. */
  onTailProbe(now: number): void {
    this.#lastTailProbeAt = now;
  }

  /** The original of a fast-retransmitted frame was answered after all: it was reordered, not lost. Widen the reorder window (once per round trip). */
  onSpuriousRetransmit(now: number): void {
    this.#spuriousRetransmits += 1;
    this.#lossEventsSinceWiden = 0;
    if (now - this.#lastWidenAt < this.#srtt) return;
    this.#lastWidenAt = now;
    this.#reorderMultiplier = Math.min(MAX_REORDER_MULTIPLIER, this.#reorderMultiplier + 1);
  }

  /**
   * A frame sent at `sentAt` timed out: an RTO expiry, the only event that backs the RTO off (the next RTT sample
   * resets it). Timeouts of frames sent before the last reduction belong to the same loss event and change nothing.
   * A new event halves the window (ssthresh = cwnd/2, cwnd = ssthresh) and backs the RTO off x2; a second event in a
   * row with no reply in between (a black hole, not random loss) collapses the window to 1 like the Linux driver.
   * Returns true when `downAfterTimeouts` events in a row (no reply for 2 x rto) say the path is dead.
   */
  onTimeout(sentAt: number, now: number): boolean {
    this.#timeouts += 1;
    if (sentAt < this.#lastReductionAt) return false;
    this.#consecutiveTimeouts += 1;
    this.#ssthresh = Math.max(2, Math.floor(this.#cwnd / 2));
    this.#cwnd = this.#consecutiveTimeouts > 1 ? 1 : this.#ssthresh;
    this.#lastReductionAt = now;
    this.#rto = Math.min(this.tuning.maxRtoMs, this.#rto * 2);
    return this.#consecutiveTimeouts >= this.tuning.downAfterTimeouts && now - this.#lastResponseAt > 2 * this.#rto;
  }

  /** The path goes down (the first probe follows a probe interval from `now`); false when it already was. */
  markDown(now: number): boolean {
    if (this.#state === 'down') return false;
    this.#state = 'down';
    this.#downEvents += 1;
    this.#lastProbeAt = now;
    return true;
  }

  /** The path answers again: a fresh window; false when it was up. */
  markUp(now: number): boolean {
    if (this.#state === 'up') return false;
    this.#state = 'up';
    this.#cwnd = Math.min(this.windowCap, 4);
    this.#ssthresh = this.windowCap;
    this.#consecutiveTimeouts = 0;
    this.#rto = Math.max(this.#rto, this.tuning.initialRtoMs);
    this.#hasRttSample = false;
    this.#reorderMultiplier = 1;
    this.#lastResponseAt = now;
    return true;
  }

  /** A probe for this (down) path is sent now, or would have been had its link been up. */
  onProbeSent(now: number): void {
    this.#lastProbeAt = now;
  }

  /** Update the delivery-rate EWMA from bytes acknowledged over `intervalMs`. */
  tickRate(intervalMs: number): void {
    const delta = this.#bytesAcked - this.#rateBytesMark;
    this.#rateBytesMark = this.#bytesAcked;
    if (delta > 0 && intervalMs > 0) this.#rate = this.#rate * 0.5 + (delta * 1000 / intervalMs) * 0.5;
  }
}
