// Reusable read buffers in power-of-two size classes, so the read path does not allocate per request.

const MIN_CLASS = 12; // 4 KiB
const KEEP_PER_CLASS = 64;
const KEEP_BYTES_PER_CLASS = 64 * 1024 * 1024;

export class BufferPool {
  private readonly free = new Map<number, Buffer[]>();

  /** A buffer of at least `length` bytes (its full length is a power of two); give it back with release(). */
  acquire(length: number): Buffer {
    const sizeClass = Math.max(MIN_CLASS, Math.ceil(Math.log2(Math.max(1, length))));
    const list = this.free.get(sizeClass);
    return list?.pop() ?? Buffer.allocUnsafeSlow(2 ** sizeClass);
  }

  release(buffer: Buffer): void {
    const sizeClass = Math.log2(buffer.length);
    if (!Number.isInteger(sizeClass) || sizeClass < MIN_CLASS) return;
    let list = this.free.get(sizeClass);
    if (!list) this.free.set(sizeClass, (list = []));
    if (list.length < Math.max(1, Math.min(KEEP_PER_CLASS, KEEP_BYTES_PER_CLASS / buffer.length))) list.push(buffer);
  }
}
