// Loss recovery of a device: RACK-style fast loss detection per path, the RTO backstop, spurious-retransmit detection, the retry queue.
import type { Operation } from './operation.js';
import type { Path } from './path.js';
import type { FrameTable } from './frame-table.js';

/** Byte ranges of operations waiting to be sent again: a ring of preallocated records (no allocation per lost frame). */
export class RetryQueue {
  op: (Operation | null)[];
  opOffset: Float64Array;
  bytes: Uint32Array;
  /** Path the frame was lost on (another path is preferred for the retransmit). */
  avoid: Int16Array;
  /** Index of the first record. */
  head = 0;
  length = 0;

  constructor(capacity: number) {
    this.op = new Array(capacity).fill(null);
    this.opOffset = new Float64Array(capacity);
    this.bytes = new Uint32Array(capacity);
    this.avoid = new Int16Array(capacity);
  }

  push(op: Operation, opOffset: number, bytes: number, avoid: number): void {
    if (this.length === this.op.length) this.grow();
    const at = (this.head + this.length) % this.op.length;
    this.op[at] = op;
    this.opOffset[at] = opOffset;
    this.bytes[at] = bytes;
    this.avoid[at] = avoid;
    this.length += 1;
  }

  shift(): void {
    this.op[this.head] = null;
    this.head = (this.head + 1) % this.op.length;
    this.length -= 1;
  }

  clear(): void {
    while (this.length > 0) this.shift();
  }

  /** Rare (partial retransmits onto smaller-payload paths can outnumber the frame entries): double, keeping order. */
  private grow(): void {
    const capacity = this.op.length;
    const order = (index: number) => (this.head + index) % capacity;
    const op = new Array<Operation | null>(capacity * 2).fill(null);
    const opOffset = new Float64Array(capacity * 2);
    const bytes = new Uint32Array(capacity * 2);
    const avoid = new Int16Array(capacity * 2);
    for (let index = 0; index < this.length; index += 1) {
      op[index] = this.op[order(index)];
      opOffset[index] = this.opOffset[order(index)];
      bytes[index] = this.bytes[order(index)];
      avoid[index] = this.avoid[order(index)];
    }
    Object.assign(this, { op, opOffset, bytes, avoid, head: 0 });
  }
}

/**
 * RACK (RFC 8985) adapted to AoE: a target answers a path's frames roughly in send order, so when a reply arrives
 * for a frame sent at T, every frame still outstanding on that path and sent before T - reorderWindow is lost.
 * Frames of a path are kept in send order (a list threaded through the frame table), so detection walks only the
 * frames it declares lost. The device's scan timer re-runs detection (for frames sent just before the last answered
 * one), sends a tail loss probe (the newest frame of a path that has gone quiet for 2 srtt + reorder window, once
 * per reply: RFC 8985 §7), and applies the RTO to whatever is left (dead path, lost probe).
 */
export class LossRecovery {
  readonly retries: RetryQueue;
  fastRetransmits = 0;
  timeoutRetransmits = 0;
  spuriousRetransmits = 0;

  constructor(
    private readonly frames: FrameTable,
    private readonly paths: readonly Path[],
    private readonly onPathDead: (path: Path) => void,
  ) {
    this.retries = new RetryQueue(2 * frames.count + 16);
  }

  /** A live reply for a frame of `path` arrived (the frame is released, the path has its RACK state from it). */
  onReply(path: Path, now: number): void {
    const oldest = path.oldestEntry;
    if (oldest >= 0 && this.frames.sequence[oldest] < path.rackSequence) this.detect(path, now);
  }

  /** A reply whose tag is no longer live: true when it answers a frame fast-retransmitted as lost (it was reordered). */
  onLateReply(tag: number, now: number): boolean {
    const frames = this.frames;
    const entry = tag & 0xffff;
    if (entry >= frames.count || frames.lostTag[entry] !== tag) return false;
    frames.lostTag[entry] = 0;
    const path = this.paths[frames.lostPath[entry]];
    if (now - frames.lostAt[entry] > path.rto) return false; // very late: delay, not reordering
    this.spuriousRetransmits += 1;
    path.onSpuriousRetransmit(now);
    return true;
  }

  /** Timer work: re-run detection on every path, then retransmit frames older than their path's RTO. */
  scan(now: number): void {
    const frames = this.frames;
    for (let index = 0; index < this.paths.length; index += 1) {
      const path = this.paths[index];
      if (path.oldestEntry < 0) continue;
      if (frames.sequence[path.oldestEntry] < path.rackSequence) this.detect(path, now);
      this.probeTail(path, now);
      let entry = path.oldestEntry;
      while (entry >= 0 && now - frames.sentAt[entry] > path.rto) {
        const next = frames.nextOnPath[entry];
        const sentAt = frames.sentAt[entry];
        this.timeoutRetransmits += 1;
        this.requeue(path, entry);
        if (path.onTimeout(sentAt, now) && path.state === 'up') {
          this.onPathDead(path);
          break;
        }
        entry = next;
      }
    }
  }

  /** Send every outstanding frame of `path` again (preferably elsewhere), e.g. when it goes down. */
  requeueAll(path: Path): void {
    while (path.oldestEntry >= 0) this.requeue(path, path.oldestEntry);
  }

  /** Tail loss probe: nothing later was sent on the path to reveal the loss of its newest frame, so do not wait for the RTO. */
  private probeTail(path: Path, now: number): void {
    const newest = path.newestEntry;
    if (newest < 0 || !path.hasRttSample || path.lastResponseAt <= path.lastTailProbeAt) return;
    const probeTimeout = 2 * path.srtt + path.reorderWindow;
    const age = now - this.frames.sentAt[newest];
    if (age < probeTimeout || age > path.rto || now - path.lastResponseAt < probeTimeout) return;
    path.onTailProbe(now);
    this.declareLost(path, newest, now, true);
  }

  private detect(path: Path, now: number): void {
    const frames = this.frames;
    const threshold = path.rackRtt + path.reorderWindow;
    const rackSequence = path.rackSequence;
    let entry = path.oldestEntry;
    // Send order: once a frame is too recent to be declared lost, so is every later one.
    while (entry >= 0 && frames.sequence[entry] < rackSequence && now - frames.sentAt[entry] >= threshold) {
      const next = frames.nextOnPath[entry];
      this.declareLost(path, entry, now);
      entry = next;
    }
  }

  /** Fast retransmit: remember the frame's tag (a reply to it later proves reordering), shrink the window, resend. */
  private declareLost(path: Path, entry: number, now: number, probe = false): void {
    const frames = this.frames;
    path.onLoss(frames.sentAt[entry], now, probe);
    this.fastRetransmits += 1;
    frames.lostTag[entry] = frames.tag[entry];
    frames.lostAt[entry] = now;
    frames.lostPath[entry] = path.index;
    this.requeue(path, entry);
  }

  private requeue(path: Path, entry: number): void {
    const frames = this.frames;
    const op = frames.op[entry] as Operation;
    if (op.kind === 'write') op.retransmitted = true;
    this.retries.push(op, frames.opOffset[entry], frames.bytes[entry], path.index);
    frames.release(entry, this.paths);
  }
}
