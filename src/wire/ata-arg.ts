// AoE ATA argument codec (AoEr11 §3.1): aflags, ATA registers and the raw 48-bit LBA.
import type { Codec } from './codec.js';
import { AOE_ARG_OFFSET, ATA_ARG_LENGTH, ATA_FLAG_RESERVED_MASK, AtaCommand, AtaFlag } from './constants.js';
import { checkField, ensureReadable, ensureWritable, WireError, WireErrorCode } from './errors.js';

/*
 * AoEr11 §3.1 "Issue ATA Command" argument, at frame offset 24; data follows at offset 36.
 *
 *  byte  0        1             2        3            4 ........ 9     10 .. 11
 *       +--------+-------------+--------+------------+---------------+----------+
 *       | AFlags | Err/Feature | Sector | Cmd/Status | LBA0 .. LBA5  | Reserved |
 *       |        |             | Count  |            | (LSB first)   | (zero)   |
 *       +--------+-------------+--------+------------+---------------+----------+
 *
 *  AFlags: E=0x40 LBA48 ("extended"), D=0x10 device/head register, A=0x02 async write,
 *          W=0x01 write. Bits 0x80, 0x20, 0x08, 0x04 are reserved: the Linux initiator only ever
 *          sets E, D, A and W, and AoEr11 §3.1 defines no others, so a set reserved bit is
 *          ERR_AOE_RESERVED with aoeError BadArgument (the frame is not understood).
 *  Request: Err/Feature = ATA features, Cmd/Status = ATA command.
 *  Response: Err/Feature = ATA error register, Cmd/Status = ATA status register.
 *  LBA: kept raw, exactly as on the wire. With E clear only the low 28 bits address sectors
 *       and byte 3's high nibble may carry the device register (0xE0): see effectiveLba().
 *  Reserved bytes 10-11 must be zero (ERR_AOE_RESERVED, BadArgument).
 *
 * ATA_ARG_LENGTH = 1 + 1 + 1 + 1 + 6 + 2 = 12 (constants.ts).
 */

export interface AtaArg {
  /** AtaFlag bits. */
  flags: number;
  /** Request: ATA features. Response: ATA error register (AtaErrorBit). */
  errorFeature: number;
  /** 512-byte sectors to transfer (0..255). Response: as returned by the target. */
  sectorCount: number;
  /** Request: AtaCommand. Response: ATA status (AtaStatus). */
  commandStatus: number;
  /** Raw 48-bit LBA as on the wire (0 .. 2^48 - 1); use effectiveLba() to address sectors. */
  lba: number;
}

const FLAGS = 0;
const ERROR_FEATURE = FLAGS + 1;
const SECTOR_COUNT = ERROR_FEATURE + 1;
const COMMAND_STATUS = SECTOR_COUNT + 1;
const LBA = COMMAND_STATUS + 1;
const RESERVED = LBA + 6;

/** Largest raw LBA the 6 LBA bytes can hold. */
export const LBA48_MAX = 0xffffffffffff;
/** LBA28 commands address only the low 28 bits (the high nibble of LBA byte 3 is the device register). */
export const LBA28_MASK = 0x0fffffff;
const TWO_POW_32 = 0x100000000;

/** The sector address a command means: the raw LBA, masked to 28 bits when AtaFlag.Extended is clear. */
export function effectiveLba(arg: AtaArg): number {
  // `&` works modulo 2^32 (ToInt32), which keeps exactly the low 28 bits of any safe integer.
  return (arg.flags & AtaFlag.Extended) !== 0 ? arg.lba : arg.lba & LBA28_MASK;
}

export const ataArg: Codec<AtaArg> = {
  encodingLength(_value: AtaArg): number {
    return ATA_ARG_LENGTH;
  },

  /** Writes 12 bytes (reserved bytes as zero). Throws ERR_AOE_FIELD_RANGE / ERR_AOE_RESERVED. */
  encodeInto(value: AtaArg, buf: Uint8Array, offset: number): number {
    ensureWritable(buf, offset, ATA_ARG_LENGTH, 'ATA argument');
    checkField(value.flags, 0xff, 'ata.flags');
    if ((value.flags & ATA_FLAG_RESERVED_MASK) !== 0) {
      throw new WireError(WireErrorCode.Reserved, `ata.flags reserved bits set (0x${value.flags.toString(16)})`);
    }
    checkField(value.errorFeature, 0xff, 'ata.errorFeature');
    checkField(value.sectorCount, 0xff, 'ata.sectorCount');
    checkField(value.commandStatus, 0xff, 'ata.commandStatus');
    checkField(value.lba, LBA48_MAX, 'ata.lba');
    const low = value.lba >>> 0;
    const high = (value.lba - low) / TWO_POW_32;
    buf[offset + FLAGS] = value.flags;
    buf[offset + ERROR_FEATURE] = value.errorFeature;
    buf[offset + SECTOR_COUNT] = value.sectorCount;
    buf[offset + COMMAND_STATUS] = value.commandStatus;
    buf[offset + LBA] = low & 0xff;
    buf[offset + LBA + 1] = (low >>> 8) & 0xff;
    buf[offset + LBA + 2] = (low >>> 16) & 0xff;
    buf[offset + LBA + 3] = low >>> 24;
    buf[offset + LBA + 4] = high & 0xff;
    buf[offset + LBA + 5] = high >>> 8;
    buf[offset + RESERVED] = 0;
    buf[offset + RESERVED + 1] = 0;
    return ATA_ARG_LENGTH;
  },

  /**
   * Checks length (ERR_AOE_SHORT_ARG, drop), then reserved aflags bits and reserved bytes
   * (ERR_AOE_RESERVED, BadArgument). The ATA command itself is not judged here: an unknown
   * command is an ATA-level error (ABRT in the registers), not a wire error.
   * Allocates nothing when `out` is given; `out` is untouched when decode throws.
   */
  decode(buf: Uint8Array, offset = 0, end: number = buf.length, out?: AtaArg): AtaArg {
    ensureReadable(buf, offset, end, ATA_ARG_LENGTH, WireErrorCode.ShortArg, 'ATA argument');
    const problem = ataArgProblem(buf, offset, end);
    if (problem !== undefined)
      throw new WireError(problem, `ATA argument: reserved aflags bits or bytes 10-11 set (aflags 0x${buf[offset + FLAGS].toString(16)})`);
    const flags = buf[offset + FLAGS];
    const errorFeature = buf[offset + ERROR_FEATURE];
    const sectorCount = buf[offset + SECTOR_COUNT];
    const commandStatus = buf[offset + COMMAND_STATUS];
    const low = (buf[offset + LBA] | (buf[offset + LBA + 1] << 8) | (buf[offset + LBA + 2] << 16) | (buf[offset + LBA + 3] << 24)) >>> 0;
    const high = buf[offset + LBA + 4] | (buf[offset + LBA + 5] << 8);
    const lba = high * TWO_POW_32 + low;
    if (out === undefined) return { flags, errorFeature, sectorCount, commandStatus, lba };
    out.flags = flags;
    out.errorFeature = errorFeature;
    out.sectorCount = sectorCount;
    out.commandStatus = commandStatus;
    out.lba = lba;
    return out;
  },
};

/*
 * Data-path accessors over a whole frame: `at` is where the frame starts (Ethernet header), so the
 * argument is at `at + 24` and the data at `at + 36`. No allocation, no validation beyond what each
 * says: call ataRequestProblem() first, which is the same check decode() makes.
 */
const ARG = AOE_ARG_OFFSET;
/** AtaFlag.Extended as a module const (see frame-header.ts: imported bindings are not folded in optimized code). */
const EXTENDED = AtaFlag.Extended;

/**
 * The one validation of an ATA argument (decode and the target share it): length first
 * (ERR_AOE_SHORT_ARG: drop), then reserved aflags bits and bytes 10-11 (ERR_AOE_RESERVED: BadArgument).
 * `offset` is the argument's offset; returns undefined when the argument is sound.
 */
export function ataArgProblem(buf: Uint8Array, offset: number, end: number): WireErrorCode | undefined {
  if (offset + ATA_ARG_LENGTH > Math.min(end, buf.length)) return WireErrorCode.ShortArg;
  if ((buf[offset + FLAGS] & ATA_FLAG_RESERVED_MASK) !== 0 || (buf[offset + RESERVED] | buf[offset + RESERVED + 1]) !== 0) {
    return WireErrorCode.Reserved;
  }
  return undefined;
}

/** ataArgProblem for the frame at `at` of `length` bytes. */
export function ataRequestProblem(buf: Uint8Array, at: number, length: number): WireErrorCode | undefined {
  return ataArgProblem(buf, at + ARG, at + length);
}

/** AFlags (AtaFlag bits). */
export function ataFlags(buf: Uint8Array, at: number): number {
  return buf[at + ARG + FLAGS];
}

/** Err/Feature: ATA features in a request, the ATA error register (AtaErrorBit) in a response. */
export function ataErrorFeature(buf: Uint8Array, at: number): number {
  return buf[at + ARG + ERROR_FEATURE];
}

export function ataSectorCount(buf: Uint8Array, at: number): number {
  return buf[at + ARG + SECTOR_COUNT];
}

/** Cmd/Status: the ATA command in a request (AtaCommand), the ATA status (AtaStatus) in a response. */
export function ataCommandStatus(buf: Uint8Array, at: number): number {
  return buf[at + ARG + COMMAND_STATUS];
}

/** The sector a request addresses: 48 bits with E set, else the low 28 bits (byte 3's high nibble is the device register). */
export function ataLba(buf: Uint8Array, at: number): number {
  const lba = at + ARG + LBA;
  const low = buf[lba] | (buf[lba + 1] << 8) | (buf[lba + 2] << 16);
  if ((buf[at + ARG + FLAGS] & EXTENDED) === 0) return low + (buf[lba + 3] & 0x0f) * 0x1000000;
  return low + buf[lba + 3] * 0x1000000 + buf[lba + 4] * TWO_POW_32 + buf[lba + 5] * 0x10000000000;
}

/** True for READ SECTORS (EXT) and WRITE SECTORS (EXT), the commands that carry data. */
export function isAtaDataCommand(command: number): boolean {
  return (
    command === AtaCommand.ReadSectorsExt ||
    command === AtaCommand.WriteSectorsExt ||
    command === AtaCommand.ReadSectors ||
    command === AtaCommand.WriteSectors
  );
}

/** True for WRITE SECTORS (EXT). */
export function isAtaWriteCommand(command: number): boolean {
  return command === AtaCommand.WriteSectorsExt || command === AtaCommand.WriteSectors;
}

/**
 * Writes a request's 12-byte argument: aflags, feature 0, sector count, command, the LBA (with E clear only
 * 28 bits, and 0xE0 in byte 3's high nibble, the device register the Linux initiator sends), reserved zero.
 * `lba` must fit 48 bits (28 without E): not checked, hot path.
 */
export function writeAtaRequest(buf: Uint8Array, at: number, flags: number, sectorCount: number, command: number, lba: number): void {
  const arg = at + ARG;
  const low = lba >>> 0;
  buf[arg + FLAGS] = flags;
  buf[arg + ERROR_FEATURE] = 0;
  buf[arg + SECTOR_COUNT] = sectorCount;
  buf[arg + COMMAND_STATUS] = command;
  buf[arg + LBA] = low & 0xff;
  buf[arg + LBA + 1] = (low >>> 8) & 0xff;
  buf[arg + LBA + 2] = (low >>> 16) & 0xff;
  if ((flags & EXTENDED) !== 0) {
    const high = (lba - low) / TWO_POW_32;
    buf[arg + LBA + 3] = low >>> 24;
    buf[arg + LBA + 4] = high & 0xff;
    buf[arg + LBA + 5] = (high >>> 8) & 0xff;
  } else {
    buf[arg + LBA + 3] = 0xe0 | ((low >>> 24) & 0x0f);
    buf[arg + LBA + 4] = 0;
    buf[arg + LBA + 5] = 0;
  }
  buf[arg + RESERVED] = 0;
  buf[arg + RESERVED + 1] = 0;
}

/** Copies a request's 12 argument bytes into its reply (a loop: Buffer.copy makes a view per call). */
export function echoAtaArg(reply: Uint8Array, replyAt: number, request: Uint8Array, requestAt: number): void {
  for (let i = ARG; i < ARG + ATA_ARG_LENGTH; i++) reply[replyAt + i] = request[requestAt + i];
}

/** Sets a response's ATA status and error registers (AoEr11 §3.1: cmd/status and err/feature). */
export function setAtaResult(buf: Uint8Array, at: number, status: number, errorRegister: number): void {
  buf[at + ARG + COMMAND_STATUS] = status;
  buf[at + ARG + ERROR_FEATURE] = errorRegister;
}

/** Sets the sector count register (CHECK POWER MODE answers 0xFF there). */
export function setAtaSectorCount(buf: Uint8Array, at: number, count: number): void {
  buf[at + ARG + SECTOR_COUNT] = count;
}
