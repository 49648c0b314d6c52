// Request merging for stores with slab I/O (buffered files): contiguous READs / WRITEs of one receive batch become one preadv / pwritev.
import type { BlockStore } from '../store/block-store.js';
import * as constants from '../wire/constants.js';
import type { ExportRuntime } from './export.js';
import type { ReplyFrame } from './reply-pool.js';

const DATA = constants.ATA_DATA_OFFSET; // A module-level copy: V8 re-checks an imported binding at each use in optimized code (bench/initiator-hot-path.mjs).

/** Most frames merged into one system call (well under IOV_MAX = 1024). */
const MAX_RUN = 256;
/**
 * Most bytes per merged run: replies leave only when their run is done, so runs stay about as large as the
 * send queue's early flush (64 KiB) and the initiator still sees replies while we work on the rest of a batch.
 */
const MAX_RUN_BYTES = 64 * 1024;

/** True when the store offers merged I/O (BlockStore.readSlab / writeSlab). */
export function canMerge(store: BlockStore): boolean {
  return store.readSlab !== undefined;
}

/**
 * Collects a run of contiguous same-direction requests on one export and executes it with one store slab
 * transfer. Every span of a run lies in one slab (the reply pool's for reads, the receive batch's for writes),
 * so the store gets that slab with typed offsets/lengths: no view, no per-frame lookup. Completion callbacks
 * run in request order when the run is flushed.
 */
export class RequestMerger {
  private runtime: ExportRuntime | null = null;
  private writing = false;
  private start = 0;
  private next = 0;
  private count = 0;
  private bytes = 0;
  private readonly frames: ReplyFrame[] = [];
  /** The slab every span of the current run lies in, and each span's place in it. */
  private runSlab: Buffer | null = null;
  private readonly offsets = new Uint32Array(MAX_RUN);
  private readonly lengths = new Uint32Array(MAX_RUN);

  /** Queue a READ of `bytes` at byte `position` into the reply frame's data area. */
  read(runtime: ExportRuntime, reply: ReplyFrame, bytes: number, position: number): void {
    this.join(runtime, false, position, reply.pool);
    this.append(reply, reply.offset + DATA, bytes, position);
  }

  /** Queue a WRITE of the payload at slab[offset + 36 ..], which stays valid until the batch ends. */
  write(runtime: ExportRuntime, reply: ReplyFrame, slab: Buffer, offset: number, bytes: number, position: number): void {
    this.join(runtime, true, position, slab);
    this.append(reply, offset + DATA, bytes, position);
  }

  /** Execute the pending run (call before anything that must observe its effects, and at the end of each batch). */
  flush(): void {
    const count = this.count;
    if (count === 0) return;
    this.count = 0;
    const slab = this.runSlab as Buffer;
    this.runSlab = null;
    const store = (this.runtime as ExportRuntime).store;
    this.runtime = null;
    const lengths = this.lengths;
    let done: number;
    let failure: Error | null = null;
    try {
      const transfer = this.writing ? store.writeSlab : store.readSlab;
      done = (transfer as NonNullable<BlockStore['readSlab']>)(this.start, slab, this.offsets, lengths, count);
    } catch (error) {
      failure = error as Error;
      done = 0;
    }
    for (let i = 0; i < count; i++) {
      const reply = this.frames[i];
      const size = lengths[i];
      // A short transfer (end of file: never expected inside the export) fails the requests it did not cover.
      const bytes = done >= size ? size : Math.max(0, done);
      done -= size;
      if (this.writing) reply.onWrite(failure, bytes);
      else reply.onRead(failure, bytes);
    }
  }

  /** Starts a new run unless this request continues the current one (same export, direction, slab, next byte, room left). */
  private join(runtime: ExportRuntime, writing: boolean, position: number, slab: Buffer): void {
    if (
      this.count > 0 &&
      (runtime !== this.runtime ||
        writing !== this.writing ||
        position !== this.next ||
        slab !== this.runSlab ||
        this.count >= MAX_RUN ||
        this.bytes >= MAX_RUN_BYTES)
    ) {
      this.flush();
    }
    if (this.count === 0) {
      this.bytes = 0;
      this.runtime = runtime;
      this.writing = writing;
      this.start = position;
      this.next = position;
      this.runSlab = slab;
    }
  }

  private append(reply: ReplyFrame, offset: number, bytes: number, position: number): void {
    const index = this.count++;
    this.frames[index] = reply;
    this.offsets[index] = offset;
    this.lengths[index] = bytes;
    this.next = position + bytes;
    this.bytes += bytes;
  }
}
