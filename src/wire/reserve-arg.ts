// AoE Reserve/Release argument codec (AoEr11 §3.4): RCmd and the reservation MAC list.
import type { Codec } from './codec.js';
import { AOE_ARG_OFFSET, MAC_LENGTH, RESERVE_ARG_HEADER_LENGTH, ReserveCommand } from './constants.js';
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
    const problem = reserveArgProblem(buf, offset, end);
    const count = buf[offset + COUNT];
    if (problem === WireErrorCode.ShortArg)
      ensureReadable(buf, offset, end, RESERVE_ARG_HEADER_LENGTH + MAC_LENGTH * count, problem, 'Reserve/Release argument');
    const command = buf[offset + COMMAND];
    if (problem !== undefined) throw new WireError(problem, `Reserve/Release RCmd ${command} is not defined`);
    const result: ReserveArg = out ?? { command, macs: [] };
    result.command = command;
    const macs = result.macs;
    for (let i = 0; i < count; i++) macs[i] = readMac(buf, offset + MACS + i * MAC_LENGTH);
    macs.length = count;
    return result;
  },
};

/* Data-path accessors over a whole frame (`at` = the frame start; the argument is at `at + 24`, MAC i at `at + 26 + 6i`). */
const ARG = AOE_ARG_OFFSET;

/**
 * The one validation of a Reserve/Release argument (decode shares it): the 2 header bytes and NMacs MACs
 * present (ERR_AOE_SHORT_ARG: drop), then RCmd <= 2 (ERR_AOE_BAD_RCMD: BadArgument). `offset` is the argument's.
 */
export function reserveArgProblem(buf: Uint8Array, offset: number, end: number): WireErrorCode | undefined {
  const limit = Math.min(end, buf.length);
  if (offset + RESERVE_ARG_HEADER_LENGTH > limit) return WireErrorCode.ShortArg;
  if (offset + RESERVE_ARG_HEADER_LENGTH + MAC_LENGTH * buf[offset + COUNT] > limit) return WireErrorCode.ShortArg;
  if (buf[offset + COMMAND] > ReserveCommand.ForceSet) return WireErrorCode.BadReserveCommand;
  return undefined;
}

/** reserveArgProblem for the frame at `at` of `length` bytes. */
export function reserveRequestProblem(buf: Uint8Array, at: number, length: number): WireErrorCode | undefined {
  return reserveArgProblem(buf, at + ARG, at + length);
}

/** RCmd (ReserveCommand). */
export function reserveCommand(buf: Uint8Array, at: number): number {
  return buf[at + ARG + COMMAND];
}

/** NMacs. */
export function reserveMacCount(buf: Uint8Array, at: number): number {
  return buf[at + ARG + COUNT];
}

/** MAC `index` of the list. */
export function reserveMac(buf: Uint8Array, at: number, index: number): number {
  return readMac(buf, at + ARG + MACS + index * MAC_LENGTH);
}

/** Writes RCmd and the MAC list; returns the frame length. Throws ERR_AOE_BAD_MAC for a MAC that is not 48-bit. */
export function writeReserveArg(buf: Uint8Array, at: number, command: number, macs: readonly number[]): number {
  buf[at + ARG + COMMAND] = command;
  buf[at + ARG + COUNT] = macs.length;
  for (let i = 0; i < macs.length; i++) writeMac(buf, at + ARG + MACS + i * MAC_LENGTH, macs[i]);
  return ARG + RESERVE_ARG_HEADER_LENGTH + MAC_LENGTH * macs.length;
}
