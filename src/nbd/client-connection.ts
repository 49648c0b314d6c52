// One NBD client connection in the transmission phase: batched request output, the reply parser, requests in flight.
import type { Socket } from 'node:net';
import { NbdClientError } from './client-errors.js';
import type { ExportDetails } from './client-handshake.js';
import type { Receiver } from './client-socket.js';
import { ReplyParser, type ReplyHandler } from './client-replies.js';
import { RequestKind, RequestState, type NbdRequest, type RequestTable } from './client-requests.js';
import { Command, REQUEST_LENGTH, writeRequestHeader } from './protocol.js';

export interface ConnectionEvents {
  /** A request's reply is complete (already taken off this connection's books). */
  replied(connection: ClientConnection, request: NbdRequest, errorValue: number, message: string): void;
  /** The socket is gone (closed, reset or a protocol violation); its requests in flight are the caller's to retry. */
  lost(connection: ClientConnection, error: NbdClientError): void;
}

/** Request headers of one batch (reads, flushes) are written here; reused once the socket has handed everything to the kernel. */
const HEADER_ARENA_BYTES = 64 * 1024;

export class ClientConnection implements ReplyHandler {
  /** Requests and payload bytes in flight on this connection. */
  inflight = 0;
  /** When bytes last arrived, or requests went in flight after none were (performance.now()): the stall watchdog's clock. */
  lastProgressAt = performance.now();
  inflightBytes = 0;
  alive = true;
  private readonly parser: ReplyParser;
  private arena = Buffer.allocUnsafeSlow(HEADER_ARENA_BYTES);
  private arenaUsed = 0;
  private arenaQueued = 0;
  /** This tick's requests, and the journal byte ranges [start, end) their writes occupy (adjacent ranges merged). */
  private readonly pending: NbdRequest[] = [];
  private readonly ranges: number[] = [];
  private outputScheduled = false;
  private lostReported = false;
  private readonly flushOutputBound = (): void => this.flushOutput();

  constructor(
    readonly socket: Socket,
    receiver: Receiver,
    readonly details: ExportDetails,
    readonly id: number,
    private readonly table: RequestTable,
    private readonly journal: Buffer,
    private readonly events: ConnectionEvents,
    leftover: Buffer,
  ) {
    this.parser = new ReplyParser(this, details.structuredReplies);
    receiver.deliver = (chunk: Buffer) => this.receive(chunk);
    socket.on('error', (error: NodeJS.ErrnoException) =>
      this.drop(new NbdClientError(`NBD connection ${id}: ${error.message}`, error.code ?? 'ECONNRESET')),
    );
    socket.on('close', () => this.drop(new NbdClientError(`NBD connection ${id} closed by the server`, 'ECONNRESET')));
    if (leftover.length > 0) this.receive(leftover);
  }

  /**
   * Put a request in this tick's output batch. Its header is encoded when the batch leaves (next tick), so a
   * contiguous request submitted meanwhile can still be merged into it (`grow`). WRITE headers and data sit in the
   * journal, so writes that were journaled one after another leave as one buffer.
   */
  queue(request: NbdRequest): void {
    request.serial = (request.serial + 1) >>> 0;
    request.state = RequestState.InFlight;
    request.connection = this;
    request.queued = true;
    request.covered = 0;
    request.errorValue = 0;
    request.errorMessage = '';
    if (this.inflight === 0) this.lastProgressAt = performance.now();
    this.inflight += 1;
    this.inflightBytes += request.length;
    this.pending.push(request);
    if (!this.outputScheduled) {
      this.outputScheduled = true;
      setImmediate(this.flushOutputBound);
    }
  }

  /** Requests are waiting in this tick's output batch. */
  get batching(): boolean {
    return this.outputScheduled;
  }

  /** A queued request took `extra` more bytes (a merged neighbour). */
  grow(request: NbdRequest, extra: number): void {
    request.length += extra;
    this.inflightBytes += extra;
  }

  /** Soft disconnect: NBD_CMD_DISC, then end the socket. */
  disconnect(): void {
    if (!this.alive) return;
    this.flushOutput();
    const disc = Buffer.alloc(REQUEST_LENGTH);
    writeRequestHeader(disc, 0, 0, Command.Disc, 0, 0, 0, 0);
    this.alive = false;
    this.socket.end(disc);
  }

  destroy(): void {
    this.alive = false;
    this.socket.destroy();
  }

  // ---- ReplyHandler ----
  find(cookieHigh: number, cookieLow: number): NbdRequest | null {
    return this.table.lookup(cookieHigh, cookieLow, this);
  }

  finish(request: NbdRequest, errorValue: number, message: string): void {
    this.inflight -= 1;
    this.inflightBytes -= request.length;
    request.connection = null;
    this.events.replied(this, request, errorValue, message);
  }

  /** Encode the batch's headers and hand it to the socket: one buffer per run of adjacent journal entries, one for all other headers. */
  private flushOutput(): void {
    this.outputScheduled = false;
    const pending = this.pending;
    if (!this.alive) {
      for (const request of pending) request.queued = false;
      pending.length = 0;
      return;
    }
    const socket = this.socket;
    let headers = 0;
    for (const request of pending) if (request.kind !== RequestKind.Write) headers += 1;
    if (this.arenaUsed === this.arenaQueued && socket.writableLength === 0) this.arenaUsed = this.arenaQueued = 0;
    if (this.arenaUsed + headers * REQUEST_LENGTH > this.arena.length) {
      // Node may still hold the old arena: start a fresh one rather than overwrite bytes not yet sent.
      this.arena = Buffer.allocUnsafeSlow(Math.max(HEADER_ARENA_BYTES, headers * REQUEST_LENGTH));
      this.arenaUsed = this.arenaQueued = 0;
    }
    const ranges = this.ranges;
    let journal: Buffer | null = null;
    for (const request of pending) {
      request.queued = false;
      if (request.kind === RequestKind.Write) {
        journal = this.journal;
        const start = request.journalStart;
        writeRequestHeader(
          journal,
          start,
          request.commandFlags,
          Command.Write,
          request.serial,
          request.index,
          request.position,
          request.length,
        );
        const end = start + REQUEST_LENGTH + request.length;
        if (ranges.length > 0 && ranges[ranges.length - 1] === start) ranges[ranges.length - 1] = end;
        else ranges.push(start, end);
      } else {
        const command = request.kind === RequestKind.Read ? Command.Read : Command.Flush;
        writeRequestHeader(
          this.arena,
          this.arenaUsed,
          request.commandFlags,
          command,
          request.serial,
          request.index,
          request.position,
          request.length,
        );
        this.arenaUsed += REQUEST_LENGTH;
      }
    }
    pending.length = 0;
    const buffers = ranges.length / 2 + (headers > 0 ? 1 : 0);
    if (buffers > 1) socket.cork();
    if (headers > 0) {
      socket.write(this.arena.subarray(this.arenaQueued, this.arenaUsed));
      this.arenaQueued = this.arenaUsed;
    }
    for (let index = 0; index < ranges.length; index += 2) socket.write((journal as Buffer).subarray(ranges[index], ranges[index + 1]));
    ranges.length = 0;
    if (buffers > 1) socket.uncork();
  }

  /** Milliseconds with requests in flight and nothing received (0 when idle). */
  stalledFor(now: number): number {
    return this.inflight === 0 ? 0 : now - this.lastProgressAt;
  }

  /** Give up on this connection (a stalled server): its requests go back to the client as on any loss. */
  abort(error: NbdClientError): void {
    this.socket.destroy();
    this.drop(error);
  }

  private receive(chunk: Buffer): void {
    if (!this.alive) return;
    this.lastProgressAt = performance.now();
    try {
      this.parser.feed(chunk);
    } catch (error) {
      const problem = error instanceof NbdClientError ? error : new NbdClientError(String(error), 'ERR_NBD_PROTOCOL');
      this.socket.destroy();
      this.drop(problem);
    }
  }

  private drop(error: NbdClientError): void {
    if (this.lostReported) return;
    this.lostReported = true;
    this.alive = false;
    this.socket.destroy();
    this.events.lost(this, error);
  }
}
