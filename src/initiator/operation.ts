// One user read or write: its buffer, progress counters and the earlier overlapping operations it must wait for.
import { SECTOR_SIZE } from '../wire/constants.js';
import { InitiatorError } from './errors.js';

/** One user read or write, split into frames as paths have window space. */
export interface Operation {
  kind: 'read' | 'write';
  /** Device byte offset. */
  offset: number;
  length: number;
  /** Read: destination; write: source. Frames copy straight to/from it. */
  buffer: Buffer;
  /** Bytes handed to paths so far (new chunks are cut from here). */
  issued: number;
  /** Bytes not yet acknowledged. */
  remaining: number;
  done: boolean;
  /** Earlier overlapping operations (with a write involved) still running. */
  waitFor: number;
  dependents: Operation[] | undefined;
  /** Some write frame was sent again: its first copy may still be in the network (see WriteQuarantine). */
  retransmitted: boolean;
  promise: Promise<void>;
  resolve: () => void;
  reject: (error: Error) => void;
}

/**
 * A new operation. It waits for every earlier active operation it overlaps when either is a write, so overlapping
 * writes land in submission order and reads never see half of a concurrent write.
 */
export function createOperation(kind: 'read' | 'write', offset: number, buffer: Buffer, active: readonly Operation[]): Operation {
  let resolve!: () => void;
  let reject!: (error: Error) => void;
  const promise = new Promise<void>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  const length = buffer.length;
  const op: Operation = {
    kind,
    offset,
    length,
    buffer,
    issued: 0,
    remaining: length,
    done: false,
    waitFor: 0,
    dependents: undefined,
    retransmitted: false,
    promise,
    resolve,
    reject,
  };
  const end = offset + length;
  for (const earlier of active) {
    if ((kind === 'write' || earlier.kind === 'write') && earlier.offset < end && offset < earlier.offset + earlier.length) {
      op.waitFor += 1;
      (earlier.dependents ??= []).push(op);
    }
  }
  return op;
}

/** ERR_AOE_ALIGNMENT or ERR_AOE_RANGE when device `name` of `size` bytes cannot take this request, else undefined. */
export function requestError(
  name: string,
  size: number,
  kind: 'read' | 'write',
  offset: number,
  length: number,
): InitiatorError | undefined {
  if (!Number.isSafeInteger(offset) || offset < 0 || offset % SECTOR_SIZE !== 0 || length % SECTOR_SIZE !== 0) {
    return new InitiatorError('ERR_AOE_ALIGNMENT', `${name}: offset ${offset} and length ${length} must be multiples of ${SECTOR_SIZE}`);
  }
  if (offset + length > size) {
    return new InitiatorError(
      'ERR_AOE_RANGE',
      `${name}: ${kind} of ${length} bytes at ${offset} is beyond the end of the device (${size} bytes)`,
    );
  }
  return undefined;
}

/** A Buffer view of any Uint8Array (no copy). */
export function toBuffer(data: Uint8Array): Buffer {
  return Buffer.isBuffer(data) ? data : Buffer.from(data.buffer, data.byteOffset, data.byteLength);
}
