// ATA command execution for one export (AoEr11 §3.1): IDENTIFY, READ/WRITE (EXT), FLUSH (EXT), CHECK POWER MODE; everything else ABRT.
import {
  AoeError, AtaCommand, AtaErrorBit, AtaFlag, AtaStatus, ATA_DATA_OFFSET, SECTOR_SIZE,
} from '../wire/constants.js';
import { readMac } from '../wire/mac.js';
import type { NicEngine, RequestSlot } from './engine.js';
import type { ExportRuntime } from './export.js';

const STATUS_OK = AtaStatus.Ready; // DRDY
const STATUS_ERROR = AtaStatus.Ready | AtaStatus.Error; // DRDY | ERR
const TWO_POW_24 = 2 ** 24;
const TWO_POW_32 = 2 ** 32;
const TWO_POW_40 = 2 ** 40;
/**
 * A failed FLUSH says UNC (with ABRT clear), never ABRT alone: an initiator reads a bare ABRT as "FLUSH CACHE EXT
 * not supported" and may retry as FLUSH CACHE, which must not happen after an I/O error.
 */
const FLUSH_FAILED = AtaErrorBit.Uncorrectable;

/** LBA from the request (bytes 28..33, least significant first); LBA28 (E clear) keeps the low 28 bits only (byte 31's high nibble is the device register). */
function readLba(slab: Buffer, offset: number, extended: boolean): number {
  const low = slab[offset + 28] | (slab[offset + 29] << 8) | (slab[offset + 30] << 16);
  if (!extended) return low + (slab[offset + 31] & 0x0f) * TWO_POW_24;
  return low + slab[offset + 31] * TWO_POW_24 + slab[offset + 32] * TWO_POW_32 + slab[offset + 33] * TWO_POW_40;
}

/** Finish an ATA reply with status/error registers and no data. */
function ataError(engine: NicEngine, slot: RequestSlot, runtime: ExportRuntime, errorBits: number): void {
  slot.frame[25] = errorBits;
  slot.frame[27] = STATUS_ERROR;
  runtime.counters.ataErrors++;
  engine.queue(slot, ATA_DATA_OFFSET);
}

/**
 * Serve one ATA request. Order: length, reservation (AoE 6, IDENTIFY passes as in vblade),
 * write payload length (AoE BadArgument), then ATA-level checks whose failures go in the ATA registers.
 */
export function handleAta(engine: NicEngine, runtime: ExportRuntime, slab: Buffer, offset: number, length: number): void {
  if (length < ATA_DATA_OFFSET) {
    engine.counters.malformed++;
    return;
  }
  const counters = runtime.counters;
  // The mask list was checked before dispatch (engine.ts). A reservation refuses everything but IDENTIFY, as in vblade.
  if (runtime.reservation.length !== 0 && !runtime.reservationAllows(readMac(slab, offset + 6)) && slab[offset + 27] !== AtaCommand.Identify) {
    counters.reservedDenied++;
    engine.replyError(runtime, slab, offset, length, AoeError.TargetReserved);
    return;
  }
  const command = slab[offset + 27];
  const sectorCount = slab[offset + 26];
  const isWrite = command === AtaCommand.WriteSectors || command === AtaCommand.WriteSectorsExt;
  if (isWrite && length < ATA_DATA_OFFSET + sectorCount * SECTOR_SIZE) {
    // The frame does not carry the data it announces: an argument error, not an ATA error.
    engine.replyError(runtime, slab, offset, length, AoeError.BadArgument);
    return;
  }
  const slot = engine.acquire(runtime);
  if (slot === null) return;
  const frame = slot.frame;
  engine.startReply(slot, runtime, slab, offset);
  for (let i = 24; i < ATA_DATA_OFFSET; i++) frame[i] = slab[offset + i]; // echo the ATA registers (a loop: Buffer.copy allocates)
  frame[25] = 0;
  frame[27] = STATUS_OK;
  switch (command) {
    case AtaCommand.Identify:
      runtime.identify.copy(frame, ATA_DATA_OFFSET);
      engine.queue(slot, ATA_DATA_OFFSET + SECTOR_SIZE);
      return;
    case AtaCommand.ReadSectors:
    case AtaCommand.ReadSectorsExt:
    case AtaCommand.WriteSectors:
    case AtaCommand.WriteSectorsExt: {
      // Sector count 0 would mean 256/65536 sectors in ATA, more than any frame carries: ABRT, like a count above the MTU's.
      if (sectorCount === 0 || sectorCount > engine.maxSectors) return ataError(engine, slot, runtime, AtaErrorBit.Abort);
      if (isWrite && runtime.readOnly) return ataError(engine, slot, runtime, AtaErrorBit.Abort);
      const lba = readLba(slab, offset, (slab[offset + 24] & AtaFlag.Extended) !== 0);
      if (lba + sectorCount > runtime.sectors) return ataError(engine, slot, runtime, AtaErrorBit.IdNotFound);
      const bytes = sectorCount * SECTOR_SIZE;
      slot.expected = bytes;
      const store = runtime.store;
      const fd = engine.mergeFd(runtime);
      if (!isWrite) {
        counters.readCommands++;
        if (fd >= 0) engine.merger.read(runtime, fd, slot, bytes, lba * SECTOR_SIZE);
        else store.read(frame, ATA_DATA_OFFSET, bytes, lba * SECTOR_SIZE, slot.onRead);
      } else {
        counters.writeCommands++;
        if (fd >= 0) {
          engine.merger.write(runtime, fd, slot, slab, engine.slotIndex(offset), offset, bytes, lba * SECTOR_SIZE);
        } else if (store.synchronous) {
          store.write(slab, offset + ATA_DATA_OFFSET, bytes, lba * SECTOR_SIZE, slot.onWrite);
        } else {
          // The receive slab is reused after this batch: move the data into our pooled frame first.
          slab.copy(frame, ATA_DATA_OFFSET, offset + ATA_DATA_OFFSET, offset + ATA_DATA_OFFSET + bytes);
          store.write(frame, ATA_DATA_OFFSET, bytes, lba * SECTOR_SIZE, slot.onWrite);
        }
      }
      return;
    }
    case AtaCommand.FlushCache:
    case AtaCommand.FlushCacheExt:
      // vblade answers 0xE7 without syncing; we fdatasync and reply only once it completed.
      counters.flushes++;
      engine.merger.flush(); // merged writes of this batch reach the file before the fdatasync
      // A write or flush failed earlier: this flush cannot vouch for the data (errseq reports an error once).
      if (runtime.writeFailure !== null) return ataError(engine, slot, runtime, FLUSH_FAILED);
      runtime.store.flush(slot.onFlush);
      return;
    case AtaCommand.CheckPowerMode:
      frame[26] = 0xff; // sector count 0xFF: active / idle
      engine.queue(slot, ATA_DATA_OFFSET);
      return;
    default:
      ataError(engine, slot, runtime, AtaErrorBit.Abort);
  }
}

/** ATA error bits for a failed write: ABRT for "refused" conditions (no space, read-only, permissions), UNC for I/O errors. */
export function writeErrorBits(error: Error): number {
  switch ((error as { code?: unknown }).code) {
    case 'ENOSPC': case 'EDQUOT': case 'EFBIG': case 'EROFS': case 'EPERM': case 'EACCES':
      return AtaErrorBit.Abort;
    default:
      return AtaErrorBit.Uncorrectable;
  }
}

function shortTransfer(what: string, bytes: number, expected: number): Error {
  return Object.assign(new Error(`short ${what}: ${bytes} of ${expected} bytes`), { code: 'EIO' });
}

export function completeRead(slot: RequestSlot, error: Error | null, bytes: number): void {
  const runtime = slot.exportRuntime as ExportRuntime;
  if (error !== null || bytes !== slot.expected) {
    runtime.counters.ioErrors++;
    ataError(slot.engine, slot, runtime, AtaErrorBit.Uncorrectable);
    return;
  }
  runtime.counters.bytesRead += bytes;
  slot.engine.queue(slot, ATA_DATA_OFFSET + bytes);
}

export function completeWrite(slot: RequestSlot, error: Error | null, bytes: number): void {
  const runtime = slot.exportRuntime as ExportRuntime;
  if (error !== null || bytes !== slot.expected) {
    const failure = error ?? shortTransfer('write', bytes, slot.expected);
    runtime.counters.ioErrors++;
    runtime.recordWriteFailure(failure);
    ataError(slot.engine, slot, runtime, writeErrorBits(failure));
    return;
  }
  runtime.counters.bytesWritten += bytes;
  // A 60-byte reply that acknowledges `bytes` of payload: it counts as that much work toward the early flush.
  slot.engine.queue(slot, ATA_DATA_OFFSET, ATA_DATA_OFFSET + bytes);
}

export function completeFlush(slot: RequestSlot, error: Error | null): void {
  const runtime = slot.exportRuntime as ExportRuntime;
  if (error !== null) {
    runtime.counters.ioErrors++;
    runtime.recordWriteFailure(error);
    ataError(slot.engine, slot, runtime, FLUSH_FAILED);
    return;
  }
  slot.engine.queue(slot, ATA_DATA_OFFSET);
}
