// AoE ATA argument codec (AoEr11 §3.1): aflags, ATA registers and the raw 48-bit LBA.
import type { Codec } from './codec.js';
import { ATA_ARG_LENGTH, ATA_FLAG_RESERVED_MASK, AtaFlag } from './constants.js';
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
    const flags = buf[offset + FLAGS];
    if ((flags & ATA_FLAG_RESERVED_MASK) !== 0) {
      throw new WireError(WireErrorCode.Reserved, `ATA aflags reserved bits set (0x${flags.toString(16)})`);
    }
    if ((buf[offset + RESERVED] | buf[offset + RESERVED + 1]) !== 0) {
      throw new WireError(WireErrorCode.Reserved, 'ATA argument reserved bytes 10-11 are not zero');
    }
    const errorFeature = buf[offset + ERROR_FEATURE];
    const sectorCount = buf[offset + SECTOR_COUNT];
    const commandStatus = buf[offset + COMMAND_STATUS];
    const low =
      (buf[offset + LBA] | (buf[offset + LBA + 1] << 8) | (buf[offset + LBA + 2] << 16) | (buf[offset + LBA + 3] << 24)) >>>
      0;
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
