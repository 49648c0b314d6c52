// A BlockStore wrapper that records (and refuses) every access outside an allowed byte window: the fuzzers' tripwire.
import type { BlockStore, FlushCallback, IoCallback } from '../../src/store/block-store.js';
import { StoreError } from '../../src/store/block-store.js';

export interface GuardViolation {
  kind: 'read' | 'write';
  position: number;
  length: number;
}

/**
 * Wraps `inner` (whose size the engine sees) and allows access only to [allowStart, allowEnd) bytes of it,
 * whole 512-byte sectors, at most `maxLength` bytes at once. Anything else is recorded in `violations` and fails.
 * `writable: false` makes every write a violation (a read-only export must never write).
 */
export class GuardStore implements BlockStore {
  readonly size: number;
  readonly readOnly: boolean;
  readonly synchronous: boolean;
  readonly description: string;
  readonly violations: GuardViolation[] = [];
  reads = 0;
  writes = 0;
  private readonly allowStart: number;
  private readonly allowEnd: number;

  constructor(
    private readonly inner: BlockStore,
    private readonly options: { allowStart?: number; allowEnd?: number; writable?: boolean; maxLength?: number; readOnly?: boolean } = {},
  ) {
    this.size = inner.size;
    this.readOnly = options.readOnly ?? inner.readOnly;
    this.synchronous = inner.synchronous;
    this.description = `guarded ${inner.description}`;
    this.allowStart = options.allowStart ?? 0;
    this.allowEnd = options.allowEnd ?? inner.size;
  }

  private check(kind: 'read' | 'write', length: number, position: number): boolean {
    const ok =
      Number.isSafeInteger(position) &&
      Number.isSafeInteger(length) &&
      length > 0 &&
      length % 512 === 0 &&
      position % 512 === 0 &&
      position >= this.allowStart &&
      position + length <= this.allowEnd &&
      length <= (this.options.maxLength ?? Infinity) &&
      (kind === 'read' || this.options.writable !== false);
    if (!ok) this.violations.push({ kind, position, length });
    return ok;
  }

  read(buf: Uint8Array, bufOffset: number, length: number, position: number, callback: IoCallback): void {
    this.reads++;
    if (!this.check('read', length, position)) return callback(new StoreError('guard: read outside the allowed window', 'ERR_GUARD'), 0);
    this.inner.read(buf, bufOffset, length, position, callback);
  }

  write(buf: Uint8Array, bufOffset: number, length: number, position: number, callback: IoCallback): void {
    this.writes++;
    if (!this.check('write', length, position)) return callback(new StoreError('guard: write outside the allowed window', 'ERR_GUARD'), 0);
    this.inner.write(buf, bufOffset, length, position, callback);
  }

  flush(callback: FlushCallback): void {
    this.inner.flush(callback);
  }

  close(): Promise<void> {
    return this.inner.close();
  }
}
