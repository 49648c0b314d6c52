// AoE common header codec (AoEr11 §2): version/flags, error, shelf, slot, command, tag.
import type { Codec } from './codec.js';
import { AOE_HEADER_LENGTH, AOE_VERSION, Command, FLAG_RESERVED_MASK, VENDOR_COMMAND_MIN } from './constants.js';
import { checkField, ensureReadable, ensureWritable, WireError, WireErrorCode } from './errors.js';

/*
 * AoEr11 §2 header, at frame offset 14 (after the Ethernet header):
 *
 *  byte  0         1       2    3    4       5         6   7   8   9
 *       +----+----+-------+---------+-------+---------+---------------+
 *       |Ver |Flgs| Error |  Major  | Minor | Command |      Tag      |
 *       +----+----+-------+---------+-------+---------+---------------+
 *        4b   4b    1        2 (BE)    1       1          4 (BE)
 *
 *  Flags (low nibble of byte 0): R=0x8 response, E=0x4 error, 0x3 reserved (must be zero).
 *  Error is meaningful only when E is set; it is carried as-is either way.
 *  Major = shelf (0xFFFF broadcast), Minor = slot (0xFF broadcast).
 *  Command: 0 ATA, 1 Query Config, 2 Mac Mask List, 3 Reserve/Release, >= 0xF0 vendor.
 *
 * AOE_HEADER_LENGTH = 1 + 1 + 2 + 1 + 1 + 4 = 10 (constants.ts).
 */

export interface AoeHeader {
  /** High nibble of byte 0; must be 1 (AoEr11 §2). */
  version: number;
  /** Low nibble of byte 0: FLAG_RESPONSE | FLAG_ERROR. */
  flags: number;
  /** AoeError value, meaningful when FLAG_ERROR is set. */
  error: number;
  /** Major address, 0..0xFFFF (0xFFFF = broadcast). */
  shelf: number;
  /** Minor address, 0..0xFF (0xFF = broadcast). */
  slot: number;
  command: number;
  /** Opaque 32-bit tag the target echoes back. */
  tag: number;
}

const VERSION_FLAGS = 0;
const ERROR = VERSION_FLAGS + 1;
const SHELF = ERROR + 1;
const SLOT = SHELF + 2;
const COMMAND = SLOT + 1;
const TAG = COMMAND + 1;

/** True for the commands AoEr11 §2 defines (0..3) and the vendor range (>= 0xF0). */
export function isKnownCommand(command: number): boolean {
  return command <= Command.ReserveRelease || command >= VENDOR_COMMAND_MIN;
}

/**
 * The one check of the AoE header's fields (aoeHeader.decode and the target share it), at header offset
 * `offset` (frame + 14): reserved flag bits (ERR_AOE_RESERVED: BadArgument), version 1 (ERR_AOE_BAD_VERSION:
 * UnsupportedVersion), command 0..3 or vendor (ERR_AOE_BAD_COMMAND: UnrecognizedCommand). Length is the caller's.
 */
export function headerFieldsProblem(buf: Uint8Array, offset: number): WireErrorCode | undefined {
  const versionFlags = buf[offset + VERSION_FLAGS];
  if ((versionFlags & FLAG_RESERVED_MASK) !== 0) return WireErrorCode.Reserved;
  if (versionFlags >>> 4 !== AOE_VERSION) return WireErrorCode.BadVersion;
  if (!isKnownCommand(buf[offset + COMMAND])) return WireErrorCode.BadCommand;
  return undefined;
}

/**
 * Writes the 10 header bytes from individual fields (shared by aoeHeader.encodeInto and the
 * frame encoders). Validates each field's range and that the reserved flag bits are zero. The
 * version and command are not required to be valid values, only to fit their fields, so tests
 * can build frames a peer must reject; decode enforces them.
 */
export function encodeHeaderFields(
  buf: Uint8Array,
  offset: number,
  version: number,
  flags: number,
  error: number,
  shelf: number,
  slot: number,
  command: number,
  tag: number,
): number {
  ensureWritable(buf, offset, AOE_HEADER_LENGTH, 'AoE header');
  checkField(version, 0xf, 'header.version');
  checkField(flags, 0xf, 'header.flags');
  if ((flags & FLAG_RESERVED_MASK) !== 0) {
    throw new WireError(WireErrorCode.Reserved, `header.flags reserved bits 0x3 must be zero, got 0x${flags.toString(16)}`);
  }
  checkField(error, 0xff, 'header.error');
  checkField(shelf, 0xffff, 'header.shelf');
  checkField(slot, 0xff, 'header.slot');
  checkField(command, 0xff, 'header.command');
  checkField(tag, 0xffffffff, 'header.tag');
  buf[offset + VERSION_FLAGS] = (version << 4) | flags;
  buf[offset + ERROR] = error;
  buf[offset + SHELF] = shelf >>> 8;
  buf[offset + SHELF + 1] = shelf & 0xff;
  buf[offset + SLOT] = slot;
  buf[offset + COMMAND] = command;
  buf[offset + TAG] = tag >>> 24;
  buf[offset + TAG + 1] = (tag >>> 16) & 0xff;
  buf[offset + TAG + 2] = (tag >>> 8) & 0xff;
  buf[offset + TAG + 3] = tag & 0xff;
  return AOE_HEADER_LENGTH;
}

export const aoeHeader: Codec<AoeHeader> = {
  encodingLength(_value: AoeHeader): number {
    return AOE_HEADER_LENGTH;
  },

  encodeInto(value: AoeHeader, buf: Uint8Array, offset: number): number {
    return encodeHeaderFields(buf, offset, value.version, value.flags, value.error, value.shelf, value.slot, value.command, value.tag);
  },

  /**
   * Checks, in order: length (ERR_AOE_SHORT_FRAME, drop), reserved flag bits 0x3
   * (ERR_AOE_RESERVED, BadArgument), version 1 (ERR_AOE_BAD_VERSION, UnsupportedVersion),
   * command 0..3 or >= 0xF0 (ERR_AOE_BAD_COMMAND, UnrecognizedCommand).
   * Allocates nothing when `out` is given; `out` is untouched when decode throws.
   */
  decode(buf: Uint8Array, offset = 0, end: number = buf.length, out?: AoeHeader): AoeHeader {
    ensureReadable(buf, offset, end, AOE_HEADER_LENGTH, WireErrorCode.ShortFrame, 'AoE header');
    const problem = headerFieldsProblem(buf, offset);
    const versionFlags = buf[offset + VERSION_FLAGS];
    if (problem === WireErrorCode.Reserved)
      throw new WireError(problem, `AoE header reserved flag bits set (flags 0x${(versionFlags & 0xf).toString(16)})`);
    if (problem === WireErrorCode.BadVersion) throw new WireError(problem, `AoE version ${versionFlags >>> 4} is not supported`);
    if (problem !== undefined) throw new WireError(problem, `AoE command ${buf[offset + COMMAND]} is not recognized`);
    const flags = versionFlags & 0xf;
    const version = versionFlags >>> 4;
    const command = buf[offset + COMMAND];
    const error = buf[offset + ERROR];
    const shelf = (buf[offset + SHELF] << 8) | buf[offset + SHELF + 1];
    const slot = buf[offset + SLOT];
    const tag = buf[offset + TAG] * 0x1000000 + ((buf[offset + TAG + 1] << 16) | (buf[offset + TAG + 2] << 8) | buf[offset + TAG + 3]);
    if (out === undefined) return { version, flags, error, shelf, slot, command, tag };
    out.version = version;
    out.flags = flags;
    out.error = error;
    out.shelf = shelf;
    out.slot = slot;
    out.command = command;
    out.tag = tag;
    return out;
  },
};
