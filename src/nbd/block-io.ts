// Byte-granular reads and writes over a sector device: over-read for unaligned reads, locked read-modify-write for unaligned writes.
import type { BlockDevice } from './block-device.js';
import type { BufferPool } from './buffer-pool.js';

const SECTOR = 512;
const ZERO_CHUNK = 1024 * 1024;
const zeros = Buffer.alloc(ZERO_CHUNK);

/** One per exported device: all connections share it, so unaligned writes from any of them are serialized. */
export class BlockIo {
  private rmwTail: Promise<void> = Promise.resolve();

  constructor(
    readonly device: BlockDevice,
    private readonly pool: BufferPool,
  ) {}

  /** Read `target.length` bytes at `offset` into `target` (aligned requests go straight to the device). */
  async read(target: Buffer, offset: number): Promise<void> {
    const start = alignDown(offset);
    const end = alignUp(offset + target.length);
    if (start === offset && end === offset + target.length) return this.device.readInto(target, offset);
    const scratch = this.pool.acquire(end - start);
    try {
      await this.device.readInto(scratch.subarray(0, end - start), start);
      scratch.copy(target, 0, offset - start, offset - start + target.length);
    } finally {
      this.pool.release(scratch);
    }
  }

  /** Write `data` at `offset`. Unaligned edges are merged with the current sectors under one lock. */
  write(offset: number, data: Buffer): Promise<void> {
    const start = alignDown(offset);
    const end = alignUp(offset + data.length);
    if (start === offset && end === offset + data.length) return this.device.write(offset, data);
    return this.locked(async () => {
      const scratch = this.pool.acquire(end - start);
      const merged = scratch.subarray(0, end - start);
      try {
        const headEnd = Math.min(start + SECTOR, end);
        await this.device.readInto(merged.subarray(0, headEnd - start), start);
        if (end - SECTOR >= headEnd) await this.device.readInto(merged.subarray(end - SECTOR - start), end - SECTOR);
        data.copy(merged, offset - start);
        await this.device.write(start, merged);
      } finally {
        this.pool.release(scratch);
      }
    });
  }

  /** Write `length` zero bytes at `offset`, in 1 MiB pieces from one shared zero buffer, all in flight together. */
  async writeZeroes(offset: number, length: number): Promise<void> {
    const pieces: Promise<void>[] = [];
    let position = offset;
    const end = offset + length;
    // An unaligned head goes alone so that the rest is aligned.
    if (position % SECTOR !== 0) {
      const bytes = Math.min(end, alignUp(position)) - position;
      pieces.push(this.write(position, zeros.subarray(0, bytes)));
      position += bytes;
    }
    while (position < end) {
      const bytes = Math.min(ZERO_CHUNK, end - position);
      pieces.push(this.write(position, zeros.subarray(0, bytes)));
      position += bytes;
    }
    const results = await Promise.allSettled(pieces);
    const failed = results.find((result) => result.status === 'rejected');
    if (failed) throw (failed as PromiseRejectedResult).reason;
  }

  private locked(task: () => Promise<void>): Promise<void> {
    const run = this.rmwTail.then(task);
    this.rmwTail = run.catch(() => {});
    return run;
  }
}

function alignDown(value: number): number {
  return value - (value % SECTOR);
}

function alignUp(value: number): number {
  return Math.ceil(value / SECTOR) * SECTOR;
}
