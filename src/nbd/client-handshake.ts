// Client side of the fixed newstyle handshake: connect, NBD_OPT_STRUCTURED_REPLY, then NBD_OPT_GO (or INFO) with block sizes.
import type { Socket } from 'node:net';
import { ByteQueue } from './byte-queue.js';
import { NbdClientError } from './client-errors.js';
import {
  ClientFlag,
  DEFAULT_MAX_PAYLOAD,
  encodeInfoRequest,
  encodeOption,
  GREETING_LENGTH,
  HandshakeFlag,
  Info,
  NBD_CLISERV_MAGIC,
  NBD_MAGIC,
  NBD_OPTS_MAGIC,
  NBD_REP_MAGIC,
  Option,
  OPTION_REPLY_HEADER_LENGTH,
  Reply,
  TransmissionFlag,
} from './protocol.js';
import type { NbdEndpoint } from './uri.js';

import { connectSocket, type Receiver } from './client-socket.js';

/** What the server told us about the export. */
export interface ExportDetails {
  size: number;
  /** Transmission flags (TransmissionFlag bits). */
  flags: number;
  readOnly: boolean;
  canFlush: boolean;
  canFua: boolean;
  canMultiConn: boolean;
  /** NBD_INFO_BLOCK_SIZE: every request's offset and length are multiples of `minimumBlock`; payloads are at most `maximumPayload`. */
  minimumBlock: number;
  preferredBlock: number;
  maximumPayload: number;
  /** Structured replies were negotiated (reads answer in chunks: data, holes, errors). */
  structuredReplies: boolean;
  /** NBD_INFO_DESCRIPTION, when the server sent one (NBD_OPT_INFO asks for it). */
  description: string | undefined;
}

export interface HandshakeOptions {
  exportName: string;
  /** Ask for structured replies (default true). */
  structuredReplies?: boolean;
  /** 'go' enters transmission; 'info' only asks (NBD_OPT_INFO) and then aborts the handshake. */
  mode?: 'go' | 'info';
  timeoutMs?: number;
}

const MAX_OPTION_REPLY = 64 * 1024;
const ERROR_BIT = 0x80000000;

/** Reads exact byte counts from a socket during the handshake. */
class HandshakeReader {
  private readonly queue = new ByteQueue();
  private waiting: { count: number; resolve: (bytes: Buffer) => void; reject: (error: Error) => void } | undefined;
  private failure: Error | undefined;
  /** The receive buffer is reused: keep a copy. */
  private readonly onData = (chunk: Buffer): void => {
    this.queue.push(Buffer.from(chunk));
    this.wake();
  };
  private readonly onEnd = (): void =>
    this.fail(new NbdClientError('the NBD server closed the connection during the handshake', 'ECONNRESET'));
  private readonly onError = (error: NodeJS.ErrnoException): void =>
    this.fail(new NbdClientError(`NBD handshake: ${error.message}`, error.code ?? 'ECONNRESET'));

  constructor(
    private readonly socket: Socket,
    private readonly receiver: Receiver,
  ) {
    receiver.deliver = this.onData;
    socket.on('end', this.onEnd);
    socket.on('close', this.onEnd);
    socket.on('error', this.onError);
  }

  read(count: number): Promise<Buffer> {
    if (this.failure) return Promise.reject(this.failure);
    return new Promise((resolve, reject) => {
      this.waiting = { count, resolve, reject };
      this.wake();
    });
  }

  fail(error: Error): void {
    this.failure ??= error;
    const waiting = this.waiting;
    this.waiting = undefined;
    waiting?.reject(this.failure);
  }

  /** Stop listening; returns bytes that arrived after the handshake (none from a well-behaved server). */
  detach(): Buffer {
    this.receiver.deliver = () => {};
    this.socket.off('end', this.onEnd);
    this.socket.off('close', this.onEnd);
    this.socket.off('error', this.onError);
    return this.queue.take(this.queue.length);
  }

  private wake(): void {
    const waiting = this.waiting;
    if (waiting === undefined || this.queue.length < waiting.count) return;
    this.waiting = undefined;
    waiting.resolve(this.queue.take(waiting.count));
  }
}

function violation(message: string): NbdClientError {
  return new NbdClientError(`NBD handshake: ${message}`, 'ERR_NBD_PROTOCOL');
}

/** An option error reply -> an error with a stable code. */
function optionError(option: string, type: number, text: string, exportName: string): NbdClientError {
  const detail = text === '' ? '' : ` (${text})`;
  switch (type) {
    case Reply.ErrUnknown:
      return new NbdClientError(`the NBD server has no export named '${exportName}'${detail}`, 'ENOENT');
    case Reply.ErrPolicy:
      return new NbdClientError(`the NBD server refused ${option} by policy${detail}`, 'EACCES');
    case Reply.ErrTlsReqd:
      return new NbdClientError(`the NBD server requires TLS, which aoekit does not speak${detail}`, 'ERR_NBD_TLS_REQUIRED');
    case Reply.ErrShutdown:
      return new NbdClientError(`the NBD server is shutting down${detail}`, 'ESHUTDOWN');
    default:
      return new NbdClientError(`the NBD server refused ${option} (reply 0x${type.toString(16)})${detail}`, 'ERR_NBD_HANDSHAKE');
  }
}

interface OptionReply {
  type: number;
  data: Buffer;
}

async function readOptionReply(reader: HandshakeReader, option: number): Promise<OptionReply> {
  const header = await reader.read(OPTION_REPLY_HEADER_LENGTH);
  if (header.readBigUInt64BE(0) !== NBD_REP_MAGIC) throw violation('bad option reply magic');
  if (header.readUInt32BE(8) !== option) throw violation(`reply to option ${header.readUInt32BE(8)}, expected ${option}`);
  const length = header.readUInt32BE(16);
  if (length > MAX_OPTION_REPLY) throw violation(`option reply of ${length} bytes`);
  const data = length === 0 ? Buffer.alloc(0) : Buffer.from(await reader.read(length));
  return { type: header.readUInt32BE(12), data };
}

function applyInfo(details: ExportDetails, data: Buffer): void {
  if (data.length < 2) throw violation('empty NBD_REP_INFO');
  const type = data.readUInt16BE(0);
  if (type === Info.Export) {
    if (data.length !== 12) throw violation('NBD_INFO_EXPORT of the wrong length');
    details.size = Number(data.readBigUInt64BE(2));
    setFlags(details, data.readUInt16BE(10));
  } else if (type === Info.BlockSize) {
    if (data.length !== 14) throw violation('NBD_INFO_BLOCK_SIZE of the wrong length');
    details.minimumBlock = data.readUInt32BE(2);
    details.preferredBlock = data.readUInt32BE(6);
    details.maximumPayload = data.readUInt32BE(10);
  } else if (type === Info.Description) {
    details.description = data.toString('utf8', 2);
  }
  // NBD_INFO_NAME and unknown info types carry nothing we use.
}

function setFlags(details: ExportDetails, flags: number): void {
  details.flags = flags;
  details.readOnly = (flags & TransmissionFlag.ReadOnly) !== 0;
  details.canFlush = (flags & TransmissionFlag.SendFlush) !== 0;
  details.canFua = (flags & TransmissionFlag.SendFua) !== 0;
  details.canMultiConn = (flags & TransmissionFlag.CanMultiConn) !== 0;
}

function validateBlockSizes(details: ExportDetails): void {
  const { minimumBlock: min, preferredBlock: preferred, maximumPayload: max } = details;
  const powerOfTwo = (value: number) => value > 0 && (value & (value - 1)) === 0;
  if (!powerOfTwo(min) || min > 64 * 1024) throw violation(`minimum block size ${min} is not a power of two up to 64 KiB`);
  if (!powerOfTwo(preferred) || preferred < min) throw violation(`preferred block size ${preferred} is not a power of two >= ${min}`);
  if (max !== 0xffffffff && (max < min || max % min !== 0)) throw violation(`maximum payload ${max} is not a multiple of ${min}`);
}

/**
 * Negotiate on a connected socket. In 'go' mode the socket is in the transmission phase afterwards; in 'info'
 * mode the handshake is aborted (NBD_OPT_ABORT) and the socket closed. Any bytes that arrived after the handshake
 * are returned in `leftover`.
 */
export async function negotiate(
  socket: Socket,
  receiver: Receiver,
  options: HandshakeOptions,
): Promise<{ details: ExportDetails; leftover: Buffer }> {
  const reader = new HandshakeReader(socket, receiver);
  const timer = setTimeout(() => {
    reader.fail(new NbdClientError('the NBD handshake timed out', 'ETIMEDOUT'));
    socket.destroy();
  }, options.timeoutMs ?? 10_000);
  try {
    const details = await haggle(socket, reader, options);
    return { details, leftover: reader.detach() };
  } catch (error) {
    reader.detach();
    socket.destroy();
    throw error;
  } finally {
    clearTimeout(timer);
  }
}

async function haggle(socket: Socket, reader: HandshakeReader, options: HandshakeOptions): Promise<ExportDetails> {
  const greeting = await reader.read(GREETING_LENGTH);
  if (greeting.readBigUInt64BE(0) !== NBD_MAGIC) throw violation('not an NBD server (no NBDMAGIC)');
  const second = greeting.readBigUInt64BE(8);
  if (second === NBD_CLISERV_MAGIC) throw new NbdClientError('the NBD server speaks only the oldstyle handshake', 'ERR_NBD_HANDSHAKE');
  if (second !== NBD_OPTS_MAGIC) throw violation('bad newstyle magic');
  const serverFlags = greeting.readUInt16BE(16);
  const fixed = (serverFlags & HandshakeFlag.FixedNewstyle) !== 0;
  const noZeroes = (serverFlags & HandshakeFlag.NoZeroes) !== 0;
  const clientFlags = Buffer.alloc(4);
  clientFlags.writeUInt32BE((fixed ? ClientFlag.FixedNewstyle : 0) | (noZeroes ? ClientFlag.NoZeroes : 0));
  socket.write(clientFlags);
  const details: ExportDetails = {
    size: -1,
    flags: 0,
    readOnly: false,
    canFlush: false,
    canFua: false,
    canMultiConn: false,
    minimumBlock: 1,
    preferredBlock: 4096,
    maximumPayload: DEFAULT_MAX_PAYLOAD,
    structuredReplies: false,
    description: undefined,
  };
  const mode = options.mode ?? 'go';
  if (!fixed) {
    if (mode === 'info') throw new NbdClientError('the NBD server does not speak fixed newstyle (no NBD_OPT_INFO)', 'ERR_NBD_HANDSHAKE');
    return exportName(socket, reader, options.exportName, noZeroes, details);
  }
  if (options.structuredReplies ?? true) {
    socket.write(encodeOption(Option.StructuredReply));
    const reply = await readOptionReply(reader, Option.StructuredReply);
    details.structuredReplies = reply.type === Reply.Ack;
  }
  const option = mode === 'go' ? Option.Go : Option.Info;
  const wanted = mode === 'go' ? [Info.BlockSize] : [Info.BlockSize, Info.Description];
  socket.write(encodeOption(option, encodeInfoRequest(options.exportName, wanted)));
  for (;;) {
    const reply = await readOptionReply(reader, option);
    if (reply.type === Reply.Info) {
      applyInfo(details, reply.data);
      continue;
    }
    if (reply.type === Reply.Ack) break;
    if ((reply.type & ERROR_BIT) !== 0) {
      if (reply.type === Reply.ErrUnsup && mode === 'go') return exportName(socket, reader, options.exportName, noZeroes, details);
      throw optionError(mode === 'go' ? 'NBD_OPT_GO' : 'NBD_OPT_INFO', reply.type, reply.data.toString('utf8'), options.exportName);
    }
    // Other reply types carry nothing for us (the spec lets a client ignore them).
  }
  if (details.size < 0) throw violation('no NBD_INFO_EXPORT before NBD_REP_ACK');
  validateBlockSizes(details);
  if (mode === 'info') {
    socket.write(encodeOption(Option.Abort));
    socket.end();
  }
  return details;
}

/** NBD_OPT_EXPORT_NAME (servers without NBD_OPT_GO): size u64 | flags u16 | 124 zeros unless NO_ZEROES. */
async function exportName(
  socket: Socket,
  reader: HandshakeReader,
  name: string,
  noZeroes: boolean,
  details: ExportDetails,
): Promise<ExportDetails> {
  socket.write(encodeOption(Option.ExportName, Buffer.from(name, 'utf8')));
  const reply = await reader.read(8 + 2 + (noZeroes ? 0 : 124));
  details.size = Number(reply.readBigUInt64BE(0));
  setFlags(details, reply.readUInt16BE(8));
  return details;
}

/** Ask the server about an export without entering transmission (NBD_OPT_INFO, then NBD_OPT_ABORT). */
export async function probeNbdExport(target: { endpoint: NbdEndpoint; exportName: string }, timeoutMs = 10_000): Promise<ExportDetails> {
  const { socket, receiver } = await connectSocket(target.endpoint, timeoutMs);
  try {
    return (await negotiate(socket, receiver, { exportName: target.exportName, mode: 'info', timeoutMs })).details;
  } finally {
    socket.destroy();
  }
}
