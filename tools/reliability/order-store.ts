// A BlockStore wrapper that checks writes stamped with a generation never land older-after-newer on any sector.
import type { BlockStore, FlushCallback, IoCallback } from '../../src/store/block-store.js';

/** Sector stamp: bytes 0..3 = generation (u32 BE), 4..7 = sector index; the rest is payload. */
export function stampSector(buffer: Buffer, offset: number, generation: number, sector: number): void {
  buffer.writeUInt32BE(generation, offset);
  buffer.writeUInt32BE(sector, offset + 4);
}

export class OrderCheckingStore implements BlockStore {
  readonly size: number;
  readonly readOnly = false;
  readonly synchronous: boolean;
  readonly description: string;
  /** Highest generation applied per sector. */
  private readonly applied: Uint32Array;
  /** Sector writes that carried an older generation than one already applied (a stale duplicate landing late). */
  outOfOrder = 0;
  /** Sector writes of a generation already applied (harmless duplicates). */
  repeated = 0;
  sectorWrites = 0;

  constructor(private readonly inner: BlockStore) {
    this.size = inner.size;
    this.synchronous = inner.synchronous;
    this.description = `order-checked ${inner.description}`;
    this.applied = new Uint32Array(Math.floor(inner.size / 512));
  }

  read(buf: Uint8Array, bufOffset: number, length: number, position: number, callback: IoCallback): void {
    this.inner.read(buf, bufOffset, length, position, callback);
  }

  write(buf: Uint8Array, bufOffset: number, length: number, position: number, callback: IoCallback): void {
    const view = Buffer.from(buf.buffer, buf.byteOffset, buf.byteLength);
    for (let at = 0; at < length; at += 512) {
      const sector = (position + at) / 512;
      const generation = view.readUInt32BE(bufOffset + at);
      this.sectorWrites++;
      if (generation < this.applied[sector]) this.outOfOrder++;
      else if (generation === this.applied[sector]) this.repeated++;
      else this.applied[sector] = generation;
    }
    this.inner.write(buf, bufOffset, length, position, callback);
  }

  flush(callback: FlushCallback): void {
    this.inner.flush(callback);
  }

  close(): Promise<void> {
    return this.inner.close();
  }
}
