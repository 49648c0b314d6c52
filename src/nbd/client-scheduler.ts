// The NBD client's scheduler: operations -> requests (split, merged, journaled), the in-flight bound, completions, the write-back latch.
import type { ClientConnection } from './client-connection.js';
import { type NbdClientError, replyError } from './client-errors.js';
import { refusalOf } from './client-refusal.js';
import {
  MAX_SEGMENTS,
  type Operation,
  OperationQueue,
  RequestKind,
  RequestTable,
  requestKindName,
  type FlushDone,
  type IoDone,
  type NbdRequest,
} from './client-requests.js';
import type { NbdClient } from './client.js';
import { CommandFlag, REQUEST_LENGTH } from './protocol.js';
import { WriteJournal } from './write-journal.js';

const EMPTY = new Uint8Array(0);
/** Largest request we put on the wire (also bounded by the server's maximum payload). */
const MAX_PIECE = 1024 * 1024;

export class RequestScheduler {
  readonly table = new RequestTable();
  readonly journal: WriteJournal;
  /** Requests taken off a lost connection, re-sent once the server is back. */
  readonly retry: NbdRequest[] = [];
  readonly waiting = new OperationQueue();
  readonly counters = { requests: 0, mergedOperations: 0, reconnects: 0, replayedWrites: 0, retriedRequests: 0, journalFlushes: 0 };
  /** The first write or flush failure: every later flush fails with it (errors never turn into success). */
  writeBackError: NbdClientError | null = null;
  private readonly pieceLimit: number;
  private readonly covered: NbdRequest[] = [];
  private journalFlushActive = false;
  /** The request queued last (a merge candidate while it is still `queued`). */
  private lastQueued: NbdRequest | null = null;

  constructor(
    private readonly client: NbdClient,
    journalBytes: number,
  ) {
    this.journal = new WriteJournal(journalBytes);
    // A piece must always fit the journal (with room to spare), whatever the server allows.
    const limit = Math.min(MAX_PIECE, client.details.maximumPayload, Math.floor(journalBytes / 4));
    this.pieceLimit = limit - (limit % client.details.minimumBlock);
  }

  submit(
    kind: number,
    buffer: Uint8Array | null,
    bufferOffset: number,
    length: number,
    position: number,
    fua: boolean,
    ioDone: IoDone | null,
    flushDone: FlushDone | null,
  ): void {
    const operation = this.table.acquireOperation();
    operation.reset(kind, buffer, bufferOffset, length, position, fua, ioDone, flushDone);
    const refusal = refusalOf(this.client, operation);
    if (refusal !== null) {
      this.failOperation(operation, refusal);
      return;
    }
    if (this.waiting.length > 0 || !this.start(operation)) this.waiting.push(operation);
  }

  /**
   * Start what there is room for; false leaves the operation waiting at the head of the queue. A large operation goes
   * out piece by piece (at most `pieceLimit` bytes each) as bytes in flight and journal space allow, so neither bound
   * can hold it back for good; `operation.started` says how far it got.
   */
  start(operation: Operation): boolean {
    if (this.client.state !== 'ready') return false;
    if (operation.kind === RequestKind.Flush) {
      this.startFlush(operation);
      return true;
    }
    const length = operation.length;
    if (length === 0) {
      operation.remaining = 1;
      this.settle(operation, null, 0);
      return true;
    }
    const limit = this.client.options.maxBytesInFlight;
    if (operation.started === 0) {
      const inFlight = this.client.bytesInFlight;
      if (inFlight > 0 && inFlight + Math.min(length, this.pieceLimit) > limit) return false;
      if (length <= this.pieceLimit && this.merge(operation)) return true;
      operation.remaining = Math.ceil(length / this.pieceLimit);
    }
    const isWrite = operation.kind === RequestKind.Write;
    while (operation.started < length) {
      const done = operation.started;
      const pieceLength = Math.min(this.pieceLimit, length - done);
      const inFlight = this.client.bytesInFlight;
      if (inFlight > 0 && inFlight + pieceLength > limit) return false;
      const request = this.table.acquire();
      request.kind = operation.kind;
      request.position = operation.position + done;
      request.length = pieceLength;
      request.commandFlags = isWrite && operation.fua ? CommandFlag.Fua : 0;
      if (isWrite && !this.journal.reserve(request)) {
        this.table.release(request);
        this.flushJournal();
        return false;
      }
      request.addSegment(operation, operation.buffer, operation.bufferOffset + done, pieceLength);
      if (isWrite) this.copyIntoJournal(request, 0, operation.buffer as Uint8Array, operation.bufferOffset + done, pieceLength);
      operation.started += pieceLength;
      this.client.pickConnection().queue(request);
      this.lastQueued = request;
      this.counters.requests += 1;
    }
    return true;
  }

  /**
   * Append the operation to the request queued last in this tick when it continues it (same kind and flags, the next
   * bytes, room left): contiguous AoE frames of one receive batch then cost the server one request, not one each.
   * Writes also need the journal entry to grow in place (it is the newest one and the ring has room behind it).
   */
  private merge(operation: Operation): boolean {
    const open = this.lastQueued;
    if (open === null || !open.queued || open.kind !== operation.kind || open.position + open.length !== operation.position) return false;
    const flags = operation.kind === RequestKind.Write && operation.fua ? CommandFlag.Fua : 0;
    if (open.commandFlags !== flags || open.length + operation.length > this.pieceLimit || open.segmentCount >= MAX_SEGMENTS) return false;
    const buffer = operation.buffer as Uint8Array;
    if (operation.kind === RequestKind.Write) {
      if (!this.journal.extendLast(open, operation.length)) return false;
      this.copyIntoJournal(open, open.length, buffer, operation.bufferOffset, operation.length);
    }
    open.addSegment(operation, buffer, operation.bufferOffset, operation.length);
    (open.connection as ClientConnection).grow(open, operation.length);
    operation.remaining = 1;
    this.counters.mergedOperations += 1;
    return true;
  }

  private copyIntoJournal(request: NbdRequest, at: number, source: Uint8Array, from: number, length: number): void {
    this.journal.memory.set(source.subarray(from, from + length), request.journalStart + REQUEST_LENGTH + at);
  }

  private startFlush(operation: Operation): void {
    if (this.writeBackError !== null) {
      operation.remaining = 1;
      this.settle(operation, this.writeBackError, 0);
      return;
    }
    operation.flushSequence = this.journal.sequence;
    if (!this.client.details.canFlush) {
      operation.remaining = 1;
      this.settle(operation, null, 0);
      return;
    }
    operation.remaining = this.client.connections.length;
    this.lastQueued = null;
    for (const connection of this.client.connections) {
      const request = this.table.acquire();
      request.kind = RequestKind.Flush;
      request.position = 0;
      request.length = 0;
      request.commandFlags = 0;
      request.addSegment(operation, null, 0, 0);
      connection.queue(request);
    }
  }

  /** The journal is short of room: flush so that acknowledged writes can leave it (one internal flush at a time). */
  flushJournal(): void {
    if (this.journalFlushActive || this.client.state !== 'ready' || this.journal.ackedBytes === 0) return;
    this.journalFlushActive = true;
    this.counters.journalFlushes += 1;
    const operation = this.table.acquireOperation();
    operation.kind = RequestKind.Flush;
    operation.internal = true;
    this.startFlush(operation);
  }

  /** Start waiting operations while there is room. */
  pump(): void {
    for (let operation = this.waiting.peek(); operation !== null; operation = this.waiting.peek()) {
      if (!this.start(operation)) return;
      this.waiting.shift();
    }
  }

  replied(_connection: ClientConnection, request: NbdRequest, errorValue: number, message: string): void {
    const error =
      errorValue === 0 ? null : replyError(requestKindName(request.kind), request.position, request.length, errorValue, message);
    if (request.kind === RequestKind.Write) {
      if (request.segmentCount === 0) {
        this.client.recovery.replayed(request, error);
        return;
      }
      if (error !== null || (request.commandFlags & CommandFlag.Fua) !== 0 || !this.client.details.canFlush) {
        if (error !== null) this.latch(error);
        this.settleSegments(request, error);
        this.journal.release(request);
        this.table.release(request);
      } else {
        // Acknowledged first, so that a flush its callers send at once covers it; kept for replay until a flush does.
        this.journal.acknowledge(request);
        this.settleSegments(request, null);
        for (let index = 0; index < request.segmentCount; index += 1) request.segmentBuffers[index] = EMPTY;
        request.segmentCount = 0;
        if (this.journal.ackedBytes > this.journal.capacity / 2) this.flushJournal();
      }
    } else {
      this.settleSegments(request, error);
      this.table.release(request);
    }
    this.pump();
    this.client.recovery.progress();
  }

  /** Settle every operation the request served (each gets its own byte count). */
  settleSegments(request: NbdRequest, error: NbdClientError | null): void {
    for (let index = 0; index < request.segmentCount; index += 1) {
      this.settle(request.segmentOperations[index], error, error === null ? request.segmentLengths[index] : 0);
    }
  }

  settle(operation: Operation, error: NbdClientError | null, bytes: number): void {
    if (error !== null && operation.error === null) operation.error = error;
    operation.bytes += bytes;
    operation.remaining -= 1;
    if (operation.remaining > 0) return;
    this.complete(operation);
  }

  private complete(operation: Operation): void {
    let error = operation.error;
    if (operation.kind === RequestKind.Flush) {
      if (error === null) {
        for (const request of this.journal.acknowledgedUpTo(operation.flushSequence, this.covered)) {
          this.journal.release(request);
          this.table.release(request);
        }
        this.covered.length = 0;
      } else {
        this.latch(error);
      }
      if (operation.internal) this.journalFlushActive = false;
      error ??= this.writeBackError;
    }
    const { ioDone, flushDone, bytes } = operation;
    this.table.releaseOperation(operation);
    if (ioDone !== null) ioDone(error, error === null ? bytes : 0);
    else if (flushDone !== null) flushDone(error);
  }

  /** Remember the first write-back failure (a failed write or flush): every later flush reports it. */
  latch(error: NbdClientError): void {
    if (this.writeBackError !== null) return;
    this.writeBackError = error;
    this.client.logger.error(
      { err: error, nbd: this.client.target.uri },
      'NBD write or flush failed: every later flush of this export fails',
    );
  }

  failOperation(operation: Operation, error: NbdClientError): void {
    operation.remaining = 1;
    this.settle(operation, error, 0);
  }

  /** Fail every operation waiting for room and every request waiting for a reconnect. */
  failWaiting(error: NbdClientError): void {
    for (const request of this.retry.splice(0)) {
      if (request.kind === RequestKind.Write) this.latch(error);
      this.settleSegments(request, error);
      this.journal.release(request);
      this.table.release(request);
    }
    for (let operation = this.waiting.shift(); operation !== null; operation = this.waiting.shift()) this.abandon(operation, error);
  }

  /** Fail a waiting operation. One that started some pieces completes when those answer; only the rest is dropped. */
  private abandon(operation: Operation, error: NbdClientError): void {
    if (operation.started === 0) {
      this.failOperation(operation, error);
      return;
    }
    const unstarted = Math.ceil(operation.length / this.pieceLimit) - Math.ceil(operation.started / this.pieceLimit);
    operation.error ??= error;
    operation.remaining -= unstarted;
    if (operation.remaining === 0) this.complete(operation);
  }
}
