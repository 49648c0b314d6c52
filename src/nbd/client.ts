// The NBD client: reads, writes (optionally FUA) and flushes over one or more connections, bounded in flight, surviving server restarts.
import type { Socket } from 'node:net';
import { silentLogger, type Logger } from '../log.js';
import { ClientConnection, type ConnectionEvents } from './client-connection.js';
import { NbdClientError } from './client-errors.js';
import { negotiate, type ExportDetails } from './client-handshake.js';
import { connectSocket, type Receiver } from './client-socket.js';
import { ClientRecovery } from './client-recovery.js';
import { RequestKind, type FlushDone, type IoDone, type NbdRequest } from './client-requests.js';
import { RequestScheduler } from './client-scheduler.js';
import { parseNbdUri, type NbdTarget } from './uri.js';

export interface NbdClientOptions {
  /** Connections when the server sets NBD_FLAG_CAN_MULTI_CONN (otherwise always 1). Default 2. */
  connections?: number;
  /** Payload bytes of reads and writes in flight; further requests wait. Default 16 MiB. */
  maxBytesInFlight?: number;
  /** Write journal (writes kept until a flush covers them, see write-journal.ts). Default 64 MiB. */
  journalBytes?: number;
  /** After a lost connection, fail requests with EIO when the server is not back within this time. Default 30 s. */
  reconnectTimeoutMs?: number;
  /** A connection with requests in flight that receives nothing for this long counts as lost (a hung server). Default 30 s. */
  stallTimeoutMs?: number;
  /** Ask for structured replies. Default true. */
  structuredReplies?: boolean;
  handshakeTimeoutMs?: number;
  logger?: Logger;
}

export type ClientState = 'ready' | 'recovering' | 'offline' | 'closing' | 'closed';

export interface NbdClientStats {
  state: ClientState;
  connections: number;
  /** READ/WRITE requests sent (not counting retries and replays), and operations that rode along in another one's request. */
  requests: number;
  mergedOperations: number;
  reconnects: number;
  replayedWrites: number;
  retriedRequests: number;
  journalFlushes: number;
  bytesInFlight: number;
  unflushedBytes: number;
  waiting: number;
}

/** How far ahead (payload bytes in flight) the connection holding this tick's output may get before the next one is used. */
const STICKY_BYTES = 1024 * 1024;

export class NbdClient implements ConnectionEvents {
  readonly target: NbdTarget;
  readonly details: ExportDetails;
  readonly size: number;
  readonly readOnly: boolean;
  readonly logger: Logger;
  readonly connections: ClientConnection[] = [];
  readonly options: Required<Omit<NbdClientOptions, 'logger'>>;
  readonly scheduler: RequestScheduler;
  readonly recovery: ClientRecovery;
  state: ClientState = 'ready';
  private nextConnectionId = 0;
  private lastPicked: ClientConnection | null = null;
  private readonly watchdog: NodeJS.Timeout;

  /** Connect, negotiate (NBD_OPT_GO) and open the extra multi-conn connections. */
  static async open(target: NbdTarget | string, options: NbdClientOptions = {}): Promise<NbdClient> {
    const parsed = typeof target === 'string' ? parseNbdUri(target) : target;
    const { socket, receiver } = await connectSocket(parsed.endpoint, options.handshakeTimeoutMs);
    const { details, leftover } = await negotiate(socket, receiver, {
      exportName: parsed.exportName,
      structuredReplies: options.structuredReplies,
      timeoutMs: options.handshakeTimeoutMs,
    });
    const client = new NbdClient(parsed, details, options);
    client.adopt(socket, receiver, details, leftover);
    await client.topUp();
    return client;
  }

  private constructor(target: NbdTarget, details: ExportDetails, options: NbdClientOptions) {
    this.target = target;
    this.details = details;
    this.size = details.size;
    this.readOnly = details.readOnly;
    this.logger = options.logger ?? silentLogger;
    this.options = {
      connections: Math.max(1, options.connections ?? 2),
      maxBytesInFlight: options.maxBytesInFlight ?? 16 * 1024 * 1024,
      journalBytes: options.journalBytes ?? 64 * 1024 * 1024,
      reconnectTimeoutMs: options.reconnectTimeoutMs ?? 30_000,
      structuredReplies: options.structuredReplies ?? true,
      handshakeTimeoutMs: options.handshakeTimeoutMs ?? 10_000,
      stallTimeoutMs: options.stallTimeoutMs ?? 30_000,
    };
    this.watchdog = setInterval(() => this.checkStalls(), Math.min(1000, this.options.stallTimeoutMs / 4));
    this.watchdog.unref();
    this.scheduler = new RequestScheduler(this, this.options.journalBytes);
    this.recovery = new ClientRecovery(this);
  }

  read(buffer: Uint8Array, bufferOffset: number, length: number, position: number, done: IoDone): void {
    this.scheduler.submit(RequestKind.Read, buffer, bufferOffset, length, position, false, done, null);
  }

  /** `fua`: the server replies only once the data is durable (NBD_CMD_FLAG_FUA). */
  write(buffer: Uint8Array, bufferOffset: number, length: number, position: number, fua: boolean, done: IoDone): void {
    this.scheduler.submit(RequestKind.Write, buffer, bufferOffset, length, position, fua, done, null);
  }

  /** NBD_CMD_FLUSH on every connection; succeeds only if every one does and no write or flush failed before. */
  flush(done: FlushDone): void {
    this.scheduler.submit(RequestKind.Flush, null, 0, 0, 0, false, null, done);
  }

  get bytesInFlight(): number {
    let bytes = 0;
    for (const connection of this.connections) bytes += connection.inflightBytes;
    return bytes;
  }

  /** The first failed write or flush, which every later flush reports; null while none failed. */
  get writeBackError(): NbdClientError | null {
    return this.scheduler.writeBackError;
  }

  stats(): NbdClientStats {
    const scheduler = this.scheduler;
    return {
      state: this.state,
      connections: this.connections.length,
      ...scheduler.counters,
      bytesInFlight: this.bytesInFlight,
      unflushedBytes: scheduler.journal.ackedBytes,
      waiting: scheduler.waiting.length,
    };
  }

  /** Finish the requests in flight (bounded), then disconnect (NBD_CMD_DISC). Waiting requests fail with ESHUTDOWN. */
  async close(graceMs = 5000): Promise<void> {
    if (this.state === 'closing' || this.state === 'closed') return;
    this.state = 'closing';
    clearInterval(this.watchdog);
    this.recovery.stop();
    this.scheduler.failWaiting(new NbdClientError('the NBD client is closing', 'ESHUTDOWN'));
    const until = Date.now() + graceMs;
    while (this.connections.some((connection) => connection.inflight > 0) && Date.now() < until) {
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
    this.state = 'closed';
    for (const connection of [...this.connections]) connection.disconnect();
    setTimeout(() => {
      for (const connection of this.connections) connection.destroy();
    }, 1000).unref();
  }

  // ---- connections ----
  replied(connection: ClientConnection, request: NbdRequest, errorValue: number, message: string): void {
    this.scheduler.replied(connection, request, errorValue, message);
  }

  lost(connection: ClientConnection, error: NbdClientError): void {
    const index = this.connections.indexOf(connection);
    if (index >= 0) this.connections.splice(index, 1);
    this.recovery.connectionLost(connection, error);
  }

  /** A server that accepts requests and never answers is as gone as one that closed the socket: drop the connection. */
  private checkStalls(): void {
    const now = performance.now();
    for (const connection of [...this.connections]) {
      const stalled = connection.stalledFor(now);
      if (stalled < this.options.stallTimeoutMs) continue;
      connection.abort(new NbdClientError(`NBD connection ${connection.id}: no reply for ${Math.round(stalled / 1000)} s`, 'ETIMEDOUT'));
    }
  }

  /**
   * The live connection with the fewest payload bytes in flight, except that the one already holding this tick's output
   * keeps getting requests while it is less than STICKY_BYTES ahead: a batch then leaves in one socket write instead of
   * one per connection, and the next batch goes to the other connection.
   */
  pickConnection(): ClientConnection {
    const connections = this.connections;
    let best = connections[0];
    for (let index = 1; index < connections.length; index += 1)
      if (connections[index].inflightBytes < best.inflightBytes) best = connections[index];
    const last = this.lastPicked;
    if (last !== null && last !== best && last.alive && last.batching && last.inflightBytes - best.inflightBytes < STICKY_BYTES)
      return last;
    this.lastPicked = best;
    return best;
  }

  /** Connect and negotiate one more connection; the export must not have changed size. */
  async dial(): Promise<ClientConnection> {
    const { socket, receiver } = await connectSocket(this.target.endpoint, this.options.handshakeTimeoutMs);
    const { details, leftover } = await negotiate(socket, receiver, {
      exportName: this.target.exportName,
      structuredReplies: this.options.structuredReplies,
      timeoutMs: this.options.handshakeTimeoutMs,
    });
    if (details.size !== this.size) {
      socket.destroy();
      throw new NbdClientError(`the NBD export changed size from ${this.size} to ${details.size} bytes`, 'EIO');
    }
    return this.adopt(socket, receiver, details, leftover);
  }

  private adopt(socket: Socket, receiver: Receiver, details: ExportDetails, leftover: Buffer): ClientConnection {
    const scheduler = this.scheduler;
    const connection = new ClientConnection(
      socket,
      receiver,
      details,
      this.nextConnectionId++,
      scheduler.table,
      scheduler.journal.memory,
      this,
      leftover,
    );
    this.connections.push(connection);
    return connection;
  }

  /** State read through a call, so that TypeScript does not narrow it across an await. */
  isClosing(): boolean {
    return this.state === 'closing' || this.state === 'closed';
  }

  /** Open connections up to the wanted count (multi-conn servers only); a failure just leaves fewer. */
  async topUp(): Promise<void> {
    const wanted = this.details.canMultiConn ? this.options.connections : 1;
    while (this.connections.length < wanted && this.state === 'ready') {
      try {
        const connection = await this.dial();
        if (this.isClosing()) connection.destroy();
      } catch (error) {
        this.logger.warn({ err: error, nbd: this.target.uri }, 'could not open another NBD connection; going on with fewer');
        return;
      }
    }
  }
}
