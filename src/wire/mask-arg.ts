// AoE Mac Mask List argument codec (AoEr11 §3.3): MCmd, MError and the directive list.
import type { Codec } from './codec.js';
import { AOE_ARG_OFFSET, MASK_ARG_HEADER_LENGTH, MASK_DIRECTIVE_LENGTH, MaskCommand } from './constants.js';
import { checkField, ensureReadable, ensureWritable, WireError, WireErrorCode } from './errors.js';
import { checkMac, readMac, writeMac } from './mac.js';

/*
 * AoEr11 §3.3 "Mac Mask List" argument, at frame offset 24:
 *
 *  byte  0          1      2        3           4 ...
 *       +----------+------+--------+-----------+---------------------------+
 *       | Reserved | MCmd | MError | Dir Count | Dir Count x directive     |
 *       +----------+------+--------+-----------+---------------------------+
 *
 *  directive:
 *  byte  0          1      2 ... 7
 *       +----------+------+----------------+
 *       | Reserved | DCmd | MAC (6 bytes)  |
 *       +----------+------+----------------+
 *
 *  MCmd: 0 read, 1 edit; anything else is ERR_AOE_BAD_MCMD (BadArgument).
 *  DCmd: 0 no directive, 1 add, 2 delete. An unknown DCmd is NOT a decode error: AoEr11 §3.3
 *        answers it in-band (MError 2 "bad directive", Dir Count = its index), so the target
 *        must see it. The directive's value is carried as-is (any byte).
 *  MError: 0 none, 1 unspecified, 2 bad directive, 3 list full (carried as-is, any byte).
 *  Dir Count: with MError = 0, the number of directives that follow. With MError != 0 it is the
 *        index of the failing directive and no directives follow (vblade replies with just these
 *        4 bytes); decode then returns `directives: []` and `errorIndex: Dir Count`.
 *  Reserved bytes (byte 0, and byte 0 of every directive) must be zero: ERR_AOE_RESERVED,
 *  BadArgument. A target should also refuse requests with MError != 0 (BadArgument): requests
 *  carry no error, and the codec cannot tell requests from responses.
 *
 * MASK_ARG_HEADER_LENGTH = 1 + 1 + 1 + 1 = 4; MASK_DIRECTIVE_LENGTH = 1 + 1 + 6 = 8 (constants.ts).
 * The argument is 4 + 8 * Dir Count bytes (4 when MError != 0).
 */

export interface MaskDirective {
  /** DirectiveCommand (DCmd). */
  command: number;
  /** 48-bit MAC. */
  mac: number;
}

export interface MaskArg {
  /** MaskCommand (MCmd). */
  command: number;
  /** MaskError (MError); 0 = success. */
  error: number;
  /** The directives (request) or the current mask list (successful response). Empty when error != 0. */
  directives: MaskDirective[];
  /**
   * Only meaningful when error != 0: the Dir Count field, i.e. the index of the failing
   * directive (AoEr11 §3.3). Encode writes it (default 0) and ignores `directives`;
   * decode sets it only for error replies.
   */
  errorIndex?: number;
}

const RESERVED = 0;
const COMMAND = RESERVED + 1;
const ERROR = COMMAND + 1;
const COUNT = ERROR + 1;
const DIRECTIVES = COUNT + 1;
const DIRECTIVE_RESERVED = 0;
const DIRECTIVE_COMMAND = DIRECTIVE_RESERVED + 1;
const DIRECTIVE_MAC = DIRECTIVE_COMMAND + 1;

/** Dir Count is one byte. */
export const MASK_DIRECTIVES_MAX = 0xff;

export const maskArg: Codec<MaskArg> = {
  encodingLength(value: MaskArg): number {
    if (value.error !== 0) return MASK_ARG_HEADER_LENGTH;
    return MASK_ARG_HEADER_LENGTH + MASK_DIRECTIVE_LENGTH * value.directives.length;
  },

  /** Throws ERR_AOE_FIELD_RANGE (e.g. more than 255 directives) and ERR_AOE_BAD_MAC. */
  encodeInto(value: MaskArg, buf: Uint8Array, offset: number): number {
    checkField(value.command, 0xff, 'mask.command');
    checkField(value.error, 0xff, 'mask.error');
    const isError = value.error !== 0;
    const count = isError ? (value.errorIndex ?? 0) : value.directives.length;
    checkField(count, MASK_DIRECTIVES_MAX, isError ? 'mask.errorIndex' : 'mask directive count');
    const length = MASK_ARG_HEADER_LENGTH + (isError ? 0 : MASK_DIRECTIVE_LENGTH * count);
    ensureWritable(buf, offset, length, 'Mac Mask List argument');
    if (!isError) {
      // Validate everything first so a bad directive leaves the buffer untouched.
      for (const directive of value.directives) {
        checkField(directive.command, 0xff, 'mask directive command');
        checkMac(directive.mac, 'mask directive mac');
      }
    }
    buf[offset + RESERVED] = 0;
    buf[offset + COMMAND] = value.command;
    buf[offset + ERROR] = value.error;
    buf[offset + COUNT] = count;
    if (!isError) {
      let at = offset + DIRECTIVES;
      for (const directive of value.directives) {
        buf[at + DIRECTIVE_RESERVED] = 0;
        buf[at + DIRECTIVE_COMMAND] = directive.command;
        writeMac(buf, at + DIRECTIVE_MAC, directive.mac);
        at += MASK_DIRECTIVE_LENGTH;
      }
    }
    return length;
  },

  /**
   * Checks, in order: 4 header bytes, then (MError = 0) Dir Count directives present
   * (ERR_AOE_SHORT_ARG, drop); reserved bytes (ERR_AOE_RESERVED, BadArgument); MCmd <= 1
   * (ERR_AOE_BAD_MCMD, BadArgument). With `out`, its directive objects are reused.
   */
  decode(buf: Uint8Array, offset = 0, end: number = buf.length, out?: MaskArg): MaskArg {
    const error = buf[offset + ERROR];
    const count = buf[offset + COUNT];
    const directiveCount = error === 0 ? count : 0;
    const problem = maskArgProblem(buf, offset, end);
    if (problem === WireErrorCode.ShortArg) {
      ensureReadable(buf, offset, end, MASK_ARG_HEADER_LENGTH + MASK_DIRECTIVE_LENGTH * directiveCount, problem, 'Mac Mask List argument');
    }
    if (problem === WireErrorCode.Reserved) throw new WireError(problem, 'Mac Mask List reserved byte (argument or directive) is not zero');
    const command = buf[offset + COMMAND];
    if (problem !== undefined) throw new WireError(problem, `Mac Mask List MCmd ${command} is not defined`);
    let result: MaskArg;
    if (out === undefined) {
      result = error === 0 ? { command, error, directives: [] } : { command, error, directives: [], errorIndex: count };
    } else {
      result = out;
      result.command = command;
      result.error = error;
      if (error !== 0) result.errorIndex = count;
      else if (result.errorIndex !== undefined) delete result.errorIndex;
    }
    const directives = result.directives;
    for (let i = 0; i < directiveCount; i++) {
      const at = offset + DIRECTIVES + i * MASK_DIRECTIVE_LENGTH;
      const directiveCommand = buf[at + DIRECTIVE_COMMAND];
      const mac = readMac(buf, at + DIRECTIVE_MAC);
      const existing = directives[i];
      if (existing === undefined) directives.push({ command: directiveCommand, mac });
      else {
        existing.command = directiveCommand;
        existing.mac = mac;
      }
    }
    directives.length = directiveCount;
    return result;
  },
};

/*
 * Data-path accessors over a whole frame (`at` = the frame start; the argument is at `at + 24`, directive i at
 * `at + 28 + 8i`). Call maskRequestProblem() first.
 */
const ARG = AOE_ARG_OFFSET;

/**
 * The one validation of a Mac Mask List argument (decode shares it), in order: the 4 header bytes and (MError 0)
 * Dir Count directives present (ERR_AOE_SHORT_ARG: drop), reserved bytes zero (ERR_AOE_RESERVED: BadArgument),
 * MCmd <= 1 (ERR_AOE_BAD_MCMD: BadArgument). `offset` is the argument's offset.
 */
export function maskArgProblem(buf: Uint8Array, offset: number, end: number): WireErrorCode | undefined {
  const limit = Math.min(end, buf.length);
  if (offset + MASK_ARG_HEADER_LENGTH > limit) return WireErrorCode.ShortArg;
  const directiveCount = buf[offset + ERROR] === 0 ? buf[offset + COUNT] : 0;
  if (offset + MASK_ARG_HEADER_LENGTH + MASK_DIRECTIVE_LENGTH * directiveCount > limit) return WireErrorCode.ShortArg;
  if (buf[offset + RESERVED] !== 0) return WireErrorCode.Reserved;
  for (let i = 0; i < directiveCount; i++) {
    if (buf[offset + DIRECTIVES + i * MASK_DIRECTIVE_LENGTH + DIRECTIVE_RESERVED] !== 0) return WireErrorCode.Reserved;
  }
  if (buf[offset + COMMAND] > MaskCommand.Edit) return WireErrorCode.BadMaskCommand;
  return undefined;
}

/** maskArgProblem for a request frame at `at`; a request carrying an MError is refused too (ERR_AOE_RESERVED). */
export function maskRequestProblem(buf: Uint8Array, at: number, length: number): WireErrorCode | undefined {
  const problem = maskArgProblem(buf, at + ARG, at + length);
  if (problem === undefined && buf[at + ARG + ERROR] !== 0) return WireErrorCode.Reserved;
  return problem;
}

/** MCmd (MaskCommand). */
export function maskCommand(buf: Uint8Array, at: number): number {
  return buf[at + ARG + COMMAND];
}

/** MError (MaskError) of a response. */
export function maskError(buf: Uint8Array, at: number): number {
  return buf[at + ARG + ERROR];
}

/** Dir Count: directives that follow, or with an MError the index of the failing directive. */
export function maskDirectiveCount(buf: Uint8Array, at: number): number {
  return buf[at + ARG + COUNT];
}

/** DCmd (DirectiveCommand) of directive `index`. */
export function maskDirectiveCommand(buf: Uint8Array, at: number, index: number): number {
  return buf[at + ARG + DIRECTIVES + index * MASK_DIRECTIVE_LENGTH + DIRECTIVE_COMMAND];
}

/** MAC of directive `index`. */
export function maskDirectiveMac(buf: Uint8Array, at: number, index: number): number {
  return readMac(buf, at + ARG + DIRECTIVES + index * MASK_DIRECTIVE_LENGTH + DIRECTIVE_MAC);
}

/**
 * Writes a Mac Mask List argument: MCmd, MError and, with MError 0, `directives` (pairs of DCmd and MAC: a
 * request's edits, or a reply's list with DCmd 0); with an MError, Dir Count is `errorIndex`. Returns the
 * frame length. Throws ERR_AOE_BAD_MAC for a MAC that is not 48-bit.
 */
export function writeMaskArg(
  buf: Uint8Array,
  at: number,
  command: number,
  error: number,
  directives: readonly MaskDirective[],
  errorIndex = 0,
): number {
  const arg = at + ARG;
  buf[arg + RESERVED] = 0;
  buf[arg + COMMAND] = command;
  buf[arg + ERROR] = error;
  if (error !== 0) {
    buf[arg + COUNT] = errorIndex;
    return ARG + MASK_ARG_HEADER_LENGTH;
  }
  buf[arg + COUNT] = directives.length;
  for (let i = 0; i < directives.length; i++) {
    const directive = arg + DIRECTIVES + i * MASK_DIRECTIVE_LENGTH;
    buf[directive + DIRECTIVE_RESERVED] = 0;
    buf[directive + DIRECTIVE_COMMAND] = directives[i].command;
    writeMac(buf, directive + DIRECTIVE_MAC, directives[i].mac);
  }
  return ARG + MASK_ARG_HEADER_LENGTH + MASK_DIRECTIVE_LENGTH * directives.length;
}
