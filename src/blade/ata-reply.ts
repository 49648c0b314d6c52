// ATA replies (AoEr11 §3.1): registers for errors, and the completions that turn store results into replies.
import * as ataArg from '../wire/ata-arg.js';
import { AtaErrorBit, AtaStatus, ATA_DATA_OFFSET } from '../wire/constants.js';
import type { ExportRuntime } from './export.js';
import type { ReplyFrame } from './reply-pool.js';

/** DRDY | ERR: the status of every ATA error reply. */
const STATUS_ERROR = AtaStatus.Ready | AtaStatus.Error;
// A module-level copy: V8 re-checks an imported binding at each use in optimized code (bench/initiator-hot-path.mjs).
const { setAtaResult } = ataArg;
const DATA = ATA_DATA_OFFSET;
/**
 * A failed FLUSH says UNC (with ABRT clear), never ABRT alone: an initiator reads a bare ABRT as "FLUSH CACHE EXT
 * not supported" and may retry as FLUSH CACHE, which must not happen after an I/O error.
 */
export const FLUSH_FAILED = AtaErrorBit.Uncorrectable;

/** ATA error bits for a failed write: ABRT for "refused" conditions (no space, read-only, permissions), UNC for I/O errors. */
export function writeErrorBits(error: Error): number {
  switch ((error as { code?: unknown }).code) {
    case 'ENOSPC':
    case 'EDQUOT':
    case 'EFBIG':
    case 'EROFS':
    case 'EPERM':
    case 'EACCES':
      return AtaErrorBit.Abort;
    default:
      return AtaErrorBit.Uncorrectable;
  }
}

/** Finish `reply` as an ATA error (status DRDY|ERR, `errorBits` in the error register) with no data, and queue it. */
export function ataError(reply: ReplyFrame, runtime: ExportRuntime, errorBits: number): void {
  setAtaResult(reply.frame, 0, STATUS_ERROR, errorBits);
  runtime.counters.ataErrors++;
  reply.engine.queue(reply, DATA);
}

function shortTransfer(what: string, bytes: number, expected: number): Error {
  return Object.assign(new Error(`short ${what}: ${bytes} of ${expected} bytes`), { code: 'EIO' });
}

export function completeRead(reply: ReplyFrame, error: Error | null, bytes: number): void {
  const runtime = reply.exportRuntime as ExportRuntime;
  if (error !== null || bytes !== reply.expected) {
    runtime.counters.ioErrors++;
    ataError(reply, runtime, AtaErrorBit.Uncorrectable);
    return;
  }
  runtime.counters.bytesRead += bytes;
  reply.engine.queue(reply, DATA + bytes);
}

export function completeWrite(reply: ReplyFrame, error: Error | null, bytes: number): void {
  const runtime = reply.exportRuntime as ExportRuntime;
  if (error !== null || bytes !== reply.expected) {
    const failure = error ?? shortTransfer('write', bytes, reply.expected);
    runtime.counters.ioErrors++;
    runtime.recordWriteFailure(failure);
    ataError(reply, runtime, writeErrorBits(failure));
    return;
  }
  runtime.counters.bytesWritten += bytes;
  // A 60-byte reply that acknowledges `bytes` of payload: it counts as that much work toward the early flush.
  reply.engine.queue(reply, DATA, DATA + bytes);
}

export function completeFlush(reply: ReplyFrame, error: Error | null): void {
  const runtime = reply.exportRuntime as ExportRuntime;
  if (error !== null) {
    runtime.counters.ioErrors++;
    runtime.recordWriteFailure(error);
    ataError(reply, runtime, FLUSH_FAILED);
    return;
  }
  reply.engine.queue(reply, DATA);
}
