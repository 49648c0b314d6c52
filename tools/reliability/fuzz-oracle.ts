// What a target must do with a request (AoEr11 + AOE-NOTES): which exports must stay silent, and whether a reply is well-formed.
import type { ExportRuntime } from '../../src/blade/export.js';
import { ataCommandStatus, ataSectorCount } from '../../src/wire/ata-arg.js';
import { configCommand, configStringLength, configStringOffset } from '../../src/wire/config-arg.js';
import {
  AtaCommand,
  AtaStatus,
  BROADCAST_SHELF,
  BROADCAST_SLOT,
  Command,
  ConfigCommand,
  ETHERNET_HEADER_LENGTH,
  ETHERNET_MIN_FRAME,
  ATA_DATA_OFFSET,
  SECTOR_SIZE,
} from '../../src/wire/constants.js';
import { isWireError, WireErrorCode } from '../../src/wire/errors.js';
import { headerFieldsProblem } from '../../src/wire/header.js';
import { decodeFrame } from '../../src/wire/frame.js';
import {
  hasAoeError,
  isAoeFrame,
  isResponse,
  readAoeError,
  readCommand,
  readDestinationMac,
  readShelf,
  readSlot,
  readSourceMac,
  readTag,
} from '../../src/wire/frame-header.js';

export const SILENT = 0;
export const MUST_REPLY = 1;

/** Exports that a request addresses (empty = nobody may answer). Also empty for frames the ladder drops before dispatch. */
export function addressedExports(frame: Buffer, length: number, exports: readonly ExportRuntime[]): ExportRuntime[] {
  if (!isAoeFrame(frame, length, 0)) return [];
  if (isResponse(frame, 0)) return []; // a response: targets never answer responses
  const shelf = readShelf(frame, 0);
  const slot = readSlot(frame, 0);
  return exports.filter(
    (runtime) => (shelf === BROADCAST_SHELF || shelf === runtime.shelf) && (slot === BROADCAST_SLOT || slot === runtime.slot),
  );
}

/**
 * For a request addressed to `runtime`: SILENT when the protocol says to drop it, MUST_REPLY when it must be answered,
 * or -1 when it depends on control state the caller does not know (`stateless`: a real target whose mask list,
 * reservation and config string the fuzzer may have changed). The wire layer is the judge of what is malformed.
 */
export function expectation(frame: Buffer, length: number, runtime: ExportRuntime, stateless: boolean): number {
  // The mask list guards every command, before anything else (vblade's order).
  if (!stateless && runtime.macMask.length > 0 && !runtime.macMask.includes(readSourceMac(frame, 0))) return SILENT;
  try {
    decodeFrame(frame.subarray(0, length), length);
  } catch (error) {
    if (!isWireError(error)) throw error;
    // Malformed: dropped when the code maps to no AoE error, else answered with that error (state permitting).
    if (error.aoeError === undefined) return SILENT;
    return stateless ? -1 : MUST_REPLY;
  }
  if (stateless) return -1;
  if (readCommand(frame, 0) === Command.QueryConfig) {
    const command = configCommand(frame, 0);
    if (command !== ConfigCommand.Test && command !== ConfigCommand.TestPrefix) return MUST_REPLY;
    const start = configStringOffset(0);
    const given = frame.subarray(start, start + configStringLength(frame, 0));
    const current = runtime.configString.subarray(0, runtime.configLength);
    const matches =
      command === ConfigCommand.Test
        ? given.equals(current)
        : given.length <= current.length && given.equals(current.subarray(0, given.length));
    return matches ? MUST_REPLY : SILENT; // §3.2: a test that does not match gets no answer
  }
  return MUST_REPLY; // ATA (errors included), Mac Mask, Reserve/Release, vendor commands (error 1)
}

/** Problems with one reply to `request` (empty = fine). */
export function replyProblems(
  reply: Uint8Array,
  replyLength: number,
  request: Buffer,
  requestLength: number,
  targetMac: number,
  exports: readonly ExportRuntime[],
  maxFrame: number,
): string[] {
  const frame = Buffer.from(reply.buffer, reply.byteOffset, replyLength);
  const problems: string[] = [];
  if (replyLength < ETHERNET_MIN_FRAME || replyLength > maxFrame) problems.push(`reply length ${replyLength}`);
  if (!isAoeFrame(frame, replyLength, 0)) return [...problems, 'reply is not an AoE frame'];
  if (readDestinationMac(frame, 0) !== readSourceMac(request, 0)) problems.push('reply not sent to the request source');
  if (readSourceMac(frame, 0) !== targetMac) problems.push('reply source is not the target MAC');
  if (!isResponse(frame, 0)) problems.push('reply R flag');
  const headerProblem = headerFieldsProblem(frame, ETHERNET_HEADER_LENGTH);
  if (headerProblem === WireErrorCode.Reserved) problems.push('reply reserved flag bits set');
  if (headerProblem === WireErrorCode.BadVersion) problems.push('reply version is not 1');
  const shelf = readShelf(frame, 0);
  const slot = readSlot(frame, 0);
  if (shelf === BROADCAST_SHELF || slot === BROADCAST_SLOT) problems.push('reply claims a broadcast shelf/slot');
  if (!addressedExports(request, requestLength, exports).some((runtime) => runtime.shelf === shelf && runtime.slot === slot))
    problems.push(`reply from e${shelf}.${slot}, not addressed`);
  if (readCommand(frame, 0) !== readCommand(request, 0) || readTag(frame, 0) !== readTag(request, 0))
    problems.push('command/tag not echoed');
  const isError = hasAoeError(frame, 0);
  if (isError && (readAoeError(frame, 0) < 1 || readAoeError(frame, 0) > 6)) problems.push(`AoE error ${readAoeError(frame, 0)}`);
  if (!isError && readCommand(request, 0) === Command.Ata && ataCommandStatus(frame, 0) === AtaStatus.Ready) {
    // ATA success: a read carries exactly sectorCount sectors
    const command = ataCommandStatus(request, 0);
    const isRead = command === AtaCommand.ReadSectors || command === AtaCommand.ReadSectorsExt;
    const sectors = ataSectorCount(request, 0);
    if (isRead && replyLength !== Math.max(ETHERNET_MIN_FRAME, ATA_DATA_OFFSET + sectors * SECTOR_SIZE))
      problems.push(`read reply of ${replyLength} bytes for ${sectors} sectors`);
  }
  return problems;
}
