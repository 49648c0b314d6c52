// Double-buffered receive slab for memory links: frames are copied into slots, then handed over as one batch.
import type { FrameBatchHandler, LinkStats } from './link.js';

export class ReceiveSlab {
  private slotSize: number;
  private slabs: [Buffer, Buffer];
  private readonly lengthArrays: [Uint32Array, Uint32Array];
  private filling = 0;
  private pendingCount = 0;

  constructor(
    private readonly slotCount: number,
    slotSize: number,
  ) {
    this.slotSize = slotSize;
    this.slabs = [Buffer.alloc(slotCount * slotSize), Buffer.alloc(slotCount * slotSize)];
    this.lengthArrays = [new Uint32Array(slotCount), new Uint32Array(slotCount)];
  }

  get pending(): number {
    return this.pendingCount;
  }

  get maximumFrameLength(): number {
    return this.slotSize;
  }

  /** Copy one frame into the next free slot; false when every slot is taken. */
  push(frame: Uint8Array, length: number): boolean {
    if (this.pendingCount >= this.slotCount) return false;
    const slot = this.pendingCount++;
    Buffer.prototype.copy.call(frame, this.slabs[this.filling], slot * this.slotSize, 0, length);
    this.lengthArrays[this.filling][slot] = length;
    return true;
  }

  /**
   * Hand the pending frames to `handler` as one batch and switch filling to the other slab, so frames
   * that arrive while the handler runs (it may send) never overwrite what it is reading. Counts the
   * batch in `stats` (framesIn, bytesIn, batchesIn) before calling the handler.
   */
  deliver(handler: FrameBatchHandler, stats: LinkStats): void {
    const index = this.filling;
    const count = this.pendingCount;
    const lengths = this.lengthArrays[index];
    this.filling = index ^ 1;
    this.pendingCount = 0;
    let bytes = 0;
    for (let i = 0; i < count; i++) bytes += lengths[i];
    stats.framesIn += count;
    stats.bytesIn += bytes;
    stats.batchesIn++;
    handler(this.slabs[index], this.slotSize, lengths, count);
  }

  /** Larger slots (the MTU outgrew them), keeping the frames not yet delivered. */
  grow(slotSize: number): void {
    if (slotSize <= this.slotSize) return;
    const slabs: [Buffer, Buffer] = [Buffer.alloc(this.slotCount * slotSize), Buffer.alloc(this.slotCount * slotSize)];
    const old = this.slabs[this.filling];
    const lengths = this.lengthArrays[this.filling];
    for (let i = 0; i < this.pendingCount; i++) {
      old.copy(slabs[this.filling], i * slotSize, i * this.slotSize, i * this.slotSize + lengths[i]);
    }
    this.slabs = slabs;
    this.slotSize = slotSize;
  }
}
