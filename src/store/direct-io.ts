// O_DIRECT support: finds a 512-aligned buffer address by probing (JS cannot see addresses) and bounces I/O through aligned chunks.
import fs from 'node:fs';
import path from 'node:path';
import { StoreError, type IoCallback } from './block-store.js';

/**
 * Why: O_DIRECT needs the *memory address* aligned to the device's DMA/logical block size (512 here) once an
 * I/O spans pages; Node Buffers are malloc'ed, typically 16 bytes past a 512 boundary, and a frame's data
 * sits at offset 36 anyway. JS cannot read an address, so we probe: try an 8 KiB O_DIRECT transfer from
 * offsets 0, 8, 16, ... of a fresh arena until the kernel stops answering EINVAL. The first accepted offset is
 * aligned as the device needs (the arena never moves: V8 does not relocate ArrayBuffer backing stores).
 * The data path then copies between the caller's buffer and an aligned chunk (one memcpy, cheap next to
 * the direct I/O itself).
 */
const PROBE_LENGTH = 8192;
/** Largest AoE transfer is 255 sectors (130560 bytes): chunks of 128 KiB, a multiple of 4096 so every chunk keeps the alignment. */
export const BOUNCE_CHUNK = 128 * 1024;

export type ProbeTransfer = (buf: Buffer, offset: number, length: number) => void;

/** A probe that writes zeros into a scratch file next to `filePath` (the same filesystem), opened O_DIRECT. */
export function scratchFileProbe(filePath: string): { probe: ProbeTransfer; done(): void } {
  const scratch = path.join(path.dirname(filePath), `.aoeblade-dio-probe-${process.pid}`);
  const fd = fs.openSync(scratch, fs.constants.O_RDWR | fs.constants.O_CREAT | fs.constants.O_DIRECT, 0o600);
  fs.unlinkSync(scratch);
  return {
    probe: (buf, offset, length) => void fs.writeSync(fd, buf, offset, length, 0),
    done: () => fs.closeSync(fd),
  };
}

/** Find the first offset in `arena` from which `probe` succeeds. Throws EINVAL when none does. */
export function findAlignedOffset(arena: Buffer, probe: ProbeTransfer): number {
  for (let offset = 0; offset < 4096; offset += 8) {
    try {
      probe(arena, offset, PROBE_LENGTH);
      return offset;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EINVAL') throw error;
    }
  }
  throw new StoreError('no O_DIRECT-aligned buffer offset found (does the filesystem support O_DIRECT?)', 'EINVAL');
}

interface QueuedOp {
  isRead: boolean;
  buf: Uint8Array;
  bufOffset: number;
  length: number;
  position: number;
  callback: IoCallback;
}

class BounceSlot {
  isRead = false;
  userBuf: Uint8Array | null = null;
  userOffset = 0;
  callback: IoCallback | null = null;
  readonly onDone: IoCallback;
  constructor(
    readonly pool: BouncePool,
    readonly chunk: Buffer,
  ) {
    this.onDone = (error, bytes) => pool.complete(this, error, bytes);
  }
}

/** Aligned bounce chunks for one O_DIRECT file descriptor; ops beyond the chunk count wait in FIFO order. */
export class BouncePool {
  private readonly free: BounceSlot[] = [];
  private readonly waiting: QueuedOp[] = [];

  constructor(
    private readonly fd: () => number,
    arena: Buffer,
    alignedOffset: number,
    chunkCount: number,
  ) {
    for (let i = 0; i < chunkCount; i++) {
      const start = alignedOffset + i * BOUNCE_CHUNK;
      this.free.push(new BounceSlot(this, arena.subarray(start, start + BOUNCE_CHUNK)));
    }
  }

  static create(fd: () => number, probe: ProbeTransfer, chunkCount = 32): BouncePool {
    const arena = Buffer.allocUnsafeSlow(chunkCount * BOUNCE_CHUNK + 8192);
    arena.fill(0, 0, 4096 + PROBE_LENGTH);
    return new BouncePool(fd, arena, findAlignedOffset(arena, probe), chunkCount);
  }

  submit(isRead: boolean, buf: Uint8Array, bufOffset: number, length: number, position: number, callback: IoCallback): void {
    if (length > BOUNCE_CHUNK) {
      callback(new StoreError(`O_DIRECT transfer of ${length} bytes exceeds ${BOUNCE_CHUNK}`, 'EINVAL'), 0);
      return;
    }
    const slot = this.free.pop();
    if (slot === undefined) {
      this.waiting.push({ isRead, buf, bufOffset, length, position, callback });
      return;
    }
    this.start(slot, isRead, buf, bufOffset, length, position, callback);
  }

  private start(
    slot: BounceSlot,
    isRead: boolean,
    buf: Uint8Array,
    bufOffset: number,
    length: number,
    position: number,
    callback: IoCallback,
  ): void {
    slot.isRead = isRead;
    slot.userBuf = buf;
    slot.userOffset = bufOffset;
    slot.callback = callback;
    if (isRead) {
      fs.read(this.fd(), slot.chunk, 0, length, position, slot.onDone);
    } else {
      slot.chunk.set(buf.subarray(bufOffset, bufOffset + length), 0);
      fs.write(this.fd(), slot.chunk, 0, length, position, slot.onDone);
    }
  }

  complete(slot: BounceSlot, error: Error | null, bytes: number): void {
    const callback = slot.callback as IoCallback;
    if (slot.isRead && error === null && bytes > 0) (slot.userBuf as Uint8Array).set(slot.chunk.subarray(0, bytes), slot.userOffset);
    slot.userBuf = null;
    slot.callback = null;
    const next = this.waiting.shift();
    if (next !== undefined) this.start(slot, next.isRead, next.buf, next.bufOffset, next.length, next.position, next.callback);
    else this.free.push(slot);
    callback(error, bytes);
  }
}
