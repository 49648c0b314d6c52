// Preallocated request frames of a device: tag = data bit | 15-bit generation | 16-bit entry index; frames built in place.
import { AtaCommand, ATA_DATA_OFFSET, AtaFlag, Command, ETHERNET_MIN_FRAME, SECTOR_SIZE } from '../wire/constants.js';
import * as ataArg from '../wire/ata-arg.js';
import * as frameHeader from '../wire/frame-header.js';
import type { Operation } from './operation.js';
import type { Path } from './path.js';
import { DATA_TAG_BIT } from './port.js';

// Module-level copies of the src/wire functions called per frame: V8 (Node 20) re-checks an imported binding at every
// call from optimized code (cell load, hole check, target check); a module const is folded away (bench/initiator-hot-path.mjs).
const { writeAtaRequest } = ataArg;
const { writeHeader, writeTag } = frameHeader;

/**
 * One entry per frame that can be in flight: its buffer in the slab and the record of what it carries.
 * Tags: bit 31 marks a data frame, bits 16-30 a per-entry generation bumped on every send, bits 0-15 the entry.
 * A reply whose tag is not the entry's current tag (late, duplicate, or for a retransmitted frame) is ignored.
 */
export class FrameTable {
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
  /** Each path's outstanding frames in send order, as a doubly linked list (path.oldestEntry .. path.newestEntry). */
  readonly nextOnPath: Int32Array;
  readonly previousOnPath: Int32Array;
  /** Tag and instant of the last frame fast-retransmitted out of this entry: a later reply to it proves reordering. */
  readonly lostTag: Uint32Array;
  readonly lostAt: Float64Array;
  readonly lostPath: Int16Array;
  private readonly generation: Uint16Array;
  /** Every frame lives in this one slab (entry i at i * frameSize), so a batch of requests leaves in one link.sendSlab(). */
  readonly slab: Buffer;
  readonly frames: Buffer[];
  /** Path whose Ethernet + AoE header the entry's frame holds, or -1: rewritten only when the path changes. */
  private readonly headerPath: Int16Array;
  /** 1 while the entry's frame is zero from the ATA data to the Ethernet minimum (a READ's padding); a WRITE's payload clears it. */
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
    for (let entry = 0; entry < this.count; entry += 1)
      this.frames.push(this.slab.subarray(entry * this.frameSize, (entry + 1) * this.frameSize));
    this.headerPath = new Int16Array(this.count).fill(-1);
    this.padded = new Uint8Array(this.count).fill(1);
    this.free = new Int32Array(this.count);
    for (let entry = 0; entry < this.count; entry += 1) this.free[entry] = this.count - 1 - entry;
    this.freeCount = this.count;
  }

  hasFree(): boolean {
    return this.freeCount > 0;
  }

  /**
   * Take an entry, build the ATA READ/WRITE frame for `bytes` at `op.offset + opOffset` on `path` and queue it on the
   * path's port. Returns the entry, or -1 when none is free.
   */
  issue(path: Path, op: Operation, opOffset: number, bytes: number, lba48: boolean, now: number): number {
    if (this.freeCount === 0) return -1;
    const entry = this.free[--this.freeCount];
    const generation = (this.generation[entry] + 1) & 0x7fff;
    this.generation[entry] = generation;
    const tag = (DATA_TAG_BIT | (generation << 16) | entry) >>> 0;
    const slab = this.slab;
    const at = entry * this.frameSize;
    if (this.headerPath[entry] !== path.index) {
      writeHeader(slab, at, path.targetMac, path.localMac, 0, path.shelf, path.slot, Command.Ata, tag);
      this.headerPath[entry] = path.index;
    } else {
      writeTag(slab, tag, at);
    }
    const write = op.kind === 'write';
    const command = lba48
      ? write
        ? AtaCommand.WriteSectorsExt
        : AtaCommand.ReadSectorsExt
      : write
        ? AtaCommand.WriteSectors
        : AtaCommand.ReadSectors;
    const flags = (lba48 ? AtaFlag.Extended : 0) | (write ? AtaFlag.Write : 0);
    writeAtaRequest(slab, at, flags, bytes / SECTOR_SIZE, command, (op.offset + opOffset) / SECTOR_SIZE);
    let length: number;
    if (write) {
      const source = op.buffer;
      slab.set(new Uint8Array(source.buffer, source.byteOffset + opOffset, bytes), at + ATA_DATA_OFFSET);
      this.padded[entry] = 0;
      length = ATA_DATA_OFFSET + bytes;
    } else {
      if (this.padded[entry] === 0) {
        slab.fill(0, at + ATA_DATA_OFFSET, at + ETHERNET_MIN_FRAME);
        this.padded[entry] = 1;
      }
      length = ETHERNET_MIN_FRAME;
    }
    this.op[entry] = op;
    this.opOffset[entry] = opOffset;
    this.bytes[entry] = bytes;
    this.path[entry] = path.index;
    this.sentAt[entry] = now;
    this.tag[entry] = tag;
    const previous = path.newestEntry;
    this.previousOnPath[entry] = previous;
    this.nextOnPath[entry] = -1;
    if (previous >= 0) this.nextOnPath[previous] = entry;
    this.sequence[entry] = path.onFrameSent(entry);
    this.inUse += 1;
    path.port.queue(this.frames[entry], slab, at, length);
    return entry;
  }

  /** Entry of a reply tag when it is the entry's live tag, else -1 (late/duplicate/foreign). */
  lookup(tag: number): number {
    const entry = tag & 0xffff;
    if (entry >= this.count || this.tag[entry] !== tag || this.op[entry] === null) return -1;
    return entry;
  }

  release(entry: number, paths: readonly Path[]): void {
    if (this.op[entry] === null) return;
    const previous = this.previousOnPath[entry];
    const next = this.nextOnPath[entry];
    if (previous >= 0) this.nextOnPath[previous] = next;
    if (next >= 0) this.previousOnPath[next] = previous;
    paths[this.path[entry]].onFrameReleased(previous, next);
    this.op[entry] = null;
    this.tag[entry] = 0;
    this.free[this.freeCount++] = entry;
    this.inUse -= 1;
  }
}
