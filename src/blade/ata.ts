// The target's ATA path (AoEr11 §3.1), as a ladder like vblade's aoeata → atacmd: decode → check → execute; replies in ata-reply.ts.
import {
  ataCommandStatus,
  ataFlags,
  ataLba,
  ataRequestProblem,
  ataSectorCount,
  echoAtaArg,
  isAtaWriteCommand,
  setAtaResult,
  setAtaSectorCount,
} from '../wire/ata-arg.js';
import { AoeError, AtaCommand, AtaErrorBit, AtaStatus, ATA_DATA_OFFSET, SECTOR_SIZE } from '../wire/constants.js';
import { AOE_ERROR_FOR_CODE } from '../wire/errors.js';
import { readSourceMac } from '../wire/frame-header.js';
import { ataError, FLUSH_FAILED } from './ata-reply.js';
import { AuditKind } from './audit.js';
import type { NicEngine } from './engine.js';
import type { ExportRuntime } from './export.js';
import type { ReplyFrame } from './reply-pool.js';

/** The request's ATA registers, decoded once per frame into one reused object (vblade's Ataregs). */
export class AtaRegisters {
  flags = 0;
  sectorCount = 0;
  command = 0;
  /** The sector addressed (28 bits without the E flag). */
  lba = 0;
  isWrite = false;
}

/** Rung 1, decode: the argument's one validation (src/wire), then the registers. Returns the AoE error to reply with, 0, or -1 to drop. */
export function decodeAta(registers: AtaRegisters, slab: Buffer, offset: number, length: number): number {
  const problem = ataRequestProblem(slab, offset, length);
  if (problem !== undefined) return AOE_ERROR_FOR_CODE[problem] ?? -1;
  registers.flags = ataFlags(slab, offset);
  registers.sectorCount = ataSectorCount(slab, offset);
  registers.command = ataCommandStatus(slab, offset);
  registers.lba = ataLba(slab, offset);
  registers.isWrite = isAtaWriteCommand(registers.command);
  return 0;
}

/**
 * Rung 2, check (the AoE level: failures go in the AoE header): a reservation refuses everyone else but
 * IDENTIFY (as vblade), and a WRITE must carry the data it announces. The mask list was checked before dispatch.
 */
export function checkAta(runtime: ExportRuntime, registers: AtaRegisters, slab: Buffer, offset: number, length: number): number {
  if (runtime.reservation.length !== 0 && registers.command !== AtaCommand.Identify) {
    const initiator = readSourceMac(slab, offset);
    if (!runtime.reservationAllows(initiator)) {
      runtime.counters.reservedDenied++;
      runtime.audit.denied(AuditKind.ReservationDenied, initiator);
      return AoeError.TargetReserved;
    }
  }
  if (registers.isWrite && length < ATA_DATA_OFFSET + registers.sectorCount * SECTOR_SIZE) return AoeError.BadArgument;
  return 0;
}

/**
 * Rung 3, execute (the ATA level: failures go in the ATA registers): IDENTIFY, READ/WRITE (EXT) inside the
 * export's window, FLUSH (EXT) behind the sticky write failure, CHECK POWER MODE; any other command ABRT.
 */
export function executeAta(
  engine: NicEngine,
  runtime: ExportRuntime,
  registers: AtaRegisters,
  reply: ReplyFrame,
  slab: Buffer,
  offset: number,
): void {
  const frame = reply.frame;
  echoAtaArg(frame, 0, slab, offset);
  setAtaResult(frame, 0, AtaStatus.Ready, 0);
  const counters = runtime.counters;
  switch (registers.command) {
    case AtaCommand.Identify:
      runtime.identify.copy(frame, ATA_DATA_OFFSET);
      engine.queue(reply, ATA_DATA_OFFSET + SECTOR_SIZE);
      return;
    case AtaCommand.ReadSectors:
    case AtaCommand.ReadSectorsExt:
    case AtaCommand.WriteSectors:
    case AtaCommand.WriteSectorsExt: {
      const { sectorCount, lba, isWrite } = registers;
      // Sector count 0 would mean 256/65536 sectors in ATA, more than any frame carries: ABRT, like a count above the MTU's.
      if (sectorCount === 0 || sectorCount > engine.maxSectors) return ataError(reply, runtime, AtaErrorBit.Abort);
      if (isWrite && runtime.readOnly) return ataError(reply, runtime, AtaErrorBit.Abort);
      if (lba + sectorCount > runtime.sectors) return ataError(reply, runtime, AtaErrorBit.IdNotFound);
      const bytes = sectorCount * SECTOR_SIZE;
      const position = lba * SECTOR_SIZE;
      reply.expected = bytes;
      if (isWrite) {
        counters.writeCommands++;
        writeData(engine, runtime, reply, slab, offset, bytes, position);
      } else {
        counters.readCommands++;
        if (runtime.mergeable) engine.merger.read(runtime, reply, bytes, position);
        else runtime.store.read(frame, ATA_DATA_OFFSET, bytes, position, reply.onRead);
      }
      return;
    }
    case AtaCommand.FlushCache:
    case AtaCommand.FlushCacheExt:
      // vblade answers 0xE7 without syncing; we fdatasync and reply only once it completed.
      counters.flushes++;
      engine.merger.flush(); // merged writes of this batch reach the file before the fdatasync
      // A write or flush failed earlier: this flush cannot vouch for the data (errseq reports an error once).
      if (runtime.writeFailure !== null) return ataError(reply, runtime, FLUSH_FAILED);
      runtime.store.flush(reply.onFlush);
      return;
    case AtaCommand.CheckPowerMode:
      setAtaSectorCount(frame, 0, 0xff); // active / idle
      engine.queue(reply, ATA_DATA_OFFSET);
      return;
    default:
      ataError(reply, runtime, AtaErrorBit.Abort);
  }
}

/** A WRITE's payload goes to the store straight from the receive slab (merged, or synchronous), else via the reply frame. */
function writeData(
  engine: NicEngine,
  runtime: ExportRuntime,
  reply: ReplyFrame,
  slab: Buffer,
  offset: number,
  bytes: number,
  position: number,
): void {
  const store = runtime.store;
  if (runtime.mergeable) engine.merger.write(runtime, reply, slab, offset, bytes, position);
  else if (store.synchronous) store.write(slab, offset + ATA_DATA_OFFSET, bytes, position, reply.onWrite);
  else {
    // The receive slab is reused after this batch: move the data into our pooled frame first.
    slab.copy(reply.frame, ATA_DATA_OFFSET, offset + ATA_DATA_OFFSET, offset + ATA_DATA_OFFSET + bytes);
    store.write(reply.frame, ATA_DATA_OFFSET, bytes, position, reply.onWrite);
  }
}

/** Serve one ATA request: decode, check, then take a reply frame and execute. */
export function handleAta(engine: NicEngine, runtime: ExportRuntime, slab: Buffer, offset: number, length: number): void {
  const registers = engine.registers;
  const decoded = decodeAta(registers, slab, offset, length);
  if (decoded < 0) {
    engine.counters.malformed++;
    return;
  }
  const refused = decoded !== 0 ? decoded : checkAta(runtime, registers, slab, offset, length);
  if (refused !== 0) {
    engine.replyError(runtime, slab, offset, length, refused);
    return;
  }
  const reply = engine.acquire(runtime, slab, offset);
  if (reply !== null) executeAta(engine, runtime, registers, reply, slab, offset);
}
