// AoE Reserve/Release argument codec (AoEr11 §3.4): RCmd and the reservation MAC list.
import type { Codec } from './codec.js';
import { MAC_LENGTH, RESERVE_ARG_HEADER_LENGTH, ReserveCommand } from './constants.js';
import { checkField, ensureReadable, ensureWritable, WireError, WireErrorCode } from './errors.js';
import { checkMac, readMac, writeMac } from './mac.js';

/*
 * AoEr11 §3.4 "Reserve / Release" argument, at frame offset 24:
 *
 *  byte  0      1       2 ...
 *       +------+-------+------------------------------+
 *       | RCmd | NMacs | NMacs x MAC (6 bytes each)   |
 *       +------+-------+------------------------------+
 *
 *  RCmd: 0 read, 1 set, 2 force set; anything else is ERR_AOE_BAD_RCMD (BadArgument).
 *  A set with NMacs = 0 releases the reservation. Responses carry the current list. A refused
 *  set is signalled in the AoE header (error 6, TargetReserved), not in this argument.
 *  There are no reserved fields in this argument.
 *
 * RESERVE_ARG_HEADER_LENGTH = 1 + 1 = 2 (constants.ts); the argument is 2 + 6 * NMacs bytes.
 */

export interface ReserveArg {
  /** ReserveCommand (RCmd). */
  command: number;
  /** 48-bit MACs (at most 255). */
  macs: number[];
}

const COMMAND = 0;
const COUNT = COMMAND + 1;
const MACS = COUNT + 1;

/** NMacs is one byte. */
export const RESERVE_MACS_MAX = 0xff;

export const reserveArg: Codec<ReserveArg> = {
  encodingLength(value: ReserveArg): number {
    return RESERVE_ARG_HEADER_LENGTH + MAC_LENGTH * value.macs.length;
  },

  /** Throws ERR_AOE_FIELD_RANGE (e.g. more than 255 MACs) and ERR_AOE_BAD_MAC, before writing anything. */
  encodeInto(value: ReserveArg, buf: Uint8Array, offset: number): number {
    const macs = value.macs;
    checkField(value.command, 0xff, 'reserve.command');
    checkField(macs.length, RESERVE_MACS_MAX, 'reserve MAC count');
    for (const mac of macs) checkMac(mac, 'reserve mac');
    const length = RESERVE_ARG_HEADER_LENGTH + MAC_LENGTH * macs.length;
    ensureWritable(buf, offset, length, 'Reserve/Release argument');
    buf[offset + COMMAND] = value.command;
    buf[offset + COUNT] = macs.length;
    for (let i = 0; i < macs.length; i++) writeMac(buf, offset + MACS + i * MAC_LENGTH, macs[i]);
    return length;
  },

  /**
   * Checks, in order: the 2 header bytes and NMacs MACs are present (ERR_AOE_SHORT_ARG, drop);
   * RCmd <= 2 (ERR_AOE_BAD_RCMD, BadArgument). With `out`, its `macs` array is reused.
   */
  decode(buf: Uint8Array, offset = 0, end: number = buf.length, out?: ReserveArg): ReserveArg {
    ensureReadable(buf, offset, end, RESERVE_ARG_HEADER_LENGTH, WireErrorCode.ShortArg, 'Reserve/Release argument');
    const count = buf[offset + COUNT];
    ensureReadable(
      buf,
      offset,
      end,
      RESERVE_ARG_HEADER_LENGTH + MAC_LENGTH * count,
      WireErrorCode.ShortArg,
      'Reserve/Release MAC list',
    );
    const command = buf[offset + COMMAND];
    if (command > ReserveCommand.ForceSet) {
      throw new WireError(WireErrorCode.BadReserveCommand, `Reserve/Release RCmd ${command} is not defined`);
    }
    const result: ReserveArg = out ?? { command, macs: [] };
    result.command = command;
    const macs = result.macs;
    for (let i = 0; i < count; i++) macs[i] = readMac(buf, offset + MACS + i * MAC_LENGTH);
    macs.length = count;
    return result;
  },
};
