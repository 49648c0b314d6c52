// The copy pipeline: chunks read and written with several in flight, in order where a side is a stream, and a byte count that must add up.
import { performance } from 'node:perf_hooks';
import { SECTOR_SIZE } from '../wire/constants.js';
import { CopyError, type CopyDestination, type CopySource } from './endpoint.js';
import { describeRoom, formatBytes } from './messages.js';

export interface CopyOptions {
  /** Bytes to copy. Default: the source's size, or everything up to the end of a stream. */
  length?: number;
  /** Bytes per request (a multiple of 512). Default 1 MiB. */
  chunkBytes?: number;
  /** Requests in flight. Default 8. */
  depth?: number;
  /** Called after every chunk written, with the bytes copied so far and the total when known. */
  onProgress?: (copied: number, total: number | undefined) => void;
  /** Called once when the last sector on a sector-granular destination is padded with zeros. */
  onNote?: (message: string) => void;
}

export interface CopyResult {
  /** Bytes copied (without padding). */
  bytes: number;
  seconds: number;
}

/** Checks the amounts before anything moves; returns the bytes to copy, or undefined for "to the end of the stream". */
export function plannedLength(source: CopySource, destination: CopyDestination, length: number | undefined): number | undefined {
  if (length !== undefined && source.size !== undefined && length > source.size) {
    throw new CopyError('ERR_AOE_RANGE', `cannot copy ${formatBytes(length)}: ${describeRoom(source.label, source.size, source.window)}`);
  }
  const planned = length ?? source.size;
  if (planned !== undefined && destination.size !== undefined && planned > destination.size) {
    throw new CopyError(
      'ERR_AOE_RANGE',
      `${formatBytes(planned)} from ${source.label} do not fit: ${describeRoom(destination.label, destination.size, destination.window)}`,
    );
  }
  return planned;
}

/**
 * Copy `source` to `destination`. Positional sides move `depth` chunks at once; a stream side is read (or
 * written) strictly in order. The copy fails if it moved fewer bytes than planned (a source that ended early),
 * if a stream holds more than the destination can take, or on the first I/O error; then `finish()` (flush,
 * fsync, end of stream) must succeed too, or the copy fails.
 */
export async function copy(source: CopySource, destination: CopyDestination, options: CopyOptions = {}): Promise<CopyResult> {
  const chunkBytes = options.chunkBytes ?? 1024 * 1024;
  if (chunkBytes <= 0 || chunkBytes % SECTOR_SIZE !== 0)
    throw new CopyError('ERR_AOE_RANGE', `the chunk size must be a positive multiple of ${SECTOR_SIZE}`);
  const depth = Math.max(1, options.depth ?? 8);
  const planned = plannedLength(source, destination, options.length);
  // A stream with no length given is read to its end, but never past what the destination holds (+1 byte to notice).
  const limit = planned ?? (destination.size !== undefined ? destination.size + 1 : Number.MAX_SAFE_INTEGER);
  const started = performance.now();
  let next = 0;
  let endOfSource = false;
  let copied = 0;
  let failure: unknown;
  let readTurn: Promise<unknown> = Promise.resolve();
  const order = new InOrder();

  const claim = async (buffer: Buffer): Promise<{ position: number; bytes: number } | null> => {
    if (failure !== undefined || endOfSource || next >= limit) return null;
    const position = next;
    const wanted = Math.min(chunkBytes, limit - position);
    next += wanted;
    const bytes = await source.read(buffer, position, wanted);
    if (bytes < wanted) {
      endOfSource = true;
      next = position + bytes;
    }
    return { position, bytes };
  };

  const worker = async (): Promise<void> => {
    const buffer = Buffer.alloc(chunkBytes);
    while (failure === undefined) {
      let piece: { position: number; bytes: number } | null;
      if (source.sequential) {
        // One read at a time, in order: the next claim waits for the previous read to finish.
        const turn = readTurn.then(() => claim(buffer));
        readTurn = turn.catch(() => {});
        piece = await turn;
      } else {
        piece = await claim(buffer);
      }
      if (piece === null || piece.bytes === 0) return;
      const { position, bytes } = piece;
      if (destination.size !== undefined && position + bytes > destination.size) {
        throw new CopyError(
          'ERR_AOE_RANGE',
          `${source.label} holds more than fits: ${describeRoom(destination.label, destination.size, destination.window)} (give --length)`,
        );
      }
      let data = buffer.subarray(0, bytes);
      if (destination.sectorAligned && bytes % SECTOR_SIZE !== 0) {
        const padded = Math.ceil(bytes / SECTOR_SIZE) * SECTOR_SIZE;
        buffer.fill(0, bytes, padded);
        data = buffer.subarray(0, padded);
        options.onNote?.(`padding the last ${padded - bytes} bytes with zeros to a whole sector`);
      }
      if (destination.sequential) await order.turn(position);
      await destination.write(data, position);
      if (destination.sequential) order.done(position + bytes);
      copied += bytes;
      options.onProgress?.(copied, planned);
    }
  };

  const workers = Array.from({ length: depth }, () =>
    worker().catch((error: unknown) => {
      failure ??= error;
      order.fail(error);
    }),
  );
  await Promise.all(workers);
  if (failure !== undefined) throw failure;
  if (planned !== undefined && copied !== planned) {
    throw new CopyError('ERR_AOE_SHORT_COPY', `short copy: ${source.label} ended after ${copied} of ${planned} bytes`);
  }
  await destination.finish();
  return { bytes: copied, seconds: (performance.now() - started) / 1000 };
}

/** Lets writes to a stream go in byte order: turn(position) resolves once everything before `position` is written. */
class InOrder {
  private written = 0;
  private failure: unknown;
  private readonly waiting = new Map<number, { resolve: () => void; reject: (error: unknown) => void }>();

  turn(position: number): Promise<void> {
    if (this.failure !== undefined) return Promise.reject(this.failure);
    if (position === this.written) return Promise.resolve();
    return new Promise((resolve, reject) => this.waiting.set(position, { resolve, reject }));
  }

  done(end: number): void {
    this.written = end;
    const waiter = this.waiting.get(end);
    if (waiter) {
      this.waiting.delete(end);
      waiter.resolve();
    }
  }

  fail(error: unknown): void {
    this.failure = error;
    for (const waiter of this.waiting.values()) waiter.reject(error);
    this.waiting.clear();
  }
}
