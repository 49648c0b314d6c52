// What a target must do with a request (AoEr11 + AOE-NOTES): which exports must stay silent, and whether a reply is well-formed.
import type { ExportRuntime } from '../target/export.js';

export const SILENT = 0;
export const MUST_REPLY = 1;

/** The control state the oracle needs for one export; `stateless` ignores mask and config-test rules (state unknown). */
export interface OracleExport {
  runtime: ExportRuntime;
}

function readMac(frame: Buffer, offset: number): number {
  return frame.readUIntBE(offset, 6);
}

/** Exports that a request addresses (empty = nobody may answer). Also empty for frames the ladder drops before dispatch. */
export function addressedExports(frame: Buffer, length: number, exports: readonly ExportRuntime[]): ExportRuntime[] {
  if (length < 24 || frame[12] !== 0x88 || frame[13] !== 0xa2) return [];
  if ((frame[14] & 0x08) !== 0) return []; // a response: targets never answer responses
  const shelf = frame.readUInt16BE(16);
  const slot = frame[18];
  return exports.filter((runtime) => (shelf === 0xffff || shelf === runtime.shelf) && (slot === 0xff || slot === runtime.slot));
}

/**
 * For a request addressed to `runtime`: SILENT when the protocol says to drop it, MUST_REPLY when it must be answered,
 * or -1 when it depends on control state the caller does not know (stateless mode).
 */
export function expectation(frame: Buffer, length: number, runtime: ExportRuntime, stateless: boolean): number {
  if (frame[14] >> 4 !== 1) return MUST_REPLY; // error 5, unsupported version
  const source = readMac(frame, 6);
  switch (frame[19]) {
    case 0: {
      if (length < 36) return SILENT; // no room for the ATA argument
      if (stateless) return -1;
      if (runtime.macMask.length > 0 && !runtime.macMask.includes(source)) return SILENT; // §3.3: masked out
      return MUST_REPLY;
    }
    case 1: {
      if (length < 32) return SILENT;
      const stringLength = frame.readUInt16BE(30);
      if (stringLength > 1024) return MUST_REPLY; // bad argument
      if (length < 32 + stringLength) return SILENT; // the string is not in the frame
      const command = frame[29] & 0x0f;
      if (command !== 1 && command !== 2) return MUST_REPLY;
      if (stateless) return -1;
      const given = frame.subarray(32, 32 + stringLength);
      const current = runtime.configString.subarray(0, runtime.configLength);
      const matches = command === 1 ? given.equals(current) : stringLength <= current.length && given.equals(current.subarray(0, stringLength));
      return matches ? MUST_REPLY : SILENT; // §3.2: a test that does not match gets no answer
    }
    case 2: {
      if (length < 28) return SILENT;
      if (frame[25] === 1 && length < 28 + frame[27] * 8) return SILENT; // directives missing
      return MUST_REPLY;
    }
    case 3: {
      if (length < 26) return SILENT;
      if (frame[24] > 2 || frame[25] > 64) return MUST_REPLY; // bad argument
      if (length < 26 + frame[25] * 6) return SILENT;
      return MUST_REPLY;
    }
    default:
      return MUST_REPLY; // error 1, unrecognized command (vendor commands included: we implement none)
  }
}

/** Problems with one reply to `request` (empty = fine). */
export function replyProblems(reply: Uint8Array, replyLength: number, request: Buffer, requestLength: number, targetMac: number, exports: readonly ExportRuntime[], maxFrame: number): string[] {
  const frame = Buffer.from(reply.buffer, reply.byteOffset, replyLength);
  const problems: string[] = [];
  if (replyLength < 60 || replyLength > maxFrame) problems.push(`reply length ${replyLength}`);
  if (readMac(frame, 0) !== readMac(request, 6)) problems.push('reply not sent to the request source');
  if (readMac(frame, 6) !== targetMac) problems.push('reply source is not the target MAC');
  if (frame[12] !== 0x88 || frame[13] !== 0xa2) problems.push('reply ethertype');
  if (frame[14] >> 4 !== 1 || (frame[14] & 0x08) === 0) problems.push('reply version/R flag');
  if ((frame[14] & 0x03) !== 0) problems.push('reply reserved flag bits set');
  const shelf = frame.readUInt16BE(16);
  const slot = frame[18];
  if (shelf === 0xffff || slot === 0xff) problems.push('reply claims a broadcast shelf/slot');
  if (!addressedExports(request, requestLength, exports).some((runtime) => runtime.shelf === shelf && runtime.slot === slot)) problems.push(`reply from e${shelf}.${slot}, not addressed`);
  if (frame[19] !== request[19] || frame.readUInt32BE(20) !== request.readUInt32BE(20)) problems.push('command/tag not echoed');
  const isError = (frame[14] & 0x04) !== 0;
  if (isError && (frame[15] < 1 || frame[15] > 6)) problems.push(`AoE error ${frame[15]}`);
  if (!isError && request[19] === 0 && frame[27] === 0x40) {
    // ATA success: a read carries exactly sectorCount sectors
    const command = request[27];
    const isRead = command === 0x20 || command === 0x24;
    if (isRead && replyLength !== Math.max(60, 36 + request[26] * 512)) problems.push(`read reply of ${replyLength} bytes for ${request[26]} sectors`);
  }
  return problems;
}
