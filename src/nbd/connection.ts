// One NBD client connection: the handshake state machine, then the request loop (concurrent, bounded by the queue depth).
import type { Socket } from 'node:net';
import type { Logger } from '../log.js';
import { nbdErrorFor } from './block-device.js';
import type { BlockIo } from './block-io.js';
import type { BufferPool } from './buffer-pool.js';
import { handleOption, type ExportInfo } from './handshake.js';
import {
  ClientFlag, Command, CommandFlag, encodeGreeting, MAX_BLOCK_SIZE, MAX_OPTION_LENGTH, NBD_OPTS_MAGIC, NBD_REQUEST_MAGIC, NbdError,
  OPTION_HEADER_LENGTH, REQUEST_LENGTH, SIMPLE_REPLY_LENGTH, writeSimpleReply,
} from './protocol.js';
import { ByteQueue } from './byte-queue.js';

export interface ConnectionContext {
  exported: ExportInfo;
  io: BlockIo;
  pool: BufferPool;
  queueDepth: number;
  logger: Logger;
}

/** Stop reading requests while this many reply bytes wait in the socket. */
const OUTPUT_HIGH_WATER = 64 * 1024 * 1024;
const KNOWN_CLIENT_FLAGS = ClientFlag.FixedNewstyle | ClientFlag.NoZeroes;

type State = 'client-flags' | 'options' | 'transmission' | 'closing' | 'closed';

interface Request { flags: number; type: number; offset: number; length: number; reply: Buffer }

export class NbdConnection {
  private state: State = 'client-flags';
  private readonly input = new ByteQueue();
  private noZeroes = false;
  private inflight = 0;
  /** Bytes of a too-long WRITE payload still to drop, and the reply to send once they are gone. */
  private discarding = 0;
  private discardReply: Buffer | undefined;
  private readonly writes = new Set<Promise<unknown>>();
  private paused = false;
  private pendingOption: { option: number; length: number } | undefined;
  private pendingWrite: Request | undefined;

  constructor(private readonly socket: Socket, private readonly context: ConnectionContext, private readonly onClosed: (connection: NbdConnection) => void) {
    socket.setNoDelay(true);
    socket.on('data', (chunk: Buffer) => { this.input.push(chunk); this.process(); });
    socket.on('drain', () => this.process());
    socket.on('error', (error) => context.logger.debug({ err: error }, 'nbd connection error'));
    socket.on('close', () => this.finish());
    socket.write(encodeGreeting());
  }

  /** Stop taking requests; close once those in flight have replied. */
  shutdown(): void {
    if (this.state === 'closed') return;
    if (this.state !== 'transmission' || this.inflight === 0) { this.close(); return; }
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

  private process(): void {
    try {
      while (this.state !== 'closed' && this.state !== 'closing') {
        if (this.state === 'client-flags') { if (!this.clientFlags()) break; continue; }
        if (this.state === 'options') { if (!this.option()) break; continue; }
        if (!this.request()) break;
      }
    } catch (error) {
      this.violation((error as Error).message);
    }
  }

  private clientFlags(): boolean {
    if (this.input.length < 4) return false;
    const flags = this.input.take(4).readUInt32BE(0);
    if ((flags & ~KNOWN_CLIENT_FLAGS) !== 0) { this.violation(`unknown client flags 0x${flags.toString(16)}`); return false; }
    this.noZeroes = (flags & ClientFlag.NoZeroes) !== 0;
    this.state = 'options';
    return true;
  }

  private option(): boolean {
    if (!this.pendingOption) {
      if (this.input.length < OPTION_HEADER_LENGTH) return false;
      const header = this.input.take(OPTION_HEADER_LENGTH);
      if (header.readBigUInt64BE(0) !== NBD_OPTS_MAGIC) { this.violation('bad option magic'); return false; }
      const length = header.readUInt32BE(12);
      if (length > MAX_OPTION_LENGTH) { this.violation(`option of ${length} bytes is too long`); return false; }
      this.pendingOption = { option: header.readUInt32BE(8), length };
    }
    const { option, length } = this.pendingOption;
    if (this.input.length < length) return false;
    this.pendingOption = undefined;
    const data = this.input.take(length);
    const outcome = handleOption(this.context.exported, option, data, this.noZeroes);
    for (const reply of outcome.replies) this.socket.write(reply);
    if (outcome.next === 'close') { this.close(); return false; }
    if (outcome.next === 'transmission') this.state = 'transmission';
    return true;
  }

  /** Parse one request if it is complete and the queue has room; false to wait for more bytes or room. */
  private request(): boolean {
    if (this.discarding > 0) {
      this.discarding -= this.input.skip(this.discarding);
      if (this.discarding > 0) return false;
      this.socket.write(this.discardReply as Buffer);
      this.discardReply = undefined;
    }
    if (this.pendingWrite) {
      // The header arrived earlier; wait for the whole payload (chunks are only joined once, here).
      if (this.input.length < this.pendingWrite.length) return false;
      const request = this.pendingWrite;
      this.pendingWrite = undefined;
      this.start(request, this.input.take(request.length));
      return true;
    }
    if (this.inflight >= this.context.queueDepth || this.socket.writableLength >= OUTPUT_HIGH_WATER) { this.pause(); return false; }
    this.resume();
    if (this.input.length < REQUEST_LENGTH) return false;
    const header = this.input.take(REQUEST_LENGTH);
    if (header.readUInt32BE(0) !== NBD_REQUEST_MAGIC) { this.violation(`bad request magic 0x${header.readUInt32BE(0).toString(16)}`); return false; }
    const type = header.readUInt16BE(6);
    const length = header.readUInt32BE(24);
    const offset = Number(header.readBigUInt64BE(16));
    const reply = Buffer.allocUnsafe(SIMPLE_REPLY_LENGTH);
    writeSimpleReply(reply, 0, header, 8);
    const request: Request = { flags: header.readUInt16BE(4), type, offset, length, reply };
    if (type === Command.Write) {
      if (length > MAX_BLOCK_SIZE) {
        // Too long to buffer: drop the payload, then refuse (the connection stays usable).
        reply.writeUInt32BE(NbdError.EINVAL, 4);
        this.discarding = length;
        this.discardReply = reply;
        return true;
      }
      this.pendingWrite = request;
      return true;
    }
    if (type === Command.Disc) {
      this.state = 'closing';
      if (this.inflight === 0) this.close();
      return false;
    }
    this.start(request, undefined);
    return true;
  }

  private start(request: Request, payload: Buffer | undefined): void {
    this.inflight += 1;
    const running = this.execute(request, payload);
    if (payload) {
      this.writes.add(running);
      void running.finally(() => this.writes.delete(running));
    }
  }

  /** Run one request and send its reply; never rejects. */
  private async execute(request: Request, payload: Buffer | undefined): Promise<void> {
    const { type, offset, length, flags } = request;
    const exported = this.context.exported;
    let error = 0;
    let data: Buffer | undefined;
    const writing = type === Command.Write || type === Command.WriteZeroes || type === Command.Trim;
    try {
      if (type !== Command.Flush && length === 0) {
        error = NbdError.EINVAL;
      } else if (type !== Command.Flush && offset + length > exported.size) {
        error = writing ? NbdError.ENOSPC : NbdError.EINVAL;
      } else if (writing && exported.readOnly) {
        error = NbdError.EPERM;
      } else if (type === Command.Read) {
        if (length > MAX_BLOCK_SIZE) error = NbdError.EINVAL;
        else {
          data = this.context.pool.acquire(length);
          await this.context.io.read(data.subarray(0, length), offset);
        }
      } else if (type === Command.Write) {
        await this.context.io.write(offset, payload as Buffer);
        if (flags & CommandFlag.Fua) await this.context.io.device.flush();
      } else if (type === Command.WriteZeroes) {
        if (flags & CommandFlag.FastZero) error = NbdError.ENOTSUP;
        else {
          await this.context.io.writeZeroes(offset, length);
          if (flags & CommandFlag.Fua) await this.context.io.device.flush();
        }
      } else if (type === Command.Trim) {
        // Accepted and ignored: AoE has no discard. FUA still means "durable before the reply".
        if (flags & CommandFlag.Fua) await this.context.io.device.flush();
      } else if (type === Command.Flush) {
        await Promise.allSettled([...this.writes]);
        await this.context.io.device.flush();
      } else if (type === Command.Cache) {
        // A hint; nothing to prefetch into.
      } else {
        error = NbdError.EINVAL;
      }
    } catch (failure) {
      error = nbdErrorFor(failure, writing || type === Command.Flush);
      this.context.logger.debug({ err: failure, type, offset, length }, 'nbd request failed');
    }
    this.reply(request, error, data);
  }

  private reply(request: Request, error: number, data: Buffer | undefined): void {
    this.inflight -= 1;
    const pool = this.context.pool;
    if (this.state === 'closed') { if (data) pool.release(data); return; }
    if (error !== 0) {
      request.reply.writeUInt32BE(error, 4);
      this.socket.write(request.reply);
      if (data) pool.release(data);
    } else if (data) {
      this.socket.cork();
      this.socket.write(request.reply);
      this.socket.write(data.subarray(0, request.length), () => pool.release(data));
      this.socket.uncork();
    } else {
      this.socket.write(request.reply);
    }
    if (this.state === 'closing' && this.inflight === 0) this.close();
    else if (this.paused) this.process();
  }

  private pause(): void {
    if (!this.paused) { this.paused = true; this.socket.pause(); }
  }

  private resume(): void {
    if (this.paused) { this.paused = false; this.socket.resume(); }
  }

  /** A protocol violation ends this connection only. */
  private violation(reason: string): void {
    this.context.logger.warn({ reason, remote: this.socket.remoteAddress ?? 'unix' }, 'nbd protocol violation: closing the connection');
    this.state = 'closed';
    this.input.clear();
    this.socket.destroy();
  }

  private close(): void {
    if (this.state === 'closed') return;
    this.state = 'closed';
    this.input.clear();
    this.socket.end();
  }

  private finish(): void {
    this.state = 'closed';
    this.input.clear();
    this.onClosed(this);
  }
}
