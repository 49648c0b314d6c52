// One path (local link x target MAC): its payload, congestion window, Jacobson/Karels RTT, RACK state and health, changed only by its methods.
import type { Link } from '../link/link.js';
import { SECTOR_SIZE, sectorsForMtu } from '../wire/constants.js';
import { PathCounters, type PathOptions, type PathState, type PathTuning, type TargetBudget } from './path-options.js';
import type { LinkPort } from './port.js';

export { DEFAULT_TUNING, PathCounters, type PathOptions, type PathState, type PathTuning, type TargetBudget } from './path-options.js';

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

  /*
   * State below changes only through the methods. Fields read outside are `_name` behind a getter (TypeScript-private,
   * not `#name`: a #private access is more bytecode, which pushed onFrameAcked out of V8's inlining budget in the
   * device's reply handler, so its double arguments were boxed per frame: bench/initiator-hot-path.mjs).
   */
  private _state: PathState = 'up';
  private _payloadSectors = 1;
  private _cwnd: number;
  private _ssthresh: number;
  private _inflight = 0;
  private _srtt = 0;
  private rttvar = 0;
  private _rto: number;
  private _hasRttSample = false;
  private consecutiveTimeouts = 0;
  private _lastResponseAt = 0;
  /** Timeouts of frames sent before this instant do not shrink the window again (one reduction per window). */
  private lastReductionAt = -1;
  /** Outstanding frames of this path in send order: a list of frame-table entries threaded through the table. */
  private _oldestEntry = -1;
  private _newestEntry = -1;
  private sendSequence = 0;
  /** RACK state (RFC 8985): the most recently sent frame that got a reply (its send sequence and RTT). */
  private _rackSequence = 0;
  private _rackRtt = 0;
  private reorderMultiplier = 1;
  /** When the last tail loss probe was sent (one per reply). */
  private _lastTailProbeAt = -Infinity;
  private lastWidenAt = -Infinity;
  private lossEventsSinceWiden = 0;
  private _lastProbeAt = 0;

  private readonly count = new PathCounters();
  /** Frames, bytes, retransmits and down events of this path (read-only outside; the same object Path counts in). */
  readonly counters: Readonly<PathCounters> = this.count;
  /** Delivery rate estimate in bytes/s (EWMA, updated by the device's rate tick). */
  private _rate = 0;
  private rateBytesMark = 0;

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
    this._cwnd = Math.min(this.windowCap, 8);
    this._ssthresh = this.windowCap;
    this._rto = tuning.initialRtoMs;
    this.updatePayload(options.link.mtu, options.frameCapacitySectors);
    this._rate = this.payloadBytes * 1000;
  }

  get state(): PathState {
    return this._state;
  }
  get payloadSectors(): number {
    return this._payloadSectors;
  }
  get payloadBytes(): number {
    return this._payloadSectors * SECTOR_SIZE;
  }
  get cwnd(): number {
    return this._cwnd;
  }
  get ssthresh(): number {
    return this._ssthresh;
  }
  get inflight(): number {
    return this._inflight;
  }
  get srtt(): number {
    return this._srtt;
  }
  get rto(): number {
    return this._rto;
  }
  get hasRttSample(): boolean {
    return this._hasRttSample;
  }
  get lastResponseAt(): number {
    return this._lastResponseAt;
  }
  /** Oldest and newest outstanding frame (frame-table entries), -1 when none. */
  get oldestEntry(): number {
    return this._oldestEntry;
  }
  get newestEntry(): number {
    return this._newestEntry;
  }
  get rackSequence(): number {
    return this._rackSequence;
  }
  get rackRtt(): number {
    return this._rackRtt;
  }
  get lastTailProbeAt(): number {
    return this._lastTailProbeAt;
  }
  get lastProbeAt(): number {
    return this._lastProbeAt;
  }
  get rate(): number {
    return this._rate;
  }

  /** Payload from this path's own MTU and the target's sector count (not the smallest over all paths). */
  updatePayload(mtu: number, frameCapacitySectors: number): void {
    this._payloadSectors = Math.max(1, Math.min(sectorsForMtu(mtu), this.targetSectors, frameCapacitySectors));
  }

  canSend(): boolean {
    return this._state === 'up' && this._inflight < Math.floor(this._cwnd) && this.budget.inflight < this.budget.cap;
  }

  /** How long a frame may trail a later-sent answered one before it counts as lost (RACK reorder window). */
  get reorderWindow(): number {
    const base = Math.max(this._srtt / 4, this.tuning.minReorderMs);
    return Math.min(this.reorderMultiplier * base, Math.max(base, this._rto));
  }

  /** A frame went out as frame-table `entry`, after the path's newest: returns its send sequence. */
  onFrameSent(entry: number): number {
    if (this._newestEntry < 0) this._oldestEntry = entry;
    this._newestEntry = entry;
    this._inflight += 1;
    this.budget.inflight += 1;
    this.count.framesSent += 1;
    return ++this.sendSequence;
  }

  /** An outstanding frame left the path (answered, lost or failed); `previous`/`next` were its neighbours in send order. */
  onFrameReleased(previous: number, next: number): void {
    if (previous < 0) this._oldestEntry = next;
    if (next < 0) this._newestEntry = previous;
    this._inflight -= 1;
    this.budget.inflight -= 1;
  }

  /**
   * A reply arrived `rttSample` ms after its frame (send sequence `sequence`) left: RTT sample, RACK state, window
   * growth. Karn's rule holds by construction: every send (retransmits included) carries a fresh tag and only the
   * live tag is accepted, so a sample is never taken from a reply that could belong to another copy of the frame.
   */
  onFrameAcked(rttSample: number, now: number, bytes: number, sequence: number): void {
    this.count.framesAcked += 1;
    this.count.bytesAcked += bytes;
    this.consecutiveTimeouts = 0;
    this._lastResponseAt = now;
    if (sequence > this._rackSequence) {
      this._rackSequence = sequence;
      this._rackRtt = rttSample;
    }
    if (!this._hasRttSample) {
      this._srtt = rttSample;
      this.rttvar = rttSample / 2;
      this._hasRttSample = true;
    } else {
      const error = rttSample - this._srtt;
      this._srtt += error / 8;
      this.rttvar += (Math.abs(error) - this.rttvar) / 4;
    }
    this._rto = Math.min(this.tuning.maxRtoMs, Math.max(this.tuning.minRtoMs, this._srtt + 4 * this.rttvar));
    if (this._cwnd < this._ssthresh)
      this._cwnd += 1; // slow start: +1 per reply
    else this._cwnd += 1 / this._cwnd; // congestion avoidance: +1 per window
    if (this._cwnd > this.windowCap) this._cwnd = this.windowCap;
  }

  /**
   * A frame sent at `sentAt` was found lost by a later-sent frame's reply (fast detection). Random loss on a LAN is
   * not congestion: the window shrinks by `lossDecrease` at most once per round trip (losses of frames sent before
   * the last reduction belong to the same event), never below 2, and the RTO is left alone. A tail loss probe
   * (`probe`) leaves the window alone: at the tail a late reply is as likely as a loss, and one frame says little
   * about congestion.
   */
  onLoss(sentAt: number, now: number, probe = false): void {
    this.count.fastRetransmits += 1;
    if (probe || sentAt < this.lastReductionAt) return;
    this._ssthresh = Math.max(2, Math.floor(this._cwnd * this.tuning.lossDecrease));
    this._cwnd = this._ssthresh;
    this.lastReductionAt = now;
    this.lossEventsSinceWiden += 1;
    if (this.lossEventsSinceWiden >= REORDER_RESET_EVENTS) {
      this.reorderMultiplier = 1;
      this.lossEventsSinceWiden = 0;
    }
  }

  /** A tail loss probe is sent now (RFC 8985 §7): the next one waits for another reply. */
  onTailProbe(now: number): void {
    this._lastTailProbeAt = now;
  }

  /** The original of a fast-retransmitted frame was answered after all: it was reordered, not lost. Widen the reorder window (once per round trip). */
  onSpuriousRetransmit(now: number): void {
    this.count.spuriousRetransmits += 1;
    this.lossEventsSinceWiden = 0;
    if (now - this.lastWidenAt < this._srtt) return;
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
    this.count.timeouts += 1;
    if (sentAt < this.lastReductionAt) return false;
    this.consecutiveTimeouts += 1;
    this._ssthresh = Math.max(2, Math.floor(this._cwnd / 2));
    this._cwnd = this.consecutiveTimeouts > 1 ? 1 : this._ssthresh;
    this.lastReductionAt = now;
    this._rto = Math.min(this.tuning.maxRtoMs, this._rto * 2);
    return this.consecutiveTimeouts >= this.tuning.downAfterTimeouts && now - this._lastResponseAt > 2 * this._rto;
  }

  /** The path goes down (the first probe follows a probe interval from `now`); false when it already was. */
  markDown(now: number): boolean {
    if (this._state === 'down') return false;
    this._state = 'down';
    this.count.downEvents += 1;
    this._lastProbeAt = now;
    return true;
  }

  /** The path answers again: a fresh window; false when it was up. */
  markUp(now: number): boolean {
    if (this._state === 'up') return false;
    this._state = 'up';
    this._cwnd = Math.min(this.windowCap, 4);
    this._ssthresh = this.windowCap;
    this.consecutiveTimeouts = 0;
    this._rto = Math.max(this._rto, this.tuning.initialRtoMs);
    this._hasRttSample = false;
    this.reorderMultiplier = 1;
    this._lastResponseAt = now;
    return true;
  }

  /** A probe for this (down) path is sent now, or would have been had its link been up. */
  onProbeSent(now: number): void {
    this._lastProbeAt = now;
  }

  /** Update the delivery-rate EWMA from bytes acknowledged over `intervalMs`. */
  tickRate(intervalMs: number): void {
    const delta = this.count.bytesAcked - this.rateBytesMark;
    this.rateBytesMark = this.count.bytesAcked;
    if (delta > 0 && intervalMs > 0) this._rate = this._rate * 0.5 + ((delta * 1000) / intervalMs) * 0.5;
  }
}
