// Test store: a MemoryStore whose next writes or flushes can be made to fail with an errno code, errseq style (reported once).
import type { BlockStore, FlushCallback, IoCallback } from '../../src/store/block-store.js';
import { MemoryStore } from '../../src/store/memory-store.js';

function errno(code: string): Error {
  return Object.assign(new Error(`${code}: injected by the test`), { code });
}

export class FaultyStore implements BlockStore {
  readonly inner: MemoryStore;
  readonly readOnly = false;
  readonly synchronous = true;
  readonly description = 'faulty ram';
  /** Codes the next writes fail with, in order. */
  readonly writeFailures: string[] = [];
  /** Codes the next flushes fail with, in order; like Linux, a failure is reported once and the next flush succeeds. */
  readonly flushFailures: string[] = [];
  flushes = 0;

  constructor(size: number) {
    this.inner = new MemoryStore(size);
  }

  get size(): number {
    return this.inner.size;
  }

  read(buf: Uint8Array, bufOffset: number, length: number, position: number, callback: IoCallback): void {
    this.inner.read(buf, bufOffset, length, position, callback);
  }

  write(buf: Uint8Array, bufOffset: number, length: number, position: number, callback: IoCallback): void {
    const code = this.writeFailures.shift();
    if (code !== undefined) callback(errno(code), 0);
    else this.inner.write(buf, bufOffset, length, position, callback);
  }

  flush(callback: FlushCallback): void {
    this.flushes += 1;
    const code = this.flushFailures.shift();
    callback(code === undefined ? null : errno(code));
  }

  close(): Promise<void> {
    return this.inner.close();
  }
}
