// ATA IDENTIFY DEVICE data page (the 512 bytes answering command 0xEC): build and parse.
import type { Codec } from './codec.js';
import { SECTOR_SIZE } from './constants.js';
import { checkField, ensureReadable, ensureWritable, WireError, WireErrorCode } from './errors.js';

/*
 * IDENTIFY DEVICE data (ATA8-ACS, T13/1699-D, IDENTIFY DEVICE data table): 256 16-bit words,
 * each sent little-endian (low byte first), as PIO data after the AoE ATA argument (offset 36).
 *
 *  word   value                   meaning
 *     0   0x0040                  bit 15 = 0: ATA device; bit 6: fixed (non-removable) device
 *                                 (ATA-5 meaning, retired since; fixed disks commonly still report it)
 * 10-19   serial, 20 chars        ATA string: space padded, 2 chars per word, first char in
 * 23-26   firmware, 8 chars         the HIGH byte (so bytes on the wire are swapped in pairs)
 * 27-46   model, 40 chars
 *    47   0x8000                  bits 15:8 = 80h; READ/WRITE MULTIPLE max = 0 (not supported)
 *    49   0x0200                  bit 9: LBA supported
 *    50   0x4000                  bit 14 shall be one
 * 60-61   min(sectors, 0x0FFFFFFF) LBA28 capacity (low word first)
 *    83   0x7400                  bit 14 = 1 (word valid), bit 13 FLUSH CACHE EXT, bit 12 FLUSH CACHE, bit 10 LBA48
 *    84   0x4000                  bit 14 = 1 (word valid)
 *    86   0x3400                  enabled: bit 13 FLUSH CACHE EXT, bit 12 FLUSH CACHE, bit 10 LBA48
 *    87   0x4000                  bit 14 = 1 (word valid)
 *    93   0x400B                  hardware reset result (vblade's value)
 *100-103  sectors                 LBA48 capacity, 64 bits, least significant word first
 *   106   0x4000 / 0x6003         bit 14 = 1 (valid), bit 13 = several logical sectors per
 *                                 physical, bits 3:0 = log2(logical per physical): 4096/512 = 2^3
 *   255   checksum<<8 | 0xA5      integrity word: A5h signature, high byte = two's complement of
 *                                 the sum of bytes 0..510, so all 512 bytes sum to 0 mod 256
 * Everything else is zero. Logical sectors are always 512 bytes (word 106 bit 12 clear).
 */

export interface IdentifyInfo {
  /** Up to 20 printable ASCII characters. */
  serial: string;
  /** Up to 8 printable ASCII characters. */
  firmware: string;
  /** Up to 40 printable ASCII characters. */
  model: string;
  /** Capacity in 512-byte sectors (LBA48 capacity, words 100-103). */
  sectors: number;
  /** Physical sector size to advertise in word 106 (default 512). */
  physicalSectorSize?: 512 | 4096;
}

export interface ParsedIdentify extends IdentifyInfo {
  /** Words 60-61. */
  lba28Sectors: number;
  /** Word 83 bit 10: the LBA48 feature set is supported (then `sectors` comes from words 100-103). */
  lba48: boolean;
  /** Word 83 bit 12: FLUSH CACHE is supported. */
  flushSupported: boolean;
}

/** 256 words. */
export const IDENTIFY_LENGTH = 256 * 2;
/** LBA28 capacity cap (words 60-61). */
export const LBA28_SECTORS_MAX = 0x0fffffff;
/** LBA48 capacity cap (words 100-103 may not exceed 2^48 - 1). */
export const LBA48_SECTORS_MAX = 0xffffffffffff;

export const IdentifyWord = {
  GeneralConfiguration: 0,
  Serial: 10,
  Firmware: 23,
  Model: 27,
  MultipleMax: 47,
  Capabilities: 49,
  Capabilities2: 50,
  Lba28Sectors: 60,
  CommandSetSupported: 83,
  CommandSetExtension: 84,
  CommandSetEnabled: 86,
  CommandSetDefault: 87,
  HardwareResetResult: 93,
  Lba48Sectors: 100,
  SectorSize: 106,
  Integrity: 255,
} as const;

const SERIAL_CHARS = 20;
const FIRMWARE_CHARS = 8;
const MODEL_CHARS = 40;
const FIXED_WORDS: ReadonlyArray<readonly [number, number]> = [
  [IdentifyWord.GeneralConfiguration, 0x0040],
  [IdentifyWord.MultipleMax, 0x8000],
  [IdentifyWord.Capabilities, 0x0200],
  [IdentifyWord.Capabilities2, 0x4000],
  [IdentifyWord.CommandSetSupported, 0x7400],
  [IdentifyWord.CommandSetExtension, 0x4000],
  [IdentifyWord.CommandSetEnabled, 0x3400],
  [IdentifyWord.CommandSetDefault, 0x4000],
  [IdentifyWord.HardwareResetResult, 0x400b],
];
const WORD_VALID_MASK = 0xc000; // bits 15:14 = 01 mark a valid word (83, 84, 87, 106, ...)
const WORD_VALID = 0x4000;
const SUPPORTS_FLUSH = 0x1000;
const SUPPORTS_LBA48 = 0x0400;
const MULTIPLE_LOGICAL_PER_PHYSICAL = 0x2000;
const LOGICAL_LONGER_THAN_512 = 0x1000;
const INTEGRITY_SIGNATURE = 0xa5;
const PRINTABLE_ASCII = /^[\x20-\x7e]*$/;

function writeWord(buf: Uint8Array, offset: number, word: number, value: number): void {
  buf[offset + word * 2] = value & 0xff;
  buf[offset + word * 2 + 1] = value >>> 8;
}

function readWord(buf: Uint8Array, offset: number, word: number): number {
  return buf[offset + word * 2] | (buf[offset + word * 2 + 1] << 8);
}

/** ATA string: first character in the high byte of each word, space padded. */
function writeAtaString(buf: Uint8Array, offset: number, word: number, chars: number, text: string, field: string): void {
  if (typeof text !== 'string' || text.length > chars || !PRINTABLE_ASCII.test(text)) {
    throw new WireError(WireErrorCode.FieldRange, `identify ${field} must be at most ${chars} printable ASCII characters`);
  }
  const start = offset + word * 2;
  for (let i = 0; i < chars; i++) {
    const code = i < text.length ? text.charCodeAt(i) : 0x20;
    buf[start + (i ^ 1)] = code; // char 2k -> byte 2k+1 (high byte), char 2k+1 -> byte 2k
  }
}

function readAtaString(buf: Uint8Array, offset: number, word: number, chars: number): string {
  const start = offset + word * 2;
  let text = '';
  for (let i = 0; i < chars; i++) text += String.fromCharCode(buf[start + (i ^ 1)]);
  return text.replace(/[ \0]+$/, '');
}

/**
 * Writes the 512-byte IDENTIFY page for `info` at buf[offset...] and returns 512.
 * Throws ERR_AOE_FIELD_RANGE for strings that are too long or not printable ASCII, capacities
 * outside [0, 2^48 - 1], or a physical sector size other than 512/4096; nothing is written then.
 */
export function buildIdentify(info: IdentifyInfo, buf: Uint8Array, offset = 0): number {
  ensureWritable(buf, offset, IDENTIFY_LENGTH, 'IDENTIFY page');
  checkField(info.sectors, LBA48_SECTORS_MAX, 'identify sectors');
  const physical = info.physicalSectorSize ?? SECTOR_SIZE;
  if (physical !== 512 && physical !== 4096) {
    throw new WireError(WireErrorCode.FieldRange, `identify physicalSectorSize must be 512 or 4096, got ${physical}`);
  }
  const scratch = new Uint8Array(MODEL_CHARS); // validate strings before touching buf
  writeAtaString(scratch, 0, 0, SERIAL_CHARS, info.serial, 'serial');
  writeAtaString(scratch, 0, 0, FIRMWARE_CHARS, info.firmware, 'firmware');
  writeAtaString(scratch, 0, 0, MODEL_CHARS, info.model, 'model');

  buf.fill(0, offset, offset + IDENTIFY_LENGTH);
  for (const [word, value] of FIXED_WORDS) writeWord(buf, offset, word, value);
  writeAtaString(buf, offset, IdentifyWord.Serial, SERIAL_CHARS, info.serial, 'serial');
  writeAtaString(buf, offset, IdentifyWord.Firmware, FIRMWARE_CHARS, info.firmware, 'firmware');
  writeAtaString(buf, offset, IdentifyWord.Model, MODEL_CHARS, info.model, 'model');

  const lba28 = Math.min(info.sectors, LBA28_SECTORS_MAX);
  writeWord(buf, offset, IdentifyWord.Lba28Sectors, lba28 & 0xffff);
  writeWord(buf, offset, IdentifyWord.Lba28Sectors + 1, lba28 >>> 16);
  let rest = info.sectors;
  for (let i = 0; i < 4; i++) {
    writeWord(buf, offset, IdentifyWord.Lba48Sectors + i, rest % 0x10000);
    rest = Math.floor(rest / 0x10000);
  }
  const sectorSize = physical === 4096 ? WORD_VALID | MULTIPLE_LOGICAL_PER_PHYSICAL | Math.log2(4096 / SECTOR_SIZE) : WORD_VALID;
  writeWord(buf, offset, IdentifyWord.SectorSize, sectorSize);

  let sum = INTEGRITY_SIGNATURE;
  for (let i = 0; i < IDENTIFY_LENGTH - 2; i++) sum += buf[offset + i];
  writeWord(buf, offset, IdentifyWord.Integrity, (((256 - (sum & 0xff)) & 0xff) << 8) | INTEGRITY_SIGNATURE);
  return IDENTIFY_LENGTH;
}

/**
 * Parses an IDENTIFY page (ours or any ATA device's). Checks: 512 bytes present
 * (ERR_AOE_SHORT_FRAME); when word 255 carries the A5h signature, the checksum
 * (ERR_AOE_BAD_IDENTIFY); an LBA48 capacity above 2^48 - 1 (ERR_AOE_BAD_IDENTIFY).
 * Strings lose trailing spaces/NULs. `sectors` is the LBA48 capacity when lba48, else words 60-61.
 * `physicalSectorSize` is undefined when word 106 is not valid, announces logical sectors other
 * than 512 bytes, or describes neither 512 nor 4096.
 */
export function parseIdentify(buf: Uint8Array, offset = 0, end: number = buf.length): ParsedIdentify {
  ensureReadable(buf, offset, end, IDENTIFY_LENGTH, WireErrorCode.ShortFrame, 'IDENTIFY page');
  if (buf[offset + IdentifyWord.Integrity * 2] === INTEGRITY_SIGNATURE) {
    let sum = 0;
    for (let i = 0; i < IDENTIFY_LENGTH; i++) sum += buf[offset + i];
    if ((sum & 0xff) !== 0) throw new WireError(WireErrorCode.BadIdentify, 'IDENTIFY integrity checksum mismatch');
  }
  const commandSets = readWord(buf, offset, IdentifyWord.CommandSetSupported);
  const commandSetsValid = (commandSets & WORD_VALID_MASK) === WORD_VALID;
  const lba48 = commandSetsValid && (commandSets & SUPPORTS_LBA48) !== 0;
  const flushSupported = commandSetsValid && (commandSets & SUPPORTS_FLUSH) !== 0;
  const lba28Sectors = readWord(buf, offset, IdentifyWord.Lba28Sectors) + readWord(buf, offset, IdentifyWord.Lba28Sectors + 1) * 0x10000;
  let sectors = lba28Sectors;
  if (lba48) {
    sectors = 0;
    for (let i = 3; i >= 0; i--) sectors = sectors * 0x10000 + readWord(buf, offset, IdentifyWord.Lba48Sectors + i);
    if (sectors > LBA48_SECTORS_MAX) {
      throw new WireError(WireErrorCode.BadIdentify, 'IDENTIFY LBA48 capacity exceeds 2^48 - 1 sectors');
    }
  }
  return {
    serial: readAtaString(buf, offset, IdentifyWord.Serial, SERIAL_CHARS),
    firmware: readAtaString(buf, offset, IdentifyWord.Firmware, FIRMWARE_CHARS),
    model: readAtaString(buf, offset, IdentifyWord.Model, MODEL_CHARS),
    sectors,
    physicalSectorSize: parsePhysicalSectorSize(readWord(buf, offset, IdentifyWord.SectorSize)),
    lba28Sectors,
    lba48,
    flushSupported,
  };
}

function parsePhysicalSectorSize(word: number): 512 | 4096 | undefined {
  if ((word & WORD_VALID_MASK) !== WORD_VALID) return undefined;
  if ((word & LOGICAL_LONGER_THAN_512) !== 0) return undefined; // logical size in words 117-118: not ours
  const logicalPerPhysical = (word & MULTIPLE_LOGICAL_PER_PHYSICAL) !== 0 ? 1 << (word & 0xf) : 1;
  const physical = logicalPerPhysical * SECTOR_SIZE;
  return physical === 512 || physical === 4096 ? physical : undefined;
}

/** The page as a Codec (for the shared test helper and generic callers): always 512 bytes. */
export const identifyPage: Codec<ParsedIdentify, IdentifyInfo> = {
  encodingLength: (_value: IdentifyInfo) => IDENTIFY_LENGTH,
  encodeInto: buildIdentify,
  decode: (buf, offset = 0, end = buf.length) => parseIdentify(buf, offset, end),
};
