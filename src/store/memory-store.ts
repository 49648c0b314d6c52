// A RAM disk BlockStore (`ram:1G`), backed by 1 GiB Buffer chunks, no larger than the memory available; completions run synchronously.
import os from 'node:os';
import { StoreError, type BlockStore, type FlushCallback, type IoCallback } from './block-store.js';

const CHUNK_BITS = 30;
const CHUNK_SIZE = 2 ** CHUNK_BITS; // 1 GiB per Buffer keeps every chunk well under Node's Buffer limit

/** Memory this process could still get (cgroup limits included where Node knows them), in bytes. */
export function availableMemoryBytes(): number {
  const fromProcess = (process as { availableMemory?: () => number }).availableMemory?.();
  return typeof fromProcess === 'number' && fromProcess > 0 ? fromProcess : os.freemem();
}

function formatBytes(bytes: number): string {
  const units = ['bytes', 'KiB', 'MiB', 'GiB', 'TiB', 'PiB'];
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit += 1;
  }
  return `${Number.isInteger(value) ? value : value.toFixed(1)} ${units[unit]}`;
}

/**
 * Memory is calloc'ed (Buffer.alloc) so untouched pages cost nothing until written. A RAM disk larger than the
 * memory available is refused (ENOMEM) before anything is allocated: filling it would get the process killed.
 * Callbacks run synchronously, before read/write/flush return (`synchronous` = true).
 */
export class MemoryStore implements BlockStore {
  readonly size: number;
  readonly readOnly: boolean;
  readonly synchronous = true;
  readonly description: string;
  private readonly chunks: Buffer[] = [];
  /** The chunks' shared memory, when made with `shared` (worker threads open the same disk over it). */
  readonly sharedChunks: SharedArrayBuffer[] | undefined;

  /** `shared`: allocate from SharedArrayBuffers, so worker threads can serve the same RAM disk (MemoryStore.overShared). */
  constructor(size: number, options: { readOnly?: boolean; shared?: boolean; chunks?: SharedArrayBuffer[] } = {}) {
    if (!Number.isSafeInteger(size) || size <= 0 || size % 512 !== 0) {
      throw new StoreError(`RAM disk size must be a positive multiple of 512 bytes, got ${size}`, 'EINVAL');
    }
    const available = options.chunks !== undefined ? Number.POSITIVE_INFINITY : availableMemoryBytes();
    if (size > available) {
      throw new StoreError(`a RAM disk of ${formatBytes(size)} does not fit in memory: ${formatBytes(available)} is available`, 'ENOMEM');
    }
    this.size = size;
    this.readOnly = options.readOnly ?? false;
    try {
      if (options.chunks !== undefined) for (const chunk of options.chunks) this.chunks.push(Buffer.from(chunk));
      else if (options.shared) {
        for (let remaining = size; remaining > 0; remaining -= CHUNK_SIZE)
          this.chunks.push(Buffer.from(new SharedArrayBuffer(Math.min(remaining, CHUNK_SIZE))));
      } else
        for (let remaining = size; remaining > 0; remaining -= CHUNK_SIZE) this.chunks.push(Buffer.alloc(Math.min(remaining, CHUNK_SIZE)));
    } catch (error) {
      this.chunks.length = 0;
      throw new StoreError(`cannot allocate a RAM disk of ${formatBytes(size)}: ${(error as Error).message}`, 'ENOMEM');
    }
    this.description = `ram ${size} bytes${this.readOnly ? ' (read-only)' : ''}`;
    this.sharedChunks = options.shared || options.chunks ? this.chunks.map((chunk) => chunk.buffer as SharedArrayBuffer) : undefined;
  }

  /** The same RAM disk as `chunks` (another thread's MemoryStore.sharedChunks): no copy, no new memory. */
  static overShared(size: number, chunks: SharedArrayBuffer[], readOnly = false): MemoryStore {
    return new MemoryStore(size, { readOnly, chunks });
  }

  private copy(toStore: boolean, buf: Uint8Array, bufOffset: number, length: number, position: number): number {
    if (position < 0 || length < 0 || position + length > this.size) throw new StoreError('access outside the RAM disk', 'ERANGE');
    let done = 0;
    while (done < length) {
      const at = position + done;
      const chunk = this.chunks[Math.floor(at / CHUNK_SIZE)];
      const within = at % CHUNK_SIZE;
      const count = Math.min(length - done, chunk.length - within);
      if (toStore) chunk.set(buf.subarray(bufOffset + done, bufOffset + done + count), within);
      else buf.set(chunk.subarray(within, within + count), bufOffset + done);
      done += count;
    }
    return done;
  }

  read(buf: Uint8Array, bufOffset: number, length: number, position: number, callback: IoCallback): void {
    let bytes: number;
    try {
      bytes = this.copy(false, buf, bufOffset, length, position);
    } catch (error) {
      callback(error as Error, 0);
      return;
    }
    callback(null, bytes);
  }

  write(buf: Uint8Array, bufOffset: number, length: number, position: number, callback: IoCallback): void {
    if (this.readOnly) {
      callback(new StoreError('store is read-only', 'EROFS'), 0);
      return;
    }
    let bytes: number;
    try {
      bytes = this.copy(true, buf, bufOffset, length, position);
    } catch (error) {
      callback(error as Error, 0);
      return;
    }
    callback(null, bytes);
  }

  flush(callback: FlushCallback): void {
    callback(null);
  }

  async close(): Promise<void> {
    this.chunks.length = 0;
  }
}
