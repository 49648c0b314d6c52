// Control-plane helpers: Query Config (read/test/set/force), IDENTIFY, Mac Mask List and Reserve/Release.
import {
  AOE_ARG_OFFSET, AOE_VERSION, AtaCommand, AtaErrorBit, AtaStatus, ATA_DATA_OFFSET, Command, CONFIG_STRING_MAX, ConfigCommand,
  MaskCommand, ReserveCommand, SECTOR_SIZE,
} from '../wire/constants.js';
import { parseIdentify, type IdentifyInfo } from '../wire/identify.js';
import { readMac, writeMac } from '../wire/mac.js';
import { request, type ControlTarget, type RequestOptions } from './control.js';
import { ataReplyError, InitiatorError } from './errors.js';

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

/** Write a Query Config argument (AoEr11 §3.2) at `offset`; returns its length. */
export function writeConfigArg(frame: Buffer, offset: number, command: number, configString = ''): number {
  const text = Buffer.from(configString, 'latin1');
  if (text.length > CONFIG_STRING_MAX) throw new InitiatorError('ERR_AOE_CONFIG_TOO_LONG', `config string is ${text.length} bytes, at most ${CONFIG_STRING_MAX}`);
  frame.fill(0, offset, offset + 8);
  frame[offset + 5] = (AOE_VERSION << 4) | command;
  frame.writeUInt16BE(text.length, offset + 6);
  text.copy(frame, offset + 8);
  return 8 + text.length;
}

/** Parse a Query Config reply frame (whole frame, offset 0 = Ethernet). */
export function parseConfigReply(frame: Buffer): ConfigInfo {
  const offset = AOE_ARG_OFFSET;
  if (frame.length < offset + 8) throw new InitiatorError('ERR_AOE_SHORT_FRAME', 'Query Config reply too short');
  const stringLength = Math.min(frame.readUInt16BE(offset + 6), frame.length - offset - 8);
  const sectorCount = frame[offset + 4];
  return {
    shelf: frame.readUInt16BE(16),
    slot: frame[18],
    mac: readMac(frame, 6),
    bufferCount: frame.readUInt16BE(offset),
    firmwareVersion: frame.readUInt16BE(offset + 2),
    sectorCount: sectorCount === 0 ? 2 : sectorCount,
    aoeVersion: frame[offset + 5] >> 4,
    configString: frame.toString('latin1', offset + 8, offset + 8 + stringLength),
  };
}

/** Query Config read to one target MAC. */
export async function queryConfig(target: ControlTarget, options?: RequestOptions): Promise<ConfigInfo> {
  const reply = await request(target, Command.QueryConfig, (frame, offset) => writeConfigArg(frame, offset, ConfigCommand.Read), { what: 'query config', ...options });
  return parseConfigReply(reply);
}

/** Set the config string (CCmd set, or force set with `force`); error 4 -> ERR_AOE_CONFIG_STRING_PRESENT. */
export async function setConfig(target: ControlTarget, configString: string, force: boolean, options?: RequestOptions): Promise<ConfigInfo> {
  const command = force ? ConfigCommand.ForceSet : ConfigCommand.Set;
  try {
    const reply = await request(target, Command.QueryConfig, (frame, offset) => writeConfigArg(frame, offset, command, configString), { what: force ? 'force set config' : 'set config', ...options });
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

/** ATA IDENTIFY DEVICE (1 sector) over the control channel. */
export async function identify(target: ControlTarget, options?: RequestOptions): Promise<IdentifyResult> {
  const reply = await request(target, Command.Ata, (frame, offset) => {
    frame.fill(0, offset, offset + 12);
    frame[offset + 2] = 1; // sector count
    frame[offset + 3] = AtaCommand.Identify;
    return 12;
  }, { what: 'identify', ...options });
  checkAtaReply(reply, 'identify');
  if (reply.length < ATA_DATA_OFFSET + SECTOR_SIZE) throw new InitiatorError('ERR_AOE_SHORT_FRAME', 'IDENTIFY reply carries less than 512 bytes');
  return parseIdentify(reply, ATA_DATA_OFFSET);
}

export type { IdentifyInfo };

/** Non-data ATA command (FLUSH CACHE [EXT], CHECK POWER MODE) over the control channel. */
export async function ataCommand(target: ControlTarget, ataCommandCode: number, options?: RequestOptions): Promise<Buffer> {
  const reply = await request(target, Command.Ata, (frame, offset) => {
    frame.fill(0, offset, offset + 12);
    frame[offset] = 0x40; // LBA48 flag: harmless for non-data commands
    frame[offset + 3] = ataCommandCode;
    return 12;
  }, { what: `ATA command 0x${ataCommandCode.toString(16)}`, ...options });
  checkAtaReply(reply, `ATA command 0x${ataCommandCode.toString(16)}`);
  return reply;
}

export function checkAtaReply(reply: Buffer, what: string): void {
  const status = reply[AOE_ARG_OFFSET + 3];
  if (status & (AtaStatus.Error | AtaStatus.DeviceFault)) throw ataReplyError(status, reply[AOE_ARG_OFFSET + 1], what);
}

/** Which FLUSH a target takes: 'ext' once a FLUSH CACHE EXT succeeded, 'legacy' once it refused EXT, undefined before. */
export type FlushMode = 'ext' | 'legacy' | undefined;

/**
 * FLUSH CACHE EXT (0xEA), or FLUSH CACHE (0xE7) for targets that refuse EXT (vblade). Falls back only when EXT is
 * refused with a bare ABRT before any EXT ever succeeded on this target (`known` undefined). Never after an I/O
 * error (UNC/IDNF or any other error bit): a second flush after a failed one can report success for data that was
 * lost (Linux's errseq reports a write-back error once), so that error is what the caller gets.
 */
export async function flushCache(target: ControlTarget, options?: RequestOptions, known?: FlushMode): Promise<'ext' | 'legacy'> {
  const requestOptions = { timeoutMs: 2000, retries: 2, what: 'flush', ...options };
  if (known === 'legacy') {
    await ataCommand(target, AtaCommand.FlushCache, requestOptions).catch((error: unknown) => { throw flushError(target, error); });
    return 'legacy';
  }
  try {
    await ataCommand(target, AtaCommand.FlushCacheExt, requestOptions);
    return 'ext';
  } catch (error) {
    const refused = (error as InitiatorError).code === 'ERR_ATA_ABORT' && (error as InitiatorError).ataErrorRegister === AtaErrorBit.Abort;
    if (known === 'ext' || !refused) throw flushError(target, error);
  }
  await ataCommand(target, AtaCommand.FlushCache, requestOptions).catch((error: unknown) => { throw flushError(target, error); });
  return 'legacy';
}

/** A failed FLUSH in the user's terms: the writes since the last good flush may not be on disk. */
function flushError(target: ControlTarget, error: unknown): Error {
  if (!(error instanceof InitiatorError) || !error.code.startsWith('ERR_ATA_')) return error as Error;
  const kind = error.code === 'ERR_ATA_ABORT' ? 'refused the flush (ABRT)' : `reported an I/O error (${error.code.slice(8)})`;
  return new InitiatorError(
    error.code,
    `e${target.shelf}.${target.slot}: FLUSH failed: the target ${kind}; data written since the last successful flush may not be on its disk (${error.message})`,
    error.ataErrorRegister,
  );
}

export interface MaskEdit { command: 'add' | 'delete'; mac: number }

/** Mac Mask List (AoEr11 §3.3): read, or edit with directives; resolves with the target's current list. */
export async function maskList(target: ControlTarget, edits: MaskEdit[] = [], options?: RequestOptions): Promise<number[]> {
  const reply = await request(target, Command.MacMask, (frame, offset) => {
    frame[offset] = 0;
    frame[offset + 1] = edits.length > 0 ? MaskCommand.Edit : MaskCommand.Read;
    frame[offset + 2] = 0;
    frame[offset + 3] = edits.length;
    edits.forEach((edit, index) => {
      const at = offset + 4 + index * 8;
      frame[at] = 0;
      frame[at + 1] = edit.command === 'add' ? 1 : 2;
      writeMac(frame, at + 2, edit.mac);
    });
    return 4 + edits.length * 8;
  }, { what: 'mac mask', ...options });
  const offset = AOE_ARG_OFFSET;
  const maskError = reply[offset + 2];
  const count = reply[offset + 3];
  if (maskError !== 0) {
    const names: Record<number, string> = { 1: 'UNSPECIFIED', 2: 'BAD_DIRECTIVE', 3: 'LIST_FULL' };
    throw new InitiatorError(`ERR_AOE_MASK_${names[maskError] ?? maskError}`, `mac mask edit failed at directive ${count} (MError ${maskError})`);
  }
  const macs: number[] = [];
  for (let index = 0; index < count && offset + 4 + index * 8 + 8 <= reply.length; index += 1) macs.push(readMac(reply, offset + 4 + index * 8 + 2));
  return macs;
}

/** Reserve/Release (AoEr11 §3.4): read (macs undefined), set, or force set; resolves with the current list. */
export async function reserve(target: ControlTarget, macs?: number[], force = false, options?: RequestOptions): Promise<number[]> {
  const command = macs === undefined ? ReserveCommand.Read : force ? ReserveCommand.ForceSet : ReserveCommand.Set;
  const list = macs ?? [];
  let reply: Buffer;
  try {
    reply = await request(target, Command.ReserveRelease, (frame, offset) => {
      frame[offset] = command;
      frame[offset + 1] = list.length;
      list.forEach((mac, index) => writeMac(frame, offset + 2 + index * 6, mac));
      return 2 + list.length * 6;
    }, { what: 'reserve', ...options });
  } catch (error) {
    // One export on several target NICs shares its reservation: a set another path already made is a success.
    if (command !== ReserveCommand.Set || (error as InitiatorError).code !== 'ERR_AOE_RESERVED') throw error;
    const current = await reserve(target, undefined, false, options);
    if (current.length !== list.length || !list.every((mac) => current.includes(mac))) throw error;
    return current;
  }
  const offset = AOE_ARG_OFFSET;
  const count = reply[offset + 1];
  const result: number[] = [];
  for (let index = 0; index < count && offset + 2 + index * 6 + 6 <= reply.length; index += 1) result.push(readMac(reply, offset + 2 + index * 6));
  return result;
}
