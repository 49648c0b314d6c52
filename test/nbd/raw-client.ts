// A hand-written NBD client for tests: raw handshake bytes, options, requests and simple replies over a net.Socket.
import net from 'node:net';
import { ByteQueue } from '../../src/nbd/byte-queue.js';
import {
  Info,
  NBD_MAGIC,
  NBD_OPTS_MAGIC,
  NBD_REP_MAGIC,
  NBD_REQUEST_MAGIC,
  NBD_SIMPLE_REPLY_MAGIC,
  Option,
  Reply,
} from '../../src/nbd/protocol.js';

export interface OptionReply {
  option: number;
  type: number;
  data: Buffer;
}

export class RawClient {
  private readonly input = new ByteQueue();
  private waiter: (() => void) | undefined;
  ended = false;
  readonly closed: Promise<void>;

  private constructor(readonly socket: net.Socket) {
    socket.on('data', (chunk: Buffer) => {
      this.input.push(chunk);
      this.waiter?.();
    });
    this.closed = new Promise((resolve) =>
      socket.on('close', () => {
        this.ended = true;
        this.waiter?.();
        resolve();
      }),
    );
    socket.on('error', () => {});
  }

  /** Connect to a unix socket path, or to { host, port } over TCP. */
  static connect(where: string | { host: string; port: number }): Promise<RawClient> {
    return new Promise((resolve, reject) => {
      const socket =
        typeof where === 'string'
          ? net.connect(where, () => resolve(new RawClient(socket)))
          : net.connect(where.port, where.host, () => resolve(new RawClient(socket)));
      socket.once('error', reject);
    });
  }

  /** Exactly `count` bytes; rejects with code 'ECLOSED' if the server closes first. */
  async read(count: number): Promise<Buffer> {
    while (this.input.length < count) {
      if (this.ended) throw Object.assign(new Error(`connection closed with ${this.input.length}/${count} bytes`), { code: 'ECLOSED' });
      await new Promise<void>((resolve) => {
        this.waiter = resolve;
      });
    }
    return Buffer.from(this.input.take(count));
  }

  write(data: Uint8Array): void {
    this.socket.write(data);
  }

  /** Read the greeting and send client flags (fixed newstyle + no zeroes by default). Returns the handshake flags. */
  async greet(clientFlags = 3): Promise<number> {
    const greeting = await this.read(18);
    if (greeting.readBigUInt64BE(0) !== NBD_MAGIC || greeting.readBigUInt64BE(8) !== NBD_OPTS_MAGIC) throw new Error('bad greeting');
    const flags = Buffer.alloc(4);
    flags.writeUInt32BE(clientFlags, 0);
    this.write(flags);
    return greeting.readUInt16BE(16);
  }

  sendOption(option: number, data: Uint8Array = Buffer.alloc(0)): void {
    const header = Buffer.alloc(16);
    header.writeBigUInt64BE(NBD_OPTS_MAGIC, 0);
    header.writeUInt32BE(option, 8);
    header.writeUInt32BE(data.length, 12);
    this.write(Buffer.concat([header, data]));
  }

  async optionReply(): Promise<OptionReply> {
    const header = await this.read(20);
    if (header.readBigUInt64BE(0) !== NBD_REP_MAGIC) throw new Error('bad option reply magic');
    const length = header.readUInt32BE(16);
    return { option: header.readUInt32BE(8), type: header.readUInt32BE(12), data: await this.read(length) };
  }

  /** NBD_OPT_INFO or NBD_OPT_GO; returns every reply up to and including the final one (ACK or an error). */
  async infoOrGo(option: number, name: string, requests: number[] = []): Promise<OptionReply[]> {
    const nameBytes = Buffer.from(name);
    const data = Buffer.alloc(4 + nameBytes.length + 2 + 2 * requests.length);
    data.writeUInt32BE(nameBytes.length, 0);
    nameBytes.copy(data, 4);
    data.writeUInt16BE(requests.length, 4 + nameBytes.length);
    requests.forEach((request, index) => data.writeUInt16BE(request, 6 + nameBytes.length + 2 * index));
    this.sendOption(option, data);
    const replies: OptionReply[] = [];
    for (;;) {
      const reply = await this.optionReply();
      replies.push(reply);
      if (reply.type !== Reply.Info) return replies;
    }
  }

  /** Greet and GO to `name`: ready for requests. */
  async open(name = ''): Promise<{ size: number; flags: number }> {
    await this.greet();
    const replies = await this.infoOrGo(Option.Go, name, [Info.BlockSize]);
    const last = replies[replies.length - 1];
    if (last.type !== Reply.Ack) throw new Error(`GO failed: ${last.type}`);
    const exportInfo = replies.find((reply) => reply.type === Reply.Info && reply.data.readUInt16BE(0) === Info.Export) as OptionReply;
    return { size: Number(exportInfo.data.readBigUInt64BE(2)), flags: exportInfo.data.readUInt16BE(10) };
  }

  sendRequest(type: number, cookie: number, offset: number, length: number, flags = 0, payload?: Uint8Array): void {
    const header = Buffer.alloc(28);
    header.writeUInt32BE(NBD_REQUEST_MAGIC, 0);
    header.writeUInt16BE(flags, 4);
    header.writeUInt16BE(type, 6);
    header.writeBigUInt64BE(BigInt(cookie), 8);
    header.writeBigUInt64BE(BigInt(offset), 16);
    header.writeUInt32BE(length, 24);
    this.write(payload ? Buffer.concat([header, payload]) : header);
  }

  /** A simple reply; `readLength(cookie)` says how many data bytes follow a successful reply to that cookie. */
  async reply(readLength: (cookie: number) => number = () => 0): Promise<{ error: number; cookie: number; data: Buffer }> {
    const header = await this.read(16);
    if (header.readUInt32BE(0) !== NBD_SIMPLE_REPLY_MAGIC) throw new Error('bad simple reply magic');
    const error = header.readUInt32BE(4);
    const cookie = Number(header.readBigUInt64BE(8));
    return { error, cookie, data: error === 0 ? await this.read(readLength(cookie)) : Buffer.alloc(0) };
  }

  close(): void {
    this.socket.destroy();
  }
}
