// Reply frames of one NIC: one slab, each ReplyFrame a fixed view into it (made once, not per request), regrown when the MTU grows.
import type { FlushCallback, IoCallback } from '../store/block-store.js';
import { BROADCAST_MAC } from '../wire/constants.js';
import { writeHeader } from '../wire/frame-header.js';
import { completeFlush, completeRead, completeWrite } from './ata-reply.js';
import type { NicEngine } from './engine.js';
import type { ExportRuntime } from './export.js';

const EMPTY = Buffer.alloc(0);

/** One pooled reply frame with its pre-bound completion callbacks (no closure per request). */
export class ReplyFrame {
  /** pool.subarray(offset, offset + frame size), set when the frame is bound to a slab. */
  frame: Buffer = EMPTY;
  /** The slab holding `frame` (the send queue passes it to link.sendSlab with `offset`). */
  pool: Buffer = EMPTY;
  offset = 0;
  exportRuntime: ExportRuntime | null = null;
  /** performance.now() of the receive batch the request came in (-1: an unsolicited frame); the send queue times the reply from it. */
  arrivedAt = -1;
  /** Bytes the pending store operation must transfer. */
  expected = 0;
  readonly onRead: IoCallback;
  readonly onWrite: IoCallback;
  readonly onFlush: FlushCallback;
  constructor(
    readonly engine: NicEngine,
    readonly index: number,
  ) {
    this.onRead = (error, bytes) => completeRead(this, error, bytes);
    this.onWrite = (error, bytes) => completeWrite(this, error, bytes);
    this.onFlush = (error) => completeFlush(this, error);
  }
}

export class ReplyPool {
  readonly frames: ReplyFrame[] = [];
  private readonly free: ReplyFrame[] = [];
  private slab: Buffer = EMPTY;
  private frameSize = 0;

  constructor(
    engine: NicEngine,
    size: number,
    private readonly mac: number,
    frameSize: number,
  ) {
    for (let i = 0; i < size; i++) this.frames.push(new ReplyFrame(engine, i));
    for (let i = size - 1; i >= 0; i--) this.free.push(this.frames[i]);
    this.ensureFrameSize(frameSize);
  }

  get available(): number {
    return this.free.length;
  }

  /** Grows every frame to at least `frameSize` bytes: a new slab; frames in flight move to it when next taken. */
  ensureFrameSize(frameSize: number): void {
    if (frameSize <= this.frameSize) return;
    const slab = Buffer.alloc(frameSize * this.frames.length);
    // Our source MAC and the EtherType are written once here; each reply then writes the rest of its header.
    for (let offset = 0; offset < slab.length; offset += frameSize) writeHeader(slab, offset, BROADCAST_MAC, this.mac, 0, 0, 0, 0, 0);
    this.slab = slab;
    this.frameSize = frameSize;
    for (const reply of this.free) this.bind(reply);
  }

  /** A free frame (our source MAC and the AoE EtherType in place), or undefined when all are in use. */
  take(): ReplyFrame | undefined {
    const reply = this.free.pop();
    if (reply !== undefined && reply.pool !== this.slab) this.bind(reply);
    return reply;
  }

  give(reply: ReplyFrame): void {
    this.free.push(reply);
  }

  private bind(reply: ReplyFrame): void {
    const offset = reply.index * this.frameSize;
    reply.pool = this.slab;
    reply.offset = offset;
    reply.frame = this.slab.subarray(offset, offset + this.frameSize);
  }
}
