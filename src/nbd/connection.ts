// One NBD client connection: the handshake state machine, then the request loop, bounded by the queue depth and byte budgets.
import type { Socket } from 'node:net';
import type { Logger } from '../log.js';
import type { BlockIo } from './block-io.js';
import { ConnectionLedger, type ByteBudget } from './budget.js';
import type { NbdCounters } from './counters.js';
import type { BufferPool } from './buffer-pool.js';
import { ByteQueue } from './byte-queue.js';
import { OptionPhase } from './connection-options.js';
import type { ExportInfo } from './handshake.js';
import type { IoScheduler } from './io-scheduler.js';
import { REQUEST_COST_BYTES, requestCost, SMALL_REQUEST_BYTES, type NbdLimits } from './limits.js';
import { Command, encodeGreeting, NBD_REQUEST_MAGIC, NbdError, REQUEST_LENGTH, SIMPLE_REPLY_LENGTH, writeSimpleReply } from './protocol.js';
import { executeRequest, type Outcome, type Request, type RequestContext } from './request.js';

export interface ConnectionContext {
  exported: ExportInfo;
  io: BlockIo;
  pool: BufferPool;
  scheduler: IoScheduler;
  limits: NbdLimits;
  /** Bytes in flight summed over every connection of the server. */
  serverBudget: ByteBudget;
  /** The server's request counters. */
  counters: NbdCounters;
  logger: Logger;
}

/** After our end of a closing connection is flushed, wait this long for the client to close its end, then drop it. */
const LINGER_MS = 2000;

type State = 'handshake' | 'transmission' | 'closing' | 'closed';
/** What one parsing step left us with: parse on, wait for bytes, wait for room (stop reading the socket), or done. */
type Step = 'continue' | 'need-input' | 'blocked' | 'stop';

export class NbdConnection {
  private state: State = 'handshake';
  private readonly input = new ByteQueue();
  private inflight = 0;
  /** What this connection holds against its own and the server's byte budgets. */
  private readonly ledger: ConnectionLedger<Request>;
  /** Bytes of a too-long WRITE payload still to drop, and the reply to send once they are gone. */
  private discarding = 0;
  private discardReply: Buffer | undefined;
  private readonly writes = new Set<Promise<unknown>>();
  private paused = false;
  private readonly options: OptionPhase;
  /** What executeRequest needs, made once per connection. */
  private readonly execution: RequestContext;
  private pendingWrite: Request | undefined;
  private readonly wake = () => this.process();

  constructor(
    private readonly socket: Socket,
    private readonly context: ConnectionContext,
    private readonly onClosed: (connection: NbdConnection) => void,
  ) {
    this.options = new OptionPhase(this.input, socket, context.exported);
    const { exported, io, pool, scheduler, limits, logger } = context;
    this.execution = { exported, io, pool, scheduler, owner: this, maxRequestBytes: limits.maxRequestBytes, writes: this.writes, logger };
    this.ledger = new ConnectionLedger(
      context.serverBudget,
      context.limits.connectionBufferBytes,
      SMALL_REQUEST_BYTES + REQUEST_COST_BYTES,
    );
    socket.setNoDelay(true);
    socket.on('data', (chunk: Buffer) => {
      if (this.state === 'closing' || this.state === 'closed') return; // nothing more is read after DISC
      this.input.push(chunk);
      this.process();
    });
    socket.on('drain', () => this.process());
    socket.on('error', (error) => {
      this.state = 'closed'; // nothing more is parsed; 'close' follows
      context.logger.debug({ err: error }, 'nbd connection error');
    });
    socket.on('close', () => this.finish());
    socket.write(encodeGreeting());
  }

  /** Stop taking requests; close once those in flight have replied. */
  shutdown(): void {
    if (this.state === 'closed') return;
    if (this.state !== 'transmission' || this.inflight === 0) {
      this.close();
      return;
    }
    this.state = 'closing';
  }

  /** Drop the connection now (requests still in flight reply into the void). */
  destroy(): void {
    this.state = 'closed';
    this.input.clear();
    this.socket.destroy();
  }

  get requestsInFlight(): number {
    return this.inflight;
  }

  /** Reply bytes written but not yet taken by the socket. */
  get bufferedReplyBytes(): number {
    return this.socket.writableLength;
  }

  /** Bytes this connection holds against the budgets (buffers in flight and replies not taken by the client). */
  get bytesInFlight(): number {
    return this.ledger.charged;
  }

  private process(): void {
    let step: Step = 'stop';
    try {
      while (this.state !== 'closed' && this.state !== 'closing') {
        step = this.state === 'handshake' ? this.handshake() : this.request();
        if (step !== 'continue') break;
      }
    } catch (error) {
      this.violation((error as Error).message);
      return;
    }
    if (step === 'blocked') this.pause();
    else this.resume();
  }

  /** Client flags and options (OptionPhase), until transmission or the end of the connection. */
  private handshake(): Step {
    const step = this.options.step();
    if (typeof step === 'object') {
      this.violation(step.violation);
      return 'stop';
    }
    if (step === 'close') {
      this.close();
      return 'stop';
    }
    if (step === 'transmission') {
      this.state = 'transmission';
      return 'continue';
    }
    return step;
  }

  /** Parse one request if it is complete and there is room for it (queue depth and byte budgets). */
  private request(): Step {
    if (this.discarding > 0) {
      this.discarding -= this.input.skip(this.discarding);
      if (this.discarding > 0) return 'need-input';
      this.context.counters.answered(Command.Write, 0, NbdError.EINVAL);
      this.socket.write(this.discardReply as Buffer);
      this.discardReply = undefined;
    }
    if (this.pendingWrite) {
      // The header was admitted earlier; wait for the whole payload (chunks are only joined once, here).
      if (this.input.length < this.pendingWrite.length) return 'need-input';
      const request = this.pendingWrite;
      this.pendingWrite = undefined;
      this.start(request, this.input.take(request.length));
      return 'continue';
    }
    if (this.inflight >= this.context.limits.queueDepth) return 'blocked';
    if (this.input.length < REQUEST_LENGTH) return 'need-input';
    const header = this.input.peek(REQUEST_LENGTH);
    if (header.readUInt32BE(0) !== NBD_REQUEST_MAGIC) {
      this.violation(`bad request magic 0x${header.readUInt32BE(0).toString(16)}`);
      return 'stop';
    }
    const type = header.readUInt16BE(6);
    const length = header.readUInt32BE(24);
    const offset = Number(header.readBigUInt64BE(16));
    if (type === Command.Disc) {
      this.input.skip(REQUEST_LENGTH);
      this.state = 'closing';
      if (this.inflight === 0) this.close();
      return 'stop';
    }
    const tooLongWrite = type === Command.Write && length > this.context.limits.maxRequestBytes;
    const cost = tooLongWrite ? 0 : requestCost(type, offset, length, this.context.limits, this.context.exported.size);
    if (!this.ledger.admit(cost, this.wake)) return 'blocked';
    this.input.skip(REQUEST_LENGTH);
    const reply = Buffer.allocUnsafe(SIMPLE_REPLY_LENGTH);
    writeSimpleReply(reply, 0, header, 8);
    if (tooLongWrite) {
      // Too long to buffer: drop the payload as it streams past, then refuse (the connection stays usable).
      reply.writeUInt32BE(NbdError.EINVAL, 4);
      this.discarding = length;
      this.discardReply = reply;
      return 'continue';
    }
    const request: Request = { flags: header.readUInt16BE(4), type, offset, length, reply, charge: cost, running: false };
    this.ledger.hold(request);
    if (type === Command.Write) {
      this.pendingWrite = request;
      return 'continue';
    }
    this.start(request, undefined);
    return 'continue';
  }

  /** Give a request's bytes back (idempotent); reading resumes if it was waiting for room. */
  private refund(request: Request): void {
    if (this.ledger.refund(request) && this.paused && this.state !== 'closed') this.process();
  }

  private start(request: Request, payload: Buffer | undefined): void {
    this.inflight += 1;
    this.context.counters.inFlight += 1;
    request.running = true;
    const running = executeRequest(this.execution, request, payload).then((outcome) => this.reply(request, outcome));
    if (payload) {
      this.writes.add(running);
      void running.finally(() => this.writes.delete(running));
    }
  }

  /** Send the reply; the request's bytes come back once the socket has taken it (a client that does not read keeps them). */
  private reply(request: Request, outcome: Outcome): void {
    this.inflight -= 1;
    request.running = false;
    const pool = this.context.pool;
    const { error, data } = outcome;
    this.context.counters.inFlight -= 1;
    this.context.counters.answered(request.type, request.length, error);
    if (this.state === 'closed') {
      // The connection is gone: drop the result and give everything back.
      if (data) pool.release(data);
      this.refund(request);
      return;
    }
    if (error !== 0) {
      request.reply.writeUInt32BE(error, 4);
      this.socket.write(request.reply, (failure) => this.written(request, failure));
    } else if (data) {
      this.socket.cork();
      this.socket.write(request.reply);
      this.socket.write(data.subarray(0, request.length), (failure) => {
        pool.release(data);
        this.written(request, failure);
      });
      this.socket.uncork();
    } else {
      this.socket.write(request.reply, (failure) => this.written(request, failure));
    }
    if (this.state === 'closing' && this.inflight === 0) this.close();
    else if (this.paused) this.process();
  }

  /** The socket took a reply (or failed to: then the connection is dead and nothing more is parsed). */
  private written(request: Request, failure: Error | null | undefined): void {
    if (failure) this.state = 'closed';
    this.refund(request);
  }

  private pause(): void {
    if (!this.paused) {
      this.paused = true;
      this.socket.pause();
    }
  }

  private resume(): void {
    if (this.paused) {
      this.paused = false;
      this.socket.resume();
    }
  }

  /** A protocol violation ends this connection only. */
  private violation(reason: string): void {
    this.context.logger.warn({ reason, remote: this.socket.remoteAddress ?? 'unix' }, 'nbd protocol violation: closing the connection');
    this.destroy();
  }

  private close(): void {
    if (this.state === 'closed') return;
    this.state = 'closed';
    this.input.clear();
    this.resume(); // read on, so that the client's end of the connection is seen
    this.socket.end();
    this.socket.once('finish', () => setTimeout(() => this.socket.destroy(), LINGER_MS).unref());
  }

  /** The socket closed: cancel what has not reached the device and give back every byte not held by running work. */
  private finish(): void {
    this.state = 'closed';
    this.input.clear();
    this.pendingWrite = undefined;
    this.context.scheduler.cancel(this);
    this.ledger.refundIdle(this.wake);
    this.onClosed(this);
  }
}
