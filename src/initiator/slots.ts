// Preallocated frame slots of a device: tag = data bit | 15-bit generation | 16-bit slot index; frames built in place.
import { AtaCommand, ATA_DATA_OFFSET, AtaFlag, ETHERNET_MIN_FRAME, SECTOR_SIZE } from '../wire/constants.js';
import type { Operation } from './operation.js';
import type { Path } from './path.js';
import { DATA_TAG_BIT } from './port.js';

/**
 * Tags: bit 31 marks a data frame, bits 16-30 a per-slot generation bumped on every send, bits 0-15 the slot.
 * A reply whose tag is not the slot's current tag (late, duplicate, or for a retransmitted frame) is ignored.
 */
export class SlotTable {
  readonly count: number;
  readonly frameSize: number;
  readonly capacitySectors: number;
  readonly op: (Operation | null)[];
  readonly opOffset: Float64Array;
  readonly bytes: Uint32Array;
  readonly path: Int16Array;
  readonly sentAt: Float64Array;
  readonly tag: Uint32Array;
  /** Per-path send sequence of the frame (orders frames sent in the same instant). */
  readonly sequence: Float64Array;
  /** Each path's outstanding frames in send order, as a doubly linked list (path.oldestSlot .. path.newestSlot). */
  readonly nextOnPath: Int32Array;
  readonly previousOnPath: Int32Array;
  /** Tag and instant of the last frame fast-retransmitted out of this slot: a later reply to it proves reordering. */
  readonly lostTag: Uint32Array;
  readonly lostAt: Float64Array;
  readonly lostPath: Int16Array;
  private readonly generation: Uint16Array;
  /** Every frame lives in this one slab (frame i at i * frameSize), so a batch of requests leaves in one link.sendSlab(). */
  readonly slab: Buffer;
  readonly frames: Buffer[];
  /** Path whose Ethernet + AoE header (bytes 0-19) the slot's frame holds, or -1: rewritten only when the path changes. */
  private readonly headerPath: Int16Array;
  /** 1 while bytes 36..59 of the slot's frame are zero (a READ's padding); a WRITE's payload clears it. */
  private readonly padded: Uint8Array;
  private readonly free: Int32Array;
  private freeCount: number;
  inUse = 0;

  constructor(count: number, frameSize: number) {
    this.count = Math.min(count, 0xffff);
    this.frameSize = Math.max(ETHERNET_MIN_FRAME, frameSize);
    this.capacitySectors = Math.floor((this.frameSize - ATA_DATA_OFFSET) / SECTOR_SIZE);
    this.op = new Array(this.count).fill(null);
    this.opOffset = new Float64Array(this.count);
    this.bytes = new Uint32Array(this.count);
    this.path = new Int16Array(this.count);
    this.sentAt = new Float64Array(this.count);
    this.tag = new Uint32Array(this.count);
    this.sequence = new Float64Array(this.count);
    this.nextOnPath = new Int32Array(this.count).fill(-1);
    this.previousOnPath = new Int32Array(this.count).fill(-1);
    this.lostTag = new Uint32Array(this.count);
    this.lostAt = new Float64Array(this.count);
    this.lostPath = new Int16Array(this.count);
    this.generation = new Uint16Array(this.count);
    this.slab = Buffer.alloc(this.count * this.frameSize);
    this.frames = [];
    for (let index = 0; index < this.count; index += 1) this.frames.push(this.slab.subarray(index * this.frameSize, (index + 1) * this.frameSize));
    this.headerPath = new Int16Array(this.count).fill(-1);
    this.padded = new Uint8Array(this.count).fill(1);
    this.free = new Int32Array(this.count);
    for (let index = 0; index < this.count; index += 1) this.free[index] = this.count - 1 - index;
    this.freeCount = this.count;
  }

  hasFree(): boolean {
    return this.freeCount > 0;
  }

  /**
   * Take a slot, build the ATA READ/WRITE frame for `bytes` at `op.offset + opOffset` on `path` and queue it on the
   * path's port. Returns the slot index, or -1 when none is free.
   */
  issue(path: Path, op: Operation, opOffset: number, bytes: number, lba48: boolean, now: number): number {
    if (this.freeCount === 0) return -1;
    const slot = this.free[--this.freeCount];
    const generation = (this.generation[slot] + 1) & 0x7fff;
    this.generation[slot] = generation;
    const tag = (DATA_TAG_BIT | (generation << 16) | slot) >>> 0;
    const frame = this.frames[slot];
    if (this.headerPath[slot] !== path.index) {
      frame.set(path.header, 0);
      this.headerPath[slot] = path.index;
    }
    frame[20] = tag >>> 24;
    frame[21] = (tag >>> 16) & 0xff;
    frame[22] = (tag >>> 8) & 0xff;
    frame[23] = tag & 0xff;
    const write = op.kind === 'write';
    const lba = (op.offset + opOffset) / SECTOR_SIZE;
    // AoEr11 §3.1 ATA argument at 24: aflags, err/feature, sector count, command, lba[6], reserved[2].
    frame[24] = (lba48 ? AtaFlag.Extended : 0) | (write ? AtaFlag.Write : 0);
    frame[25] = 0;
    frame[26] = bytes / SECTOR_SIZE;
    const low = lba >>> 0; // lba < 2^48: low 32 bits, then the high 16
    frame[28] = low & 0xff;
    frame[29] = (low >>> 8) & 0xff;
    frame[30] = (low >>> 16) & 0xff;
    if (lba48) {
      const high = (lba - low) / 0x100000000;
      frame[27] = write ? AtaCommand.WriteSectorsExt : AtaCommand.ReadSectorsExt;
      frame[31] = low >>> 24;
      frame[32] = high & 0xff;
      frame[33] = (high >>> 8) & 0xff;
    } else {
      frame[27] = write ? AtaCommand.WriteSectors : AtaCommand.ReadSectors;
      frame[31] = 0xe0 | ((low >>> 24) & 0x0f); // device register
      frame[32] = 0;
      frame[33] = 0;
    }
    frame[34] = 0;
    frame[35] = 0;
    let length: number;
    if (write) {
      const source = op.buffer;
      frame.set(new Uint8Array(source.buffer, source.byteOffset + opOffset, bytes), ATA_DATA_OFFSET);
      this.padded[slot] = 0;
      length = ATA_DATA_OFFSET + bytes;
    } else {
      if (this.padded[slot] === 0) {
        frame.fill(0, ATA_DATA_OFFSET, ETHERNET_MIN_FRAME);
        this.padded[slot] = 1;
      }
      length = ETHERNET_MIN_FRAME;
    }
    this.op[slot] = op;
    this.opOffset[slot] = opOffset;
    this.bytes[slot] = bytes;
    this.path[slot] = path.index;
    this.sentAt[slot] = now;
    this.tag[slot] = tag;
    this.sequence[slot] = ++path.sendSequence;
    this.previousOnPath[slot] = path.newestSlot;
    this.nextOnPath[slot] = -1;
    if (path.newestSlot >= 0) this.nextOnPath[path.newestSlot] = slot;
    else path.oldestSlot = slot;
    path.newestSlot = slot;
    this.inUse += 1;
    path.inflight += 1;
    path.budget.inflight += 1;
    path.framesSent += 1;
    path.port.queue(frame, this.slab, slot * this.frameSize, length);
    return slot;
  }

  /** Slot index of a reply tag when it is the slot's live tag, else -1 (late/duplicate/foreign). */
  lookup(tag: number): number {
    const slot = tag & 0xffff;
    if (slot >= this.count || this.tag[slot] !== tag || this.op[slot] === null) return -1;
    return slot;
  }

  release(slot: number, paths: readonly Path[]): void {
    if (this.op[slot] === null) return;
    const path = paths[this.path[slot]];
    path.inflight -= 1;
    path.budget.inflight -= 1;
    const previous = this.previousOnPath[slot];
    const next = this.nextOnPath[slot];
    if (previous >= 0) this.nextOnPath[previous] = next; else path.oldestSlot = next;
    if (next >= 0) this.previousOnPath[next] = previous; else path.newestSlot = previous;
    this.op[slot] = null;
    this.tag[slot] = 0;
    this.free[this.freeCount++] = slot;
    this.inUse -= 1;
  }
}
