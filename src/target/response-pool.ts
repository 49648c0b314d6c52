// Response frames of one NIC: one slab, each RequestSlot a fixed view into it (made once, not per request), regrown when the MTU grows.
import type { FlushCallback, IoCallback } from '../store/block-store.js';
import { ETHERTYPE_AOE } from '../wire/constants.js';
import { writeMac } from '../wire/mac.js';
import { completeFlush, completeRead, completeWrite } from './ata.js';
import type { NicEngine } from './engine.js';
import type { ExportRuntime } from './export.js';

const EMPTY = Buffer.alloc(0);

/** One pooled response frame with its pre-bound completion callbacks (no closure per request). */
export class RequestSlot {
  /** pool.subarray(offset, offset + frame size), set when the slot is bound to a slab. */
  frame: Buffer = EMPTY;
  /** The slab holding `frame` (the send queue passes it to link.sendSlab with `offset`). */
  pool: Buffer = EMPTY;
  offset = 0;
  exportRuntime: ExportRuntime | null = null;
  /** Bytes the pending store operation must transfer. */
  expected = 0;
  /** Cached view of frame's data area for merged reads on the fs.readvSync fallback (see coalesce.ts). */
  dataView: Buffer | null = null;
  readonly onRead: IoCallback;
  readonly onWrite: IoCallback;
  readonly onFlush: FlushCallback;
  constructor(readonly engine: NicEngine, readonly index: number) {
    this.onRead = (error, bytes) => completeRead(this, error, bytes);
    this.onWrite = (error, bytes) => completeWrite(this, error, bytes);
    this.onFlush = (error) => completeFlush(this, error);
  }
}

export class ResponsePool {
  readonly slots: RequestSlot[] = [];
  private readonly free: RequestSlot[] = [];
  private slab: Buffer = EMPTY;
  private frameSize = 0;

  constructor(engine: NicEngine, size: number, private readonly mac: number, frameSize: number) {
    for (let i = 0; i < size; i++) this.slots.push(new RequestSlot(engine, i));
    for (let i = size - 1; i >= 0; i--) this.free.push(this.slots[i]);
    this.ensureFrameSize(frameSize);
  }

  get available(): number {
    return this.free.length;
  }

  /** Grows every frame to at least `frameSize` bytes: a new slab; slots in flight move to it when next taken. */
  ensureFrameSize(frameSize: number): void {
    if (frameSize <= this.frameSize) return;
    const slab = Buffer.alloc(frameSize * this.slots.length);
    for (let offset = 0; offset < slab.length; offset += frameSize) {
      writeMac(slab, offset + 6, this.mac);
      slab.writeUInt16BE(ETHERTYPE_AOE, offset + 12);
    }
    this.slab = slab;
    this.frameSize = frameSize;
    for (const slot of this.free) this.bind(slot);
  }

  /** A free slot (its frame has our source MAC and the AoE EtherType in place), or undefined when all are in use. */
  take(): RequestSlot | undefined {
    const slot = this.free.pop();
    if (slot !== undefined && slot.pool !== this.slab) this.bind(slot);
    return slot;
  }

  give(slot: RequestSlot): void {
    this.free.push(slot);
  }

  private bind(slot: RequestSlot): void {
    const offset = slot.index * this.frameSize;
    slot.pool = this.slab;
    slot.offset = offset;
    slot.frame = this.slab.subarray(offset, offset + this.frameSize);
    slot.dataView = null;
  }
}
