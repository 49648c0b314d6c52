// Incoming socket bytes as a queue of chunks: take or peek N bytes as a view (one chunk) or one copy (spanning chunks), or skip them.

export class ByteQueue {
  private chunks: Buffer[] = [];
  /** Read position inside chunks[0]. */
  private head = 0;
  length = 0;

  push(chunk: Buffer): void {
    if (chunk.length === 0) return;
    this.chunks.push(chunk);
    this.length += chunk.length;
  }

  /** The next `count` bytes (count <= length): a view when they lie in one chunk, else one concatenated copy. */
  take(count: number): Buffer {
    if (count > this.length) throw new RangeError(`take(${count}) with ${this.length} queued`);
    this.length -= count;
    const first = this.chunks[0];
    if (first !== undefined && first.length - this.head >= count) {
      const view = first.subarray(this.head, this.head + count);
      this.advance(first, count);
      return view;
    }
    const out = Buffer.allocUnsafe(count);
    let filled = 0;
    while (filled < count) {
      const chunk = this.chunks[0];
      const bytes = Math.min(count - filled, chunk.length - this.head);
      chunk.copy(out, filled, this.head, this.head + bytes);
      filled += bytes;
      this.advance(chunk, bytes);
    }
    return out;
  }

  /** The next `count` bytes (count <= length) without consuming them: a view when they lie in one chunk, else a copy. */
  peek(count: number): Buffer {
    if (count > this.length) throw new RangeError(`peek(${count}) with ${this.length} queued`);
    const first = this.chunks[0];
    if (first !== undefined && first.length - this.head >= count) return first.subarray(this.head, this.head + count);
    const out = Buffer.allocUnsafe(count);
    let filled = 0;
    for (let index = 0, start = this.head; filled < count; index += 1, start = 0) {
      const chunk = this.chunks[index];
      filled += chunk.copy(out, filled, start, Math.min(chunk.length, start + count - filled));
    }
    return out;
  }

  /** Drop up to `count` bytes; returns how many were dropped. */
  skip(count: number): number {
    const bytes = Math.min(count, this.length);
    let left = bytes;
    this.length -= bytes;
    while (left > 0) {
      const chunk = this.chunks[0];
      const step = Math.min(left, chunk.length - this.head);
      left -= step;
      this.advance(chunk, step);
    }
    return bytes;
  }

  clear(): void {
    this.chunks = [];
    this.head = 0;
    this.length = 0;
  }

  private advance(chunk: Buffer, bytes: number): void {
    this.head += bytes;
    if (this.head === chunk.length) {
      this.chunks.shift();
      this.head = 0;
    }
  }
}
