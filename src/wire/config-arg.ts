// AoE Query Config argument codec (AoEr11 §3.2): buffer count, firmware, sectors, CCmd, config string.
import type { Codec } from './codec.js';
import { AOE_ARG_OFFSET, CONFIG_ARG_LENGTH, CONFIG_STRING_MAX, ConfigCommand } from './constants.js';
import { checkField, ensureReadable, ensureWritable, WireError, WireErrorCode } from './errors.js';

/*
 * AoEr11 §3.2 "Query Config Information" argument, at frame offset 24:
 *
 *  byte  0    1    2    3    4        5         6    7    8 ...
 *       +---------+---------+--------+----+----+---------+----------------+
 *       | Buffer  |Firmware | Sector |AoE |CCmd| Config  | Config String  |
 *       | Count   | Version | Count  |Ver |    | Str Len | (Str Len bytes)|
 *       +---------+---------+--------+----+----+---------+----------------+
 *          2 (BE)    2 (BE)     1      4b   4b    2 (BE)    0..1024
 *
 *  Buffer Count: outstanding requests the target queues. Sector Count: max sectors per ATA
 *  command (0 means 2 for old targets). AoE Ver: 1 in responses; requests (the Linux initiator)
 *  send 0, so it is carried but not judged. CCmd: 0 read, 1 test, 2 test prefix, 3 set,
 *  4 force set; anything else is ERR_AOE_BAD_CCMD (BadArgument).
 *  There are no reserved fields in this argument.
 *
 * CONFIG_ARG_LENGTH = 2 + 2 + 1 + 1 + 2 = 8 (constants.ts); the whole argument is 8 + Str Len.
 */

export interface ConfigArg {
  bufferCount: number;
  firmwareVersion: number;
  /** Max sectors per ATA command (0..255). */
  sectorCount: number;
  /** High nibble of byte 5 (1 in responses, usually 0 in requests). */
  aoeVersion: number;
  /** ConfigCommand (CCmd, low nibble of byte 5). */
  command: number;
  /** The config string bytes. Decode returns a view into the frame, not a copy: copy it to keep it. */
  configString: Uint8Array;
}

const BUFFER_COUNT = 0;
const FIRMWARE_VERSION = BUFFER_COUNT + 2;
const SECTOR_COUNT = FIRMWARE_VERSION + 2;
const VERSION_COMMAND = SECTOR_COUNT + 1;
const STRING_LENGTH = VERSION_COMMAND + 1;
const STRING = STRING_LENGTH + 2;

export const configArg: Codec<ConfigArg> = {
  encodingLength(value: ConfigArg): number {
    return CONFIG_ARG_LENGTH + value.configString.length;
  },

  /** Throws ERR_AOE_CONFIG_TOO_LONG for strings over 1024 bytes, ERR_AOE_FIELD_RANGE for other fields. */
  encodeInto(value: ConfigArg, buf: Uint8Array, offset: number): number {
    const stringLength = value.configString.length;
    if (stringLength > CONFIG_STRING_MAX) {
      throw new WireError(WireErrorCode.ConfigTooLong, `config string is ${stringLength} bytes, max ${CONFIG_STRING_MAX}`);
    }
    const length = CONFIG_ARG_LENGTH + stringLength;
    ensureWritable(buf, offset, length, 'Query Config argument');
    checkField(value.bufferCount, 0xffff, 'config.bufferCount');
    checkField(value.firmwareVersion, 0xffff, 'config.firmwareVersion');
    checkField(value.sectorCount, 0xff, 'config.sectorCount');
    checkField(value.aoeVersion, 0xf, 'config.aoeVersion');
    checkField(value.command, 0xf, 'config.command');
    buf[offset + BUFFER_COUNT] = value.bufferCount >>> 8;
    buf[offset + BUFFER_COUNT + 1] = value.bufferCount & 0xff;
    buf[offset + FIRMWARE_VERSION] = value.firmwareVersion >>> 8;
    buf[offset + FIRMWARE_VERSION + 1] = value.firmwareVersion & 0xff;
    buf[offset + SECTOR_COUNT] = value.sectorCount;
    buf[offset + VERSION_COMMAND] = (value.aoeVersion << 4) | value.command;
    buf[offset + STRING_LENGTH] = stringLength >>> 8;
    buf[offset + STRING_LENGTH + 1] = stringLength & 0xff;
    // set() copies correctly even when the string is a view of this same buffer (reply built in place).
    if (!isSameBytes(value.configString, buf, offset + STRING)) buf.set(value.configString, offset + STRING);
    return length;
  },

  /**
   * Checks, in order: the 8 fixed bytes and the announced string bytes are present
   * (ERR_AOE_SHORT_ARG, drop); CCmd <= 4 (ERR_AOE_BAD_CCMD, BadArgument); string length
   * <= 1024 (ERR_AOE_CONFIG_TOO_LONG, BadArgument). There are no reserved fields to check.
   * `configString` is a subarray view of `buf` (the only allocation, also when `out` is given).
   */
  decode(buf: Uint8Array, offset = 0, end: number = buf.length, out?: ConfigArg): ConfigArg {
    ensureReadable(buf, offset, end, CONFIG_ARG_LENGTH, WireErrorCode.ShortArg, 'Query Config argument');
    const stringLength = (buf[offset + STRING_LENGTH] << 8) | buf[offset + STRING_LENGTH + 1];
    const problem = configArgProblem(buf, offset, end);
    if (problem === WireErrorCode.ShortArg) ensureReadable(buf, offset, end, CONFIG_ARG_LENGTH + stringLength, problem, 'config string');
    const versionCommand = buf[offset + VERSION_COMMAND];
    const command = versionCommand & 0xf;
    if (problem === WireErrorCode.BadConfigCommand) throw new WireError(problem, `Query Config CCmd ${command} is not defined`);
    if (problem !== undefined) throw new WireError(problem, `config string is ${stringLength} bytes, max ${CONFIG_STRING_MAX}`);
    const bufferCount = (buf[offset + BUFFER_COUNT] << 8) | buf[offset + BUFFER_COUNT + 1];
    const firmwareVersion = (buf[offset + FIRMWARE_VERSION] << 8) | buf[offset + FIRMWARE_VERSION + 1];
    const sectorCount = buf[offset + SECTOR_COUNT];
    const aoeVersion = versionCommand >>> 4;
    const configString = buf.subarray(offset + STRING, offset + STRING + stringLength);
    if (out === undefined) return { bufferCount, firmwareVersion, sectorCount, aoeVersion, command, configString };
    out.bufferCount = bufferCount;
    out.firmwareVersion = firmwareVersion;
    out.sectorCount = sectorCount;
    out.aoeVersion = aoeVersion;
    out.command = command;
    out.configString = configString;
    return out;
  },
};

/** True when `bytes` already sits at buf[offset...] (a reply built in the request buffer): skip the copy. */
function isSameBytes(bytes: Uint8Array, buf: Uint8Array, offset: number): boolean {
  return bytes.buffer === buf.buffer && bytes.byteOffset === buf.byteOffset + offset;
}

/*
 * Data-path accessors over a whole frame (`at` = the frame start; the argument is at `at + 24`, the string at
 * `at + 32`). Call configRequestProblem() first: it is the check decode() makes.
 */
const ARG = AOE_ARG_OFFSET;

/**
 * The one validation of a Query Config argument (decode and the target share it), in order: the 8 fixed bytes
 * and the announced string are present (ERR_AOE_SHORT_ARG: drop), CCmd <= 4 (ERR_AOE_BAD_CCMD: BadArgument),
 * string length <= 1024 (ERR_AOE_CONFIG_TOO_LONG: BadArgument). `offset` is the argument's offset.
 */
export function configArgProblem(buf: Uint8Array, offset: number, end: number): WireErrorCode | undefined {
  const limit = Math.min(end, buf.length);
  if (offset + CONFIG_ARG_LENGTH > limit) return WireErrorCode.ShortArg;
  const stringLength = (buf[offset + STRING_LENGTH] << 8) | buf[offset + STRING_LENGTH + 1];
  if (offset + CONFIG_ARG_LENGTH + stringLength > limit) return WireErrorCode.ShortArg;
  if ((buf[offset + VERSION_COMMAND] & 0xf) > ConfigCommand.ForceSet) return WireErrorCode.BadConfigCommand;
  if (stringLength > CONFIG_STRING_MAX) return WireErrorCode.ConfigTooLong;
  return undefined;
}

/** configArgProblem for the frame at `at` of `length` bytes. */
export function configRequestProblem(buf: Uint8Array, at: number, length: number): WireErrorCode | undefined {
  return configArgProblem(buf, at + ARG, at + length);
}

export function configBufferCount(buf: Uint8Array, at: number): number {
  return (buf[at + ARG + BUFFER_COUNT] << 8) | buf[at + ARG + BUFFER_COUNT + 1];
}

export function configFirmwareVersion(buf: Uint8Array, at: number): number {
  return (buf[at + ARG + FIRMWARE_VERSION] << 8) | buf[at + ARG + FIRMWARE_VERSION + 1];
}

/** Max sectors per ATA command as sent (0 from old targets means 2: the caller decides). */
export function configSectorCount(buf: Uint8Array, at: number): number {
  return buf[at + ARG + SECTOR_COUNT];
}

export function configAoeVersion(buf: Uint8Array, at: number): number {
  return buf[at + ARG + VERSION_COMMAND] >>> 4;
}

/** CCmd (ConfigCommand). */
export function configCommand(buf: Uint8Array, at: number): number {
  return buf[at + ARG + VERSION_COMMAND] & 0xf;
}

export function configStringLength(buf: Uint8Array, at: number): number {
  return (buf[at + ARG + STRING_LENGTH] << 8) | buf[at + ARG + STRING_LENGTH + 1];
}

/** Where the config string starts in the buffer. */
export function configStringOffset(at: number): number {
  return at + ARG + STRING;
}

/**
 * Writes a Query Config argument with the first `stringLength` bytes of `configString` (a reply, or a request
 * with `bufferCount` etc. 0). Returns the frame length up to the end of the string. Values are not checked.
 */
export function writeConfigArg(
  buf: Uint8Array,
  at: number,
  bufferCount: number,
  firmwareVersion: number,
  sectorCount: number,
  aoeVersion: number,
  command: number,
  configString: Uint8Array,
  stringLength: number,
): number {
  const arg = at + ARG;
  buf[arg + BUFFER_COUNT] = bufferCount >>> 8;
  buf[arg + BUFFER_COUNT + 1] = bufferCount & 0xff;
  buf[arg + FIRMWARE_VERSION] = firmwareVersion >>> 8;
  buf[arg + FIRMWARE_VERSION + 1] = firmwareVersion & 0xff;
  buf[arg + SECTOR_COUNT] = sectorCount;
  buf[arg + VERSION_COMMAND] = (aoeVersion << 4) | command;
  buf[arg + STRING_LENGTH] = stringLength >>> 8;
  buf[arg + STRING_LENGTH + 1] = stringLength & 0xff;
  buf.set(configString.subarray(0, stringLength), arg + STRING);
  return ARG + STRING + stringLength;
}
