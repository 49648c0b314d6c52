// Batches a NIC's finished reply frames into one link.send() per tick and retries refused frames with backoff (never exits).
import { performance } from 'node:perf_hooks';
import type { Link } from '../link/link.js';
import * as constants from '../wire/constants.js';
import type { ExportRuntime } from './export.js';
import type { LatencyHistogram } from './latency.js';
import type { NicCounters } from './stats.js';

// A module-level copy: V8 re-checks an imported binding at each use in optimized code (bench/initiator-hot-path.mjs).
const MIN_FRAME = constants.ETHERNET_MIN_FRAME;
const RETRY_MAX_DELAY_MS = 64;
/** After this many refused sends in a row (~4 s at the max delay) the queued replies are dropped; initiators retransmit. */
const RETRY_GIVE_UP = 70;
/**
 * Inside a receive batch, send early once this much work is queued (reply bytes, plus the payload a WRITE
 * reply acknowledges): the initiator can start on the first replies while we still work on the rest of the
 * batch (lock-step batches leave both sides idle in turn). Counting only reply bytes would hold 60-byte WRITE
 * replies until the batch ends, however much data they acknowledge.
 */
const EARLY_FLUSH_BYTES = 64 * 1024;

/** What the queue needs from a pooled frame: `frame` is pool.subarray(offset, ...), so a batch from one pool leaves via link.sendSlab. */
export interface QueuedFrame {
  frame: Buffer;
  pool: Buffer;
  offset: number;
  exportRuntime: ExportRuntime | null;
  /** performance.now() of the request's receive batch, or -1: the reply's latency is observed when it leaves. */
  arrivedAt: number;
}

export class SendQueue<T extends QueuedFrame> {
  /** While true (inside a receive batch) pushes do not schedule a flush: the batch flushes once at its end. */
  inBatch = false;
  private readonly frames: Buffer[] = [];
  private readonly slots: T[] = [];
  private readonly lengths: Uint32Array;
  private readonly offsets: Uint32Array;
  /** The pool every queued frame lives in, or null when they come from different pools (after an MTU change). */
  private pool: Buffer | null = null;
  private count = 0;
  /** Work queued since the last send (see EARLY_FLUSH_BYTES). */
  private work = 0;
  private flushScheduled = false;
  private retryTimer: NodeJS.Timeout | null = null;
  private retryDelay = 0;
  private retriesInRow = 0;

  constructor(
    private readonly link: Link,
    private readonly counters: NicCounters,
    capacity: number,
    private readonly release: (slot: T) => void,
  ) {
    this.lengths = new Uint32Array(capacity);
    this.offsets = new Uint32Array(capacity);
  }

  get pending(): number {
    return this.count;
  }

  /**
   * Queue a finished reply (padded to 60 bytes with zeros); it leaves with the rest of this tick's replies.
   * `work` is what the reply counts toward the early flush: its length, or more for a reply that acknowledges data.
   */
  push(slot: T, length: number, work = length): void {
    if (length < MIN_FRAME) {
      slot.frame.fill(0, length, MIN_FRAME);
      length = MIN_FRAME;
    }
    const index = this.count++;
    this.frames[index] = slot.frame;
    this.slots[index] = slot;
    this.lengths[index] = length;
    this.offsets[index] = slot.offset;
    if (index === 0) this.pool = slot.pool;
    else if (slot.pool !== this.pool) this.pool = null;
    this.work += work;
    if (this.work >= EARLY_FLUSH_BYTES && this.retryTimer === null) {
      this.flush();
      return;
    }
    if (!this.inBatch && !this.flushScheduled && this.retryTimer === null) {
      this.flushScheduled = true;
      setImmediate(this.flush);
    }
  }

  /** Send now, cancelling any backoff wait (link came back up). */
  kick(): void {
    if (this.retryTimer !== null) {
      clearTimeout(this.retryTimer);
      this.retryTimer = null;
    }
    this.flush();
  }

  readonly flush = (): void => {
    this.flushScheduled = false;
    const count = this.count;
    if (count === 0 || this.retryTimer !== null) return;
    const link = this.link;
    const pool = this.pool;
    const sent =
      pool !== null && link.sendSlab !== undefined
        ? link.sendSlab(pool, this.offsets, this.lengths, count)
        : link.send(this.frames, this.lengths, count);
    const accepted = Math.max(0, Math.min(count, sent));
    const counters = this.counters;
    // One clock read per send batch times every reply in it (LatencyHistogram). Replies of one receive batch share
    // their arrival time, so a run of them (same export, same arrival) is observed once, with its length.
    const now = accepted > 0 ? performance.now() : 0;
    let runHistogram: LatencyHistogram | null = null;
    let runArrivedAt = -1;
    let runLength = 0;
    for (let i = 0; i < accepted; i++) {
      const slot = this.slots[i];
      const length = this.lengths[i];
      counters.framesOut++;
      counters.bytesOut += length;
      const runtime = slot.exportRuntime;
      if (runtime !== null) {
        runtime.counters.framesOut++;
        runtime.counters.bytesOut += length;
        const arrivedAt = slot.arrivedAt;
        if (arrivedAt >= 0) {
          if (arrivedAt === runArrivedAt && runtime.latency === runHistogram) runLength++;
          else {
            if (runHistogram !== null) runHistogram.observeMany(now - runArrivedAt, runLength);
            runHistogram = runtime.latency;
            runArrivedAt = arrivedAt;
            runLength = 1;
          }
        }
      }
      this.release(slot);
    }
    if (runHistogram !== null) runHistogram.observeMany(now - runArrivedAt, runLength);
    if (accepted === count) {
      this.count = 0;
      this.work = 0;
      this.retryDelay = 0;
      this.retriesInRow = 0;
      return;
    }
    // The kernel refused the rest (EAGAIN/ENOBUFS, link down): keep them, in order, and retry with backoff.
    for (let i = accepted; i < count; i++) {
      this.frames[i - accepted] = this.frames[i];
      this.slots[i - accepted] = this.slots[i];
      this.lengths[i - accepted] = this.lengths[i];
      this.offsets[i - accepted] = this.offsets[i];
    }
    this.count = count - accepted;
    this.work = 0;
    for (let i = 0; i < this.count; i++) this.work += this.lengths[i];
    counters.sendRetries++;
    if (accepted > 0) this.retriesInRow = 0;
    if (++this.retriesInRow > RETRY_GIVE_UP) {
      counters.sendDropped += this.count;
      for (let i = 0; i < this.count; i++) this.release(this.slots[i]);
      this.count = 0;
      this.work = 0;
      this.retriesInRow = 0;
      this.retryDelay = 0;
      return;
    }
    this.retryDelay = this.retryDelay === 0 ? 1 : Math.min(this.retryDelay * 2, RETRY_MAX_DELAY_MS);
    this.retryTimer = setTimeout(this.onRetry, this.retryDelay);
  };

  private readonly onRetry = (): void => {
    this.retryTimer = null;
    this.flush();
  };

  stop(): void {
    if (this.retryTimer !== null) clearTimeout(this.retryTimer);
    this.retryTimer = null;
  }
}
