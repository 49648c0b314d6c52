// The BlockStore interface every export serves from, its error type and Promise wrappers for control paths.

/** Completion of a read or write: `bytes` is the number of bytes transferred. */
export type IoCallback = (error: Error | null, bytes: number) => void;
export type FlushCallback = (error: Error | null) => void;

/**
 * Vectored I/O on the calling thread between the store's bytes [position, position + sum of lengths) and `count`
 * spans of one slab (span i = slab[offsets[i] .. offsets[i] + lengths[i]), in order). Returns the bytes moved:
 * fewer than asked only at the end of the store. Throws errno errors (code EIO, ENOSPC, ...).
 */
export type SlabTransfer = (position: number, slab: Uint8Array, offsets: Uint32Array, lengths: Uint32Array, count: number) => number;

/**
 * A byte-addressed backing store. Hot-path methods are callback style so that callers can pass
 * preallocated, pre-bound callbacks and allocate nothing per request.
 *
 * Contract:
 *  - `position` and `length` are bytes; callers keep them inside [0, size).
 *  - A callback is called exactly once. It MAY run synchronously, before the method returns
 *    (MemoryStore does, `synchronous` is then true); callers must not rely on either order.
 *  - `buf` must stay untouched until the callback runs.
 */
export interface BlockStore {
  /** Size in bytes. */
  readonly size: number;
  readonly readOnly: boolean;
  /** True when callbacks always run before read/write/flush return (no need to copy buffers). */
  readonly synchronous: boolean;
  /** Human description for logs: 'file /var/tmp/x (O_SYNC)', 'ram 1 GiB'. */
  readonly description: string;
  read(buf: Uint8Array, bufOffset: number, length: number, position: number, callback: IoCallback): void;
  write(buf: Uint8Array, bufOffset: number, length: number, position: number, callback: IoCallback): void;
  /** Make written data durable (fdatasync for files), then call back. */
  flush(callback: FlushCallback): void;
  /**
   * Optional merged I/O (see SlabTransfer): one system call for a run of contiguous requests. Offered only
   * where a blocking call on the event loop is cheap (buffered files); the target merges requests when present.
   */
  readonly readSlab?: SlabTransfer;
  readonly writeSlab?: SlabTransfer;
  close(): Promise<void>;
}

/** Store errors carry a stable code (errno names for system errors). */
export class StoreError extends Error {
  readonly code: string;
  constructor(message: string, code: string) {
    super(message);
    this.name = 'StoreError';
    this.code = code;
  }
}

export function readAsync(store: BlockStore, buf: Uint8Array, bufOffset: number, length: number, position: number): Promise<number> {
  return new Promise((resolve, reject) => {
    store.read(buf, bufOffset, length, position, (error, bytes) => (error ? reject(error) : resolve(bytes)));
  });
}

export function writeAsync(store: BlockStore, buf: Uint8Array, bufOffset: number, length: number, position: number): Promise<number> {
  return new Promise((resolve, reject) => {
    store.write(buf, bufOffset, length, position, (error, bytes) => (error ? reject(error) : resolve(bytes)));
  });
}

export function flushAsync(store: BlockStore): Promise<void> {
  return new Promise((resolve, reject) => {
    store.flush((error) => (error ? reject(error) : resolve()));
  });
}
