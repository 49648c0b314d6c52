// The target's ATA path (AoEr11 §3.1), as a ladder like vblade's aoeata → atacmd: decode → check → execute; replies in ata-reply.ts.
import * as ataArg from '../wire/ata-arg.js';
import { AoeError, AtaCommand, AtaErrorBit, AtaStatus, ATA_DATA_OFFSET, SECTOR_SIZE } from '../wire/constants.js';
import { AOE_ERROR_FOR_CODE } from '../wire/errors.js';
import * as frameHeader from '../wire/frame-header.js';
import * as sharedState from './shared-state.js';
import { ataError, FLUSH_FAILED } from './ata-reply.js';
import { AuditKind } from './audit.js';
import type { NicEngine } from './engine.js';
import type { ExportRuntime } from './export.js';
import type { ReplyFrame } from './reply-pool.js';

/*
 * Module-level copies of what the per-frame code uses: V8 re-reads and re-checks an imported binding (and a
 * property of an imported object) at every use in optimized code, where a module const is folded (measured on the
 * initiator's data path, bench/initiator-hot-path.mjs).
 */
const {
  ataCommandStatus,
  ataFlags,
  ataLba,
  ataRequestProblem,
  ataSectorCount,
  echoAtaArg,
  isAtaWriteCommand,
  setAtaResult,
  setAtaSectorCount,
} = ataArg;
const { readSourceMac } = frameHeader;
const RESERVATION_WORD = sharedState.RESERVATION_COUNT_WORD;
const IDENTIFY = AtaCommand.Identify;
const READ = AtaCommand.ReadSectors;
const READ_EXT = AtaCommand.ReadSectorsExt;
const WRITE = AtaCommand.WriteSectors;
const WRITE_EXT = AtaCommand.WriteSectorsExt;
const FLUSH = AtaCommand.FlushCache;
const FLUSH_EXT = AtaCommand.FlushCacheExt;
const CHECK_POWER_MODE = AtaCommand.CheckPowerMode;
const ABORT = AtaErrorBit.Abort;
const ID_NOT_FOUND = AtaErrorBit.IdNotFound;
const READY = AtaStatus.Ready;
const DATA = ATA_DATA_OFFSET;
const SECTOR = SECTOR_SIZE;
const TARGET_RESERVED = AoeError.TargetReserved;
const BAD_ARGUMENT = AoeError.BadArgument;

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
  if (runtime.stateWords[RESERVATION_WORD] !== 0 && registers.command !== IDENTIFY) {
    const initiator = readSourceMac(slab, offset);
    if (!runtime.reservationAllows(initiator)) {
      runtime.counters.reservedDenied++;
      runtime.audit.denied(AuditKind.ReservationDenied, initiator);
      return TARGET_RESERVED;
    }
  }
  if (registers.isWrite && length < DATA + registers.sectorCount * SECTOR) return BAD_ARGUMENT;
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
  setAtaResult(frame, 0, READY, 0);
  const counters = runtime.counters;
  switch (registers.command) {
    case IDENTIFY:
      runtime.identify.copy(frame, DATA);
      engine.queue(reply, DATA + SECTOR);
      return;
    case READ:
    case READ_EXT:
    case WRITE:
    case WRITE_EXT: {
      const { sectorCount, lba, isWrite } = registers;
      // Sector count 0 would mean 256/65536 sectors in ATA, more than any frame carries: ABRT, like a count above the MTU's.
      if (sectorCount === 0 || sectorCount > engine.maxSectors) return ataError(reply, runtime, ABORT);
      if (isWrite && runtime.readOnly) return ataError(reply, runtime, ABORT);
      if (lba + sectorCount > runtime.sectors) return ataError(reply, runtime, ID_NOT_FOUND);
      const bytes = sectorCount * SECTOR;
      const position = lba * SECTOR;
      reply.expected = bytes;
      if (isWrite) {
        counters.writeCommands++;
        writeData(engine, runtime, reply, slab, offset, bytes, position);
      } else {
        counters.readCommands++;
        if (runtime.mergeable) engine.merger.read(runtime, reply, bytes, position);
        else runtime.store.read(frame, DATA, bytes, position, reply.onRead);
      }
      return;
    }
    case FLUSH:
    case FLUSH_EXT:
      // vblade answers 0xE7 without syncing; we fdatasync and reply only once it completed.
      counters.flushes++;
      engine.merger.flush(); // merged writes of this batch reach the file before the fdatasync
      // A write or flush failed earlier: this flush cannot vouch for the data (errseq reports an error once).
      if (runtime.writeFailure !== null) return ataError(reply, runtime, FLUSH_FAILED);
      runtime.store.flush(reply.onFlush);
      return;
    case CHECK_POWER_MODE:
      setAtaSectorCount(frame, 0, 0xff); // active / idle
      engine.queue(reply, DATA);
      return;
    default:
      ataError(reply, runtime, ABORT);
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
  else if (store.synchronous) store.write(slab, offset + DATA, bytes, position, reply.onWrite);
  else {
    // The receive slab is reused after this batch: move the data into our pooled frame first.
    slab.copy(reply.frame, DATA, offset + DATA, offset + DATA + bytes);
    store.write(reply.frame, DATA, bytes, position, reply.onWrite);
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
