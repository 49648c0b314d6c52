// Vectored file I/O over spans of one slab: the addon's preadv/pwritev (one call, no per-span views), or fs.readvSync/writevSync.
import fs from 'node:fs';
import { loadSlabFileIo, type SlabFileIo } from '../native/addon.js';
import type { SlabTransfer } from './block-store.js';

/** The addon's slab file I/O, looked up once (null off Linux or without the addon: the fs fallback is used). */
let native: SlabFileIo | null | undefined;
function nativeIo(): SlabFileIo | null {
  if (native === undefined) native = loadSlabFileIo();
  return native;
}

/** Views of the spans, for the fs fallback (allocates per call: only used where the addon cannot run). */
function views(slab: Uint8Array, offsets: Uint32Array, lengths: Uint32Array, count: number): Uint8Array[] {
  const list: Uint8Array[] = [];
  for (let i = 0; i < count; i++) list.push(slab.subarray(offsets[i], offsets[i] + lengths[i]));
  return list;
}

/** Read and write SlabTransfers on the descriptor `fd()` returns; `useNative` false forces the fs fallback (tests). */
export function slabTransfers(fd: () => number, useNative = true): { readSlab: SlabTransfer; writeSlab: SlabTransfer } {
  const io = useNative ? nativeIo() : null;
  if (io !== null) {
    return {
      readSlab: (position, slab, offsets, lengths, count) => io.fileReadSlab(fd(), position, slab, offsets, lengths, count),
      writeSlab: (position, slab, offsets, lengths, count) => io.fileWriteSlab(fd(), position, slab, offsets, lengths, count),
    };
  }
  return {
    readSlab: (position, slab, offsets, lengths, count) => fs.readvSync(fd(), views(slab, offsets, lengths, count), position),
    writeSlab: (position, slab, offsets, lengths, count) => fs.writevSync(fd(), views(slab, offsets, lengths, count), position),
  };
}
