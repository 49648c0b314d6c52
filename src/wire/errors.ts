// WireError, the stable wire error codes, and the bounds/range checks every codec shares.
import { AoeError } from './constants.js';

/**
 * Stable codes thrown by the wire codecs. Each code maps to exactly one AoE error (AoEr11 §2
 * error field) to reply with, or to `undefined` when the right action is to drop the frame
 * silently (or, for encode-side codes, when the caller made a programming error).
 */
export const WireErrorCode = {
  /** Decode: fewer bytes than the Ethernet header, AoE header or ATA data page needs. Drop. */
  ShortFrame: 'ERR_AOE_SHORT_FRAME',
  /** Decode: the command argument (or the bytes it announces) is truncated. Drop, as vblade does. */
  ShortArg: 'ERR_AOE_SHORT_ARG',
  /** Decode/encode: a reserved field or bit is not zero. Reply BadArgument. */
  Reserved: 'ERR_AOE_RESERVED',
  /** Decode: EtherType is not 0x88A2. Not ours: drop. */
  BadEtherType: 'ERR_AOE_BAD_ETHERTYPE',
  /** Decode: AoE version is not 1. Reply UnsupportedVersion. */
  BadVersion: 'ERR_AOE_BAD_VERSION',
  /** Decode: command is neither 0..3 nor vendor (>= 0xF0). Reply UnrecognizedCommand. */
  BadCommand: 'ERR_AOE_BAD_COMMAND',
  /** Decode: Query Config CCmd > 4. Reply BadArgument. */
  BadConfigCommand: 'ERR_AOE_BAD_CCMD',
  /** Decode: Mac Mask List MCmd > 1. Reply BadArgument. */
  BadMaskCommand: 'ERR_AOE_BAD_MCMD',
  /** Decode: Reserve/Release RCmd > 2. Reply BadArgument. */
  BadReserveCommand: 'ERR_AOE_BAD_RCMD',
  /** Decode/encode: config string longer than 1024 bytes (AoEr11 §3.2). Reply BadArgument. */
  ConfigTooLong: 'ERR_AOE_CONFIG_TOO_LONG',
  /** parseMac/formatMac/writeMac: not a 48-bit MAC. */
  BadMac: 'ERR_AOE_BAD_MAC',
  /** parseIdentify: integrity checksum mismatch or capacity beyond the LBA48 range. */
  BadIdentify: 'ERR_AOE_BAD_IDENTIFY',
  /** Encode: a value does not fit its field (e.g. shelf > 0xFFFF, more than 255 directives). */
  FieldRange: 'ERR_AOE_FIELD_RANGE',
  /** Encode: the destination buffer is too small for the encoding. */
  BufferTooSmall: 'ERR_AOE_BUFFER_TOO_SMALL',
} as const;
export type WireErrorCode = (typeof WireErrorCode)[keyof typeof WireErrorCode];

/** Every code a codec may throw (for tests and for `switch` exhaustiveness). */
export const WIRE_ERROR_CODES: readonly WireErrorCode[] = Object.freeze(Object.values(WireErrorCode));

/** The AoE error (AoEr11 §2) a target replies with for each code; undefined = drop silently. */
export const AOE_ERROR_FOR_CODE: Readonly<Record<WireErrorCode, number | undefined>> = Object.freeze({
  ERR_AOE_SHORT_FRAME: undefined,
  ERR_AOE_SHORT_ARG: undefined,
  ERR_AOE_RESERVED: AoeError.BadArgument,
  ERR_AOE_BAD_ETHERTYPE: undefined,
  ERR_AOE_BAD_VERSION: AoeError.UnsupportedVersion,
  ERR_AOE_BAD_COMMAND: AoeError.UnrecognizedCommand,
  ERR_AOE_BAD_CCMD: AoeError.BadArgument,
  ERR_AOE_BAD_MCMD: AoeError.BadArgument,
  ERR_AOE_BAD_RCMD: AoeError.BadArgument,
  ERR_AOE_CONFIG_TOO_LONG: AoeError.BadArgument,
  ERR_AOE_BAD_MAC: undefined,
  ERR_AOE_BAD_IDENTIFY: undefined,
  ERR_AOE_FIELD_RANGE: undefined,
  ERR_AOE_BUFFER_TOO_SMALL: undefined,
});

/** A malformed or unencodable wire structure. `aoeError` is the AoE error to reply with, or undefined to drop. */
export class WireError extends Error {
  readonly code: WireErrorCode;
  readonly aoeError: number | undefined;

  constructor(code: WireErrorCode, message: string) {
    super(message);
    this.name = 'WireError';
    this.code = code;
    this.aoeError = AOE_ERROR_FOR_CODE[code];
  }
}

export function isWireError(error: unknown): error is WireError {
  return error instanceof WireError;
}

function checkOffset(offset: number): void {
  // Programming errors, not data errors: a fractional or negative offset would read `undefined`.
  if (!Number.isInteger(offset) || offset < 0) throw new RangeError(`invalid buffer offset ${offset}`);
}

/**
 * Throws `code` unless `length` bytes starting at `offset` lie inside both `buf` and `end`.
 * Every decoder calls this before reading, so no read can fall outside the frame.
 */
export function ensureReadable(buf: Uint8Array, offset: number, end: number, length: number, code: WireErrorCode, what: string): void {
  const limit = Math.min(end, buf.length);
  if (offset + length <= limit && offset >= 0 && offset % 1 === 0) return;
  checkOffset(offset);
  throw new WireError(code, `${what}: need ${length} bytes at offset ${offset}, have ${Math.max(0, limit - offset)}`);
}

/** Throws ERR_AOE_BUFFER_TOO_SMALL unless `length` bytes fit in `buf` at `offset` (Uint8Array ignores out-of-range writes). */
export function ensureWritable(buf: Uint8Array, offset: number, length: number, what: string): void {
  if (offset + length <= buf.length && offset >= 0 && offset % 1 === 0) return;
  checkOffset(offset);
  throw new WireError(
    WireErrorCode.BufferTooSmall,
    `${what}: need ${length} bytes at offset ${offset}, buffer has ${Math.max(0, buf.length - offset)}`,
  );
}

/** Throws ERR_AOE_FIELD_RANGE unless `value` is an integer in [0, max]. */
export function checkField(value: number, max: number, field: string): void {
  if (Number.isInteger(value) && value >= 0 && value <= max) return;
  throw new WireError(WireErrorCode.FieldRange, `${field} must be an integer in [0, ${max}], got ${value}`);
}
