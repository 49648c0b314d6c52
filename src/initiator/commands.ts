// Control-plane commands: Query Config (read/test/set/force), IDENTIFY, Mac Mask List and Reserve/Release, built and parsed with src/wire.
import {
  AOE_ARG_OFFSET,
  AOE_VERSION,
  AtaCommand,
  AtaErrorBit,
  AtaFlag,
  AtaStatus,
  ATA_DATA_OFFSET,
  Command,
  CONFIG_STRING_MAX,
  ConfigCommand,
  DirectiveCommand,
  MaskCommand,
  MaskError,
  ReserveCommand,
} from '../wire/constants.js';
import { ataArgProblem, ataCommandStatus, ataErrorFeature, writeAtaRequest } from '../wire/ata-arg.js';
import {
  configAoeVersion,
  configArgProblem,
  configBufferCount,
  configFirmwareVersion,
  configSectorCount,
  configStringLength,
  configStringOffset,
  writeConfigArg,
} from '../wire/config-arg.js';
import type { WireErrorCode } from '../wire/errors.js';
import { readShelf, readSlot, readSourceMac } from '../wire/frame-header.js';
import { IDENTIFY_LENGTH, parseIdentify, type IdentifyInfo } from '../wire/identify.js';
import { MASK_DIRECTIVES_MAX, maskArgProblem, maskDirectiveCount, maskDirectiveMac, maskError, writeMaskArg } from '../wire/mask-arg.js';
import { RESERVE_MACS_MAX, reserveArgProblem, reserveMac, reserveMacCount, writeReserveArg } from '../wire/reserve-arg.js';
import { request, type RequestOptions, type RequestTarget } from './requests.js';
import { ataReplyError, badReplyError, InitiatorError } from './errors.js';
import type { Path } from './path.js';

/** A Query Config reply (AoEr11 §3.2) plus who sent it. */
export interface ConfigInfo {
  shelf: number;
  slot: number;
  /** Target MAC that answered. */
  mac: number;
  bufferCount: number;
  firmwareVersion: number;
  /** Max sectors per ATA command the target accepts (0 on the wire means 2). */
  sectorCount: number;
  aoeVersion: number;
  configString: string;
}

/** Throws the reply's problem (see badReplyError) when the shared src/wire check found one. */
function checkReply(problem: WireErrorCode | undefined, what: string): void {
  if (problem !== undefined) throw badReplyError(problem, what);
}

/** Writes a Query Config request (AoEr11 §3.2: CCmd `command`, version 1, the string) after the header; returns the frame length. */
export function writeConfigRequest(frame: Buffer, command: number, configString = ''): number {
  const text = Buffer.from(configString, 'latin1');
  if (text.length > CONFIG_STRING_MAX)
    throw new InitiatorError('ERR_AOE_CONFIG_TOO_LONG', `config string is ${text.length} bytes, at most ${CONFIG_STRING_MAX}`);
  return writeConfigArg(frame, 0, 0, 0, 0, AOE_VERSION, command, text, text.length);
}

/** Parse a Query Config reply frame (whole frame, offset 0 = Ethernet); ERR_AOE_SHORT_FRAME / ERR_AOE_BAD_REPLY when its argument is not sound. */
export function parseConfigReply(frame: Buffer): ConfigInfo {
  checkReply(configArgProblem(frame, AOE_ARG_OFFSET, frame.length), 'Query Config');
  const sectorCount = configSectorCount(frame, 0);
  const configString = configStringOffset(0);
  return {
    shelf: readShelf(frame, 0),
    slot: readSlot(frame, 0),
    mac: readSourceMac(frame, 0),
    bufferCount: configBufferCount(frame, 0),
    firmwareVersion: configFirmwareVersion(frame, 0),
    sectorCount: sectorCount === 0 ? 2 : sectorCount,
    aoeVersion: configAoeVersion(frame, 0),
    configString: frame.toString('latin1', configString, configString + configStringLength(frame, 0)),
  };
}

/** Query Config read to one target MAC. */
export async function queryConfig(target: RequestTarget, options?: RequestOptions): Promise<ConfigInfo> {
  const reply = await request(target, Command.QueryConfig, (frame) => writeConfigRequest(frame, ConfigCommand.Read), {
    what: 'query config',
    ...options,
  });
  return parseConfigReply(reply);
}

/** Set the config string (CCmd set, or force set with `force`); error 4 -> ERR_AOE_CONFIG_STRING_PRESENT. */
export async function setConfig(
  target: RequestTarget,
  configString: string,
  force: boolean,
  options?: RequestOptions,
): Promise<ConfigInfo> {
  const command = force ? ConfigCommand.ForceSet : ConfigCommand.Set;
  try {
    const reply = await request(target, Command.QueryConfig, (frame) => writeConfigRequest(frame, command, configString), {
      what: force ? 'force set config' : 'set config',
      ...options,
    });
    return parseConfigReply(reply);
  } catch (error) {
    // A target serving one export on several NICs shares the string: a set that another path already made is a success.
    if (force || (error as InitiatorError).code !== 'ERR_AOE_CONFIG_STRING_PRESENT') throw error;
    const current = await queryConfig(target, options);
    if (current.configString !== configString) throw error;
    return current;
  }
}

export type IdentifyResult = ReturnType<typeof parseIdentify>;

/** ATA IDENTIFY DEVICE (1 sector) over the control plane. */
export async function identify(target: RequestTarget, options?: RequestOptions): Promise<IdentifyResult> {
  const reply = await request(
    target,
    Command.Ata,
    (frame) => {
      writeAtaRequest(frame, 0, 0, 1, AtaCommand.Identify, 0);
      return ATA_DATA_OFFSET;
    },
    { what: 'identify', ...options },
  );
  checkAtaReply(reply, 'identify');
  if (reply.length < ATA_DATA_OFFSET + IDENTIFY_LENGTH)
    throw new InitiatorError('ERR_AOE_SHORT_FRAME', 'IDENTIFY reply carries less than 512 bytes');
  return parseIdentify(reply, ATA_DATA_OFFSET);
}

export type { IdentifyInfo };

/** Non-data ATA command (FLUSH CACHE [EXT], CHECK POWER MODE) over the control plane (LBA48 flag: harmless for non-data commands). */
export async function ataCommand(target: RequestTarget, ataCommandCode: number, options?: RequestOptions): Promise<Buffer> {
  const what = `ATA command 0x${ataCommandCode.toString(16)}`;
  const reply = await request(
    target,
    Command.Ata,
    (frame) => {
      writeAtaRequest(frame, 0, AtaFlag.Extended, 0, ataCommandCode, 0);
      return ATA_DATA_OFFSET;
    },
    { what, ...options },
  );
  checkAtaReply(reply, what);
  return reply;
}

/** An ATA reply: ERR_AOE_SHORT_FRAME / ERR_AOE_BAD_REPLY when its argument is not sound (ataArgProblem), ERR_ATA_* when its status says the command failed. */
export function checkAtaReply(reply: Buffer, what: string): void {
  checkReply(ataArgProblem(reply, AOE_ARG_OFFSET, reply.length), what);
  const status = ataCommandStatus(reply, 0);
  if (status & (AtaStatus.Error | AtaStatus.DeviceFault)) throw ataReplyError(status, ataErrorFeature(reply, 0), what);
}

/** Which FLUSH a target takes: 'ext' once a FLUSH CACHE EXT succeeded, 'legacy' once it refused EXT, undefined before. */
export type FlushMode = 'ext' | 'legacy' | undefined;

/**
 * FLUSH CACHE EXT (0xEA), or FLUSH CACHE (0xE7) for targets that refuse EXT (vblade). Falls back only when EXT is
 * refused with a bare ABRT before any EXT ever succeeded on this target (`known` undefined). Never after an I/O
 * error (UNC/IDNF or any other error bit): a second flush after a failed one can report success for data that was
 * lost (Linux's errseq reports a write-back error once), so that error is what the caller gets.
 */
export async function flushCache(target: RequestTarget, options?: RequestOptions, known?: FlushMode): Promise<'ext' | 'legacy'> {
  const requestOptions = { timeoutMs: 2000, retries: 2, what: 'flush', ...options };
  if (known === 'legacy') {
    await ataCommand(target, AtaCommand.FlushCache, requestOptions).catch((error: unknown) => {
      throw flushError(target, error);
    });
    return 'legacy';
  }
  try {
    await ataCommand(target, AtaCommand.FlushCacheExt, requestOptions);
    return 'ext';
  } catch (error) {
    const refused = (error as InitiatorError).code === 'ERR_ATA_ABORT' && (error as InitiatorError).ataErrorRegister === AtaErrorBit.Abort;
    if (known === 'ext' || !refused) throw flushError(target, error);
  }
  await ataCommand(target, AtaCommand.FlushCache, requestOptions).catch((error: unknown) => {
    throw flushError(target, error);
  });
  return 'legacy';
}

/**
 * FLUSH on every target MAC behind a device (one path each, an up one where there is one), all at once; every target
 * must succeed. A lost FLUSH (or its reply) is retried after a few RTOs, backing off to 2 s for a target that takes
 * long to flush. Each target's flush mode is remembered in `modes`, so that EXT is never given up after it worked.
 */
export async function flushTargets(paths: readonly Path[], shelf: number, slot: number, modes: Map<number, FlushMode>): Promise<void> {
  const byMac = new Map<number, Path>();
  for (const path of paths) {
    const known = byMac.get(path.targetMac);
    if (!known || (known.state !== 'up' && path.state === 'up')) byMac.set(path.targetMac, path);
  }
  await Promise.all(
    [...byMac.values()].map(async (path) => {
      const target = { port: path.port, mac: path.targetMac, shelf, slot };
      const options = { timeoutMs: Math.max(20, 4 * path.rto), maxTimeoutMs: 2000, retries: 9 };
      modes.set(path.targetMac, await flushCache(target, options, modes.get(path.targetMac)));
    }),
  );
}

/** A failed FLUSH in the user's terms: the writes since the last good flush may not be on disk. */
function flushError(target: RequestTarget, error: unknown): Error {
  if (!(error instanceof InitiatorError) || !error.code.startsWith('ERR_ATA_')) return error as Error;
  const kind = error.code === 'ERR_ATA_ABORT' ? 'refused the flush (ABRT)' : `reported an I/O error (${error.code.slice(8)})`;
  return new InitiatorError(
    error.code,
    `e${target.shelf}.${target.slot}: FLUSH failed: the target ${kind}; data written since the last successful flush may not be on its disk (${error.message})`,
    error.ataErrorRegister,
  );
}

export interface MaskEdit {
  command: 'add' | 'delete';
  mac: number;
}

/** MaskError value -> the name in its error code (BadDirective -> BAD_DIRECTIVE: ERR_AOE_MASK_BAD_DIRECTIVE). */
const MASK_ERROR_NAMES: Readonly<Record<number, string>> = Object.fromEntries(
  Object.entries(MaskError).map(([name, value]) => [value, name.replace(/(?<=[a-z])(?=[A-Z])/g, '_').toUpperCase()]),
);

/** Mac Mask List (AoEr11 §3.3): read, or edit with directives; resolves with the target's current list. */
export async function maskList(target: RequestTarget, edits: MaskEdit[] = [], options?: RequestOptions): Promise<number[]> {
  if (edits.length > MASK_DIRECTIVES_MAX)
    throw new InitiatorError('ERR_AOE_FIELD_RANGE', `${edits.length} mask directives, at most ${MASK_DIRECTIVES_MAX} per request`);
  const directives = edits.map((edit) => ({
    command: edit.command === 'add' ? DirectiveCommand.Add : DirectiveCommand.Delete,
    mac: edit.mac,
  }));
  const command = edits.length > 0 ? MaskCommand.Edit : MaskCommand.Read;
  const reply = await request(target, Command.MacMask, (frame) => writeMaskArg(frame, 0, command, MaskError.None, directives), {
    what: 'mac mask',
    ...options,
  });
  checkReply(maskArgProblem(reply, AOE_ARG_OFFSET, reply.length), 'mac mask');
  const error = maskError(reply, 0);
  const count = maskDirectiveCount(reply, 0);
  if (error !== MaskError.None) {
    throw new InitiatorError(
      `ERR_AOE_MASK_${MASK_ERROR_NAMES[error] ?? error}`,
      `mac mask edit failed at directive ${count} (MError ${error})`,
    );
  }
  const macs: number[] = [];
  for (let index = 0; index < count; index += 1) macs.push(maskDirectiveMac(reply, 0, index));
  return macs;
}

/** Reserve/Release (AoEr11 §3.4): read (macs undefined), set, or force set; resolves with the current list. */
export async function reserve(target: RequestTarget, macs?: number[], force = false, options?: RequestOptions): Promise<number[]> {
  const command = macs === undefined ? ReserveCommand.Read : force ? ReserveCommand.ForceSet : ReserveCommand.Set;
  const list = macs ?? [];
  if (list.length > RESERVE_MACS_MAX)
    throw new InitiatorError('ERR_AOE_FIELD_RANGE', `${list.length} MACs to reserve for, at most ${RESERVE_MACS_MAX}`);
  let reply: Buffer;
  try {
    reply = await request(target, Command.ReserveRelease, (frame) => writeReserveArg(frame, 0, command, list), {
      what: 'reserve',
      ...options,
    });
  } catch (error) {
    // One export on several target NICs shares its reservation: a set another path already made is a success.
    if (command !== ReserveCommand.Set || (error as InitiatorError).code !== 'ERR_AOE_RESERVED') throw error;
    const current = await reserve(target, undefined, false, options);
    if (current.length !== list.length || !list.every((mac) => current.includes(mac))) throw error;
    return current;
  }
  checkReply(reserveArgProblem(reply, AOE_ARG_OFFSET, reply.length), 'reserve');
  const result: number[] = [];
  for (let index = 0, count = reserveMacCount(reply, 0); index < count; index += 1) result.push(reserveMac(reply, 0, index));
  return result;
}
