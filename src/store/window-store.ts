// A BlockStore view onto a sector window of another store (vblade -o offset / -l length), bounds-checked.
import { SECTOR_SIZE } from '../wire/constants.js';
import { StoreError, type BlockStore, type FlushCallback, type IoCallback, type SlabTransfer } from './block-store.js';

export class WindowStore implements BlockStore {
  readonly size: number;
  readonly readOnly: boolean;
  readonly synchronous: boolean;
  readonly description: string;
  private readonly base: number;
  readonly readSlab: SlabTransfer | undefined;
  readonly writeSlab: SlabTransfer | undefined;

  /** offsetSectors / lengthSectors in 512-byte sectors; lengthSectors undefined = to the end of the inner store. */
  constructor(
    readonly inner: BlockStore,
    offsetSectors: number,
    lengthSectors?: number,
  ) {
    const innerSectors = Math.floor(inner.size / SECTOR_SIZE);
    if (!Number.isSafeInteger(offsetSectors) || offsetSectors < 0 || offsetSectors >= innerSectors) {
      throw new StoreError(`offset ${offsetSectors} sectors is outside the backing store (${innerSectors} sectors)`, 'ERANGE');
    }
    const length = lengthSectors ?? innerSectors - offsetSectors;
    if (!Number.isSafeInteger(length) || length <= 0 || offsetSectors + length > innerSectors) {
      throw new StoreError(
        `window of ${length} sectors at offset ${offsetSectors} does not fit the backing store (${innerSectors} sectors)`,
        'ERANGE',
      );
    }
    this.base = offsetSectors * SECTOR_SIZE;
    this.size = length * SECTOR_SIZE;
    this.readOnly = inner.readOnly;
    this.synchronous = inner.synchronous;
    this.description = `${inner.description} window ${offsetSectors}+${length} sectors`;
    // Merged I/O passes through, shifted by the window start (the target only merges requests inside the window).
    const { readSlab, writeSlab } = inner;
    if (readSlab)
      this.readSlab = (position, slab, offsets, lengths, count) =>
        readSlab(this.inside(position, lengths, count), slab, offsets, lengths, count);
    if (writeSlab)
      this.writeSlab = (position, slab, offsets, lengths, count) =>
        writeSlab(this.inside(position, lengths, count), slab, offsets, lengths, count);
  }

  /** The inner position of a merged run, or ERANGE if any of it lies outside the window (never trusted blindly). */
  private inside(position: number, lengths: Uint32Array, count: number): number {
    let total = 0;
    for (let i = 0; i < count; i++) total += lengths[i];
    if (this.outside(total, position)) throw new StoreError('merged I/O outside the export window', 'ERANGE');
    return this.base + position;
  }

  private outside(length: number, position: number): boolean {
    return position < 0 || length < 0 || position + length > this.size;
  }

  read(buf: Uint8Array, bufOffset: number, length: number, position: number, callback: IoCallback): void {
    if (this.outside(length, position)) {
      callback(new StoreError('read outside the export window', 'ERANGE'), 0);
      return;
    }
    this.inner.read(buf, bufOffset, length, this.base + position, callback);
  }

  write(buf: Uint8Array, bufOffset: number, length: number, position: number, callback: IoCallback): void {
    if (this.outside(length, position)) {
      callback(new StoreError('write outside the export window', 'ERANGE'), 0);
      return;
    }
    this.inner.write(buf, bufOffset, length, this.base + position, callback);
  }

  flush(callback: FlushCallback): void {
    this.inner.flush(callback);
  }

  close(): Promise<void> {
    return this.inner.close();
  }
}
