// The two sides of a copy: what a source and a destination promise (positional or in-order stream), and the copy errors.
import type { DeviceWindow } from './messages.js';

/** Where a copy reads from: an AoE device, a file or block device (positional), or a pipe/stdin (in order only). */
export interface CopySource {
  readonly label: string;
  /** Bytes it holds, or undefined for a stream whose end is known only when it comes. */
  readonly size: number | undefined;
  /** True when reads must come in order, one at a time (pipes, stdin, character devices). */
  readonly sequential: boolean;
  /** For an AoE device: the offset the copy starts at and the device's size (for messages). */
  readonly window?: DeviceWindow;
  /**
   * Read `length` bytes from byte `position` into the start of `buffer`; resolves with the bytes read, fewer than
   * asked only at the end. `buffer` has room for `length` rounded up to a whole sector.
   */
  read(buffer: Buffer, position: number, length: number): Promise<number>;
  close(): Promise<void>;
}

/** Where a copy writes to: an AoE device, a file or block device (positional), or a pipe/stdout (in order only). */
export interface CopyDestination {
  readonly label: string;
  /** Bytes it can take, or undefined when unbounded (a regular file, a pipe). */
  readonly size: number | undefined;
  /** True when writes must come in order, one at a time. */
  readonly sequential: boolean;
  /** For an AoE device: the offset the copy starts at and the device's size (for messages). */
  readonly window?: DeviceWindow;
  /** Whole 512-byte sectors only: a partial last sector is padded with zeros (the pad is not counted as copied). */
  readonly sectorAligned: boolean;
  /** Write all of `data` at byte `position`; `data` is reused once the promise settles. */
  write(data: Buffer, position: number): Promise<void>;
  /** Make the data durable or deliver it: FLUSH for a device, fsync for a file, end of stream for a pipe. */
  finish(): Promise<void>;
  close(): Promise<void>;
}

/** A copy failure with a stable code: ERR_AOE_SHORT_COPY, ERR_AOE_RANGE, ERR_AOE_COPY_OPEN, or the I/O error's own. */
export class CopyError extends Error {
  readonly code: string;
  constructor(code: string, message: string) {
    super(message);
    this.name = 'CopyError';
    this.code = code;
  }
}
