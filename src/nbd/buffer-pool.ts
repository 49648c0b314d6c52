// Reusable read buffers in power-of-two size classes, so the read path does not allocate per request; keeps a bounded total.

const MIN_CLASS = 12; // 4 KiB
const KEEP_PER_CLASS = 64;
/** Free buffers kept for reuse, all classes together (more is handed back to the allocator). */
export const DEFAULT_MAX_POOLED_BYTES = 64 * 1024 * 1024;

/** The full length of the buffer acquire(length) hands out. */
export function pooledSize(length: number): number {
  return 2 ** Math.max(MIN_CLASS, Math.ceil(Math.log2(Math.max(1, length))));
}

export class BufferPool {
  private readonly free = new Map<number, Buffer[]>();
  private pooled = 0;

  constructor(private readonly maxPooledBytes = DEFAULT_MAX_POOLED_BYTES) {}

  /** Bytes held in free buffers right now. */
  get pooledBytes(): number {
    return this.pooled;
  }

  /** A buffer of at least `length` bytes (its full length is a power of two); give it back with release(). */
  acquire(length: number): Buffer {
    const size = pooledSize(length);
    const reused = this.free.get(size)?.pop();
    if (reused) {
      this.pooled -= size;
      return reused;
    }
    return Buffer.allocUnsafeSlow(size);
  }

  release(buffer: Buffer): void {
    const size = buffer.length;
    if (size !== pooledSize(size) || this.pooled + size > this.maxPooledBytes) return;
    let list = this.free.get(size);
    if (!list) this.free.set(size, (list = []));
    if (list.length >= KEEP_PER_CLASS) return;
    list.push(buffer);
    this.pooled += size;
  }

  /** Drop every free buffer (the server does when its last connection closes). */
  clear(): void {
    this.free.clear();
    this.pooled = 0;
  }
}
