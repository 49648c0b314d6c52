// The NBD client's pooled records: one NbdRequest per request on the wire, one Operation per caller call (split into requests).
import type { NbdClientError } from './client-errors.js';

export const RequestKind = { Read: 0, Write: 1, Flush: 2 } as const;
/** Free: in the pool. Waiting: to be (re)sent. InFlight: sent, no final reply yet. Acked: a write replied to and kept for replay until a flush. */
export const RequestState = { Free: 0, Waiting: 1, InFlight: 2, Acked: 3 } as const;

export type IoDone = (error: NbdClientError | null, bytes: number) => void;
export type FlushDone = (error: NbdClientError | null) => void;

/** What a request was sent on (a ClientConnection); only identity matters here. */
export type RequestOwner = object;

/** Most caller operations one request carries (contiguous reads or writes submitted together are merged). */
export const MAX_SEGMENTS = 64;

export class NbdRequest {
  /** Low half of the cookie: the index in the table. */
  readonly index: number;
  /** High half of the cookie, bumped on every send, so a late reply to an earlier send is never matched. */
  serial = 0;
  kind = 0;
  state: number = RequestState.Free;
  position = 0;
  length = 0;
  commandFlags = 0;
  /** In a connection's output batch, header not yet encoded: it may still grow by merging. */
  queued = false;
  /**
   * The caller operations it serves, in byte order: segment k covers `segmentLengths[k]` bytes of the request, from/to
   * `segmentBuffers[k]` at `segmentOffsets[k]` (reads copy replies straight there; writes were copied into the journal).
   */
  segmentCount = 0;
  readonly segmentOperations: Operation[] = [];
  readonly segmentBuffers: Uint8Array[] = [];
  readonly segmentOffsets: number[] = [];
  readonly segmentLengths: number[] = [];
  /** Writes: byte offset of the request header (data follows) in the write journal, and the journal record slot. */
  journalStart = -1;
  journalRecord = -1;
  /** Writes: order in which replies arrived (replayed in this order after a reconnect). */
  ackSequence = 0;
  /** Structured replies: bytes of the read covered by data/hole chunks, and the first error chunk's value and message. */
  covered = 0;
  errorValue = 0;
  errorMessage = '';
  connection: RequestOwner | null = null;

  constructor(index: number) {
    this.index = index;
  }

  addSegment(operation: Operation, buffer: Uint8Array | null, offset: number, length: number): void {
    const index = this.segmentCount++;
    this.segmentOperations[index] = operation;
    this.segmentBuffers[index] = buffer as Uint8Array;
    this.segmentOffsets[index] = offset;
    this.segmentLengths[index] = length;
  }

  /** Copy `count` bytes of `source` (from `from`) to request-relative offset `relative`, across segments. */
  scatter(source: Buffer, from: number, count: number, relative: number): void {
    if (this.segmentCount === 1) {
      source.copy(this.segmentBuffers[0], this.segmentOffsets[0] + relative, from, from + count);
      return;
    }
    let segment = 0;
    let segmentStart = 0;
    while (relative >= segmentStart + this.segmentLengths[segment]) segmentStart += this.segmentLengths[segment++];
    while (count > 0) {
      const within = relative - segmentStart;
      const bytes = Math.min(count, this.segmentLengths[segment] - within);
      source.copy(this.segmentBuffers[segment], this.segmentOffsets[segment] + within, from, from + bytes);
      from += bytes;
      count -= bytes;
      relative += bytes;
      segmentStart += this.segmentLengths[segment++];
    }
  }

  /** Zero `count` bytes at request-relative offset `relative` (a hole chunk). */
  zero(relative: number, count: number): void {
    let segmentStart = 0;
    for (let segment = 0; segment < this.segmentCount && count > 0; segment += 1) {
      const length = this.segmentLengths[segment];
      if (relative < segmentStart + length) {
        const within = relative - segmentStart;
        const bytes = Math.min(count, length - within);
        const start = this.segmentOffsets[segment] + within;
        this.segmentBuffers[segment].fill(0, start, start + bytes);
        relative += bytes;
        count -= bytes;
      }
      segmentStart += length;
    }
  }
}

/** One caller-level read, write or flush: the requests it became, the first error and the callback. */
export class Operation {
  kind = 0;
  /** Requests still to answer, and bytes already handed to requests (a large operation starts piece by piece). */
  remaining = 0;
  started = 0;
  bytes = 0;
  error: NbdClientError | null = null;
  ioDone: IoDone | null = null;
  flushDone: FlushDone | null = null;
  /** Arguments kept while the operation waits for room. */
  buffer: Uint8Array | null = null;
  bufferOffset = 0;
  length = 0;
  position = 0;
  fua = false;
  /** Flushes: writes acknowledged up to this journal sequence are covered once the flush succeeds. */
  flushSequence = 0;
  /** Internal flushes (journal full) have no caller. */
  internal = false;
  /** Intrusive FIFO link while waiting. */
  next: Operation | null = null;

  /** A pooled operation made ready for a new caller's arguments (nothing started, nothing counted). */
  reset(
    kind: number,
    buffer: Uint8Array | null,
    bufferOffset: number,
    length: number,
    position: number,
    fua: boolean,
    ioDone: IoDone | null,
    flushDone: FlushDone | null,
  ): void {
    this.kind = kind;
    this.buffer = buffer;
    this.bufferOffset = bufferOffset;
    this.length = length;
    this.position = position;
    this.fua = fua;
    this.ioDone = ioDone;
    this.flushDone = flushDone;
    this.bytes = 0;
    this.remaining = 0;
    this.started = 0;
  }
}

const EMPTY = new Uint8Array(0);

export class RequestTable {
  readonly requests: NbdRequest[] = [];
  private readonly free: NbdRequest[] = [];
  private readonly freeOperations: Operation[] = [];

  acquire(): NbdRequest {
    const request = this.free.pop() ?? this.grow();
    request.state = RequestState.Waiting;
    return request;
  }

  release(request: NbdRequest): void {
    request.state = RequestState.Free;
    for (let index = 0; index < request.segmentCount; index += 1) request.segmentBuffers[index] = EMPTY;
    request.segmentCount = 0;
    request.queued = false;
    request.connection = null;
    request.journalStart = -1;
    request.journalRecord = -1;
    this.free.push(request);
  }

  /** The request a reply's cookie names, if it is in flight on `connection`; null otherwise (a protocol violation). */
  lookup(high: number, low: number, connection: RequestOwner): NbdRequest | null {
    const request = this.requests[low];
    if (request === undefined || request.serial !== high || request.connection !== connection || request.state !== RequestState.InFlight)
      return null;
    return request;
  }

  acquireOperation(): Operation {
    return this.freeOperations.pop() ?? new Operation();
  }

  releaseOperation(operation: Operation): void {
    operation.buffer = null;
    operation.ioDone = null;
    operation.flushDone = null;
    operation.error = null;
    operation.next = null;
    operation.internal = false;
    this.freeOperations.push(operation);
  }

  private grow(): NbdRequest {
    const request = new NbdRequest(this.requests.length);
    this.requests.push(request);
    return request;
  }
}

/** FIFO of operations waiting for room (bytes in flight, journal space) or for a reconnect. */
export class OperationQueue {
  private first: Operation | null = null;
  private last: Operation | null = null;
  length = 0;

  push(operation: Operation): void {
    operation.next = null;
    if (this.last === null) this.first = operation;
    else this.last.next = operation;
    this.last = operation;
    this.length += 1;
  }

  peek(): Operation | null {
    return this.first;
  }

  shift(): Operation | null {
    const operation = this.first;
    if (operation === null) return null;
    this.first = operation.next;
    if (this.first === null) this.last = null;
    operation.next = null;
    this.length -= 1;
    return operation;
  }
}

/** A request kind as the NBD command's name, for messages. */
export function requestKindName(kind: number): string {
  return kind === RequestKind.Read ? 'READ' : kind === RequestKind.Write ? 'WRITE' : 'FLUSH';
}
