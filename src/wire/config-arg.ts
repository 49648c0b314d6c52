// AoE Query Config argument codec (AoEr11 §3.2): buffer count, firmware, sectors, CCmd, config string.
import type { Codec } from './codec.js';
import { CONFIG_ARG_LENGTH, CONFIG_STRING_MAX, ConfigCommand } from './constants.js';
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
    ensureReadable(buf, offset, end, CONFIG_ARG_LENGTH + stringLength, WireErrorCode.ShortArg, 'config string');
    const versionCommand = buf[offset + VERSION_COMMAND];
    const command = versionCommand & 0xf;
    if (command > ConfigCommand.ForceSet) {
      throw new WireError(WireErrorCode.BadConfigCommand, `Query Config CCmd ${command} is not defined`);
    }
    if (stringLength > CONFIG_STRING_MAX) {
      throw new WireError(WireErrorCode.ConfigTooLong, `config string is ${stringLength} bytes, max ${CONFIG_STRING_MAX}`);
    }
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
