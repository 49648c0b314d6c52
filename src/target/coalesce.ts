// Request merging for buffered file exports: contiguous READs / WRITEs of one receive batch become one preadv / pwritev (native, one slab).
import fs from 'node:fs';
import { loadSlabFileIo, type SlabFileIo } from '../link/native.js';
import { FileStore } from '../store/file-store.js';
import type { BlockStore } from '../store/block-store.js';
import { ATA_DATA_OFFSET } from '../wire/constants.js';
import type { ExportRuntime } from './export.js';
import type { RequestSlot } from './engine.js';

/** Most frames merged into one system call (well under IOV_MAX = 1024). */
const MAX_RUN = 256;
/**
 * Most bytes per merged run: replies leave only when their run is done, so runs stay about as large as the
 * send queue's early flush (64 KiB) and the initiator still sees replies while we work on the rest of a batch.
 */
const MAX_RUN_BYTES = 64 * 1024;

/** The file descriptor to merge on, or -1 when the store is not a buffered, event-loop FileStore. */
export function mergeableFd(store: BlockStore): number {
  return store instanceof FileStore && store.synchronous ? store.fd : -1;
}

/**
 * Collects a run of contiguous same-direction requests on one export and executes it with one vectored
 * system call. Every span of a run lies in one slab (the response pool's for reads, the receive batch's for
 * writes), so the native path passes that slab with typed offsets/lengths: no view, no per-frame N-API lookup.
 * Without the addon, cached Buffer views (per pooled frame, per receive-slab slot) go to fs.readvSync/writevSync.
 * Completion callbacks run in request order when the run is flushed.
 */
export class RequestMerger {
  private runtime: ExportRuntime | null = null;
  private fd = -1;
  private writing = false;
  private start = 0;
  private next = 0;
  private count = 0;
  private bytes = 0;
  private readonly slots: RequestSlot[] = [];
  /** The slab every span of the current run lies in, and each span's place in it. */
  private runSlab: Buffer | null = null;
  private readonly offsets = new Uint32Array(MAX_RUN);
  private readonly lengths = new Uint32Array(MAX_RUN);
  /** Fallback only: views of the spans, and cached views of received write payloads by slab slot index (valid for `slab` only). */
  private readonly views: Buffer[] = [];
  private slab: Buffer | null = null;
  private slabViews: Buffer[] = [];

  /** @param io native slab file I/O, or null for the fs.readvSync / fs.writevSync fallback (switch only between runs). */
  constructor(public io: SlabFileIo | null = loadSlabFileIo()) {}

  /** Queue a READ of `bytes` at byte `position` into slot.frame's data area. */
  read(runtime: ExportRuntime, fd: number, slot: RequestSlot, bytes: number, position: number): void {
    const pool = slot.pool;
    this.join(runtime, fd, false, position, pool);
    if (this.io !== null) {
      this.append(slot, slot.offset + ATA_DATA_OFFSET, bytes, position);
      return;
    }
    let view = slot.dataView;
    // The pool resets dataView whenever it rebinds slot.frame, so the length is the only thing to check (no .buffer getter per frame).
    if (view === null || view.length !== bytes) {
      view = slot.frame.subarray(ATA_DATA_OFFSET, ATA_DATA_OFFSET + bytes);
      slot.dataView = view;
    }
    this.views[this.count] = view;
    this.append(slot, 0, bytes, position);
  }

  /** Queue a WRITE of the payload at slab[offset + 36 ..] (slab slot `index`), which stays valid until the batch ends. */
  write(runtime: ExportRuntime, fd: number, slot: RequestSlot, slab: Buffer, index: number, offset: number, bytes: number, position: number): void {
    this.join(runtime, fd, true, position, slab);
    if (this.io !== null) {
      this.append(slot, offset + ATA_DATA_OFFSET, bytes, position);
      return;
    }
    if (slab !== this.slab) {
      this.slab = slab;
      this.slabViews = [];
    }
    let view = this.slabViews[index];
    if (view === undefined || view.length !== bytes || view.byteOffset !== slab.byteOffset + offset + ATA_DATA_OFFSET) {
      view = slab.subarray(offset + ATA_DATA_OFFSET, offset + ATA_DATA_OFFSET + bytes);
      this.slabViews[index] = view;
    }
    this.views[this.count] = view;
    this.append(slot, 0, bytes, position);
  }

  /** Execute the pending run (call before anything that must observe its effects, and at the end of each batch). */
  flush(): void {
    const count = this.count;
    if (count === 0) return;
    this.count = 0;
    const slab = this.runSlab as Buffer;
    this.runSlab = null;
    const lengths = this.lengths;
    let done: number;
    let failure: Error | null = null;
    try {
      const io = this.io;
      if (io !== null) {
        done = this.writing
          ? io.fileWriteSlab(this.fd, this.start, slab, this.offsets, lengths, count)
          : io.fileReadSlab(this.fd, this.start, slab, this.offsets, lengths, count);
      } else {
        const views = this.views;
        views.length = count;
        done = this.writing ? fs.writevSync(this.fd, views, this.start) : fs.readvSync(this.fd, views, this.start);
      }
    } catch (error) {
      failure = error as Error;
      done = 0;
    }
    this.runtime = null;
    for (let i = 0; i < count; i++) {
      const slot = this.slots[i];
      const size = lengths[i];
      // A short transfer (end of file: never expected inside the export) fails the requests it did not cover.
      const bytes = done >= size ? size : Math.max(0, done);
      done -= size;
      if (this.writing) slot.onWrite(failure, bytes);
      else slot.onRead(failure, bytes);
    }
  }

  /** Starts a new run unless this request continues the current one (same export, direction, slab, next byte, room left). */
  private join(runtime: ExportRuntime, fd: number, writing: boolean, position: number, slab: Buffer): void {
    if (
      this.count > 0 &&
      (runtime !== this.runtime || writing !== this.writing || position !== this.next || slab !== this.runSlab ||
        this.count >= MAX_RUN || this.bytes >= MAX_RUN_BYTES)
    ) {
      this.flush();
    }
    if (this.count === 0) {
      this.bytes = 0;
      this.runtime = runtime;
      this.fd = fd;
      this.writing = writing;
      this.start = position;
      this.next = position;
      this.runSlab = slab;
    }
  }

  private append(slot: RequestSlot, offset: number, bytes: number, position: number): void {
    const index = this.count++;
    this.slots[index] = slot;
    this.offsets[index] = offset;
    this.lengths[index] = bytes;
    this.next = position + bytes;
    this.bytes += bytes;
  }
}
