// Streaming parser of the server's replies (simple and structured chunks): data goes straight into the caller's buffer.
import { NbdClientError } from './client-errors.js';
import { RequestKind, type NbdRequest } from './client-requests.js';
import {
  NBD_SIMPLE_REPLY_MAGIC,
  NBD_STRUCTURED_REPLY_MAGIC,
  NbdError,
  REPLY_TYPE_ERROR_BIT,
  ReplyFlag,
  ReplyType,
  SIMPLE_REPLY_LENGTH,
  STRUCTURED_REPLY_LENGTH,
} from './protocol.js';

export interface ReplyHandler {
  /** The request in flight on this connection that a cookie names, or null. */
  find(cookieHigh: number, cookieLow: number): NbdRequest | null;
  /** The request's reply is complete: `errorValue` 0 = success, else the NBD error (message from an error chunk, if any). */
  finish(request: NbdRequest, errorValue: number, message: string): void;
}

const State = { Header: 0, SimpleData: 1, ChunkOffset: 2, ChunkData: 3, ChunkPayload: 4 } as const;
/** Longest error or hole chunk payload accepted (error messages are at most 4096 bytes by the spec). */
const MAX_SMALL_PAYLOAD = 8192;

function violation(message: string): NbdClientError {
  return new NbdClientError(`NBD protocol violation by the server: ${message}`, 'ERR_NBD_PROTOCOL');
}

export class ReplyParser {
  private state: number = State.Header;
  private readonly header = Buffer.alloc(STRUCTURED_REPLY_LENGTH);
  private headerHave = 0;
  private readonly small = Buffer.alloc(MAX_SMALL_PAYLOAD);
  private smallHave = 0;
  private smallNeed = 0;
  private request: NbdRequest | null = null;
  private chunkFlags = 0;
  private chunkType = 0;
  /** Data bytes still to copy, and where the next one goes, relative to the request's start. */
  private dataLeft = 0;
  private dataAt = 0;

  constructor(
    private readonly handler: ReplyHandler,
    private readonly structured: boolean,
  ) {}

  /** Consume one socket chunk. Throws ERR_NBD_PROTOCOL on a violation (the connection must then be dropped). */
  feed(chunk: Buffer): void {
    let at = 0;
    const end = chunk.length;
    while (at < end) {
      switch (this.state) {
        case State.Header:
          at = this.readHeader(chunk, at, end);
          break;
        case State.SimpleData:
        case State.ChunkData:
          at = this.copyData(chunk, at, end);
          break;
        case State.ChunkOffset:
        case State.ChunkPayload:
          at = this.readSmall(chunk, at, end);
          break;
      }
    }
  }

  private readHeader(chunk: Buffer, at: number, end: number): number {
    const header = this.header;
    let need =
      this.headerHave >= 4 && header.readUInt32BE(0) === NBD_STRUCTURED_REPLY_MAGIC ? STRUCTURED_REPLY_LENGTH : SIMPLE_REPLY_LENGTH;
    while (at < end && this.headerHave < need) {
      header[this.headerHave++] = chunk[at++];
      if (this.headerHave === 4) need = this.magicLength(header.readUInt32BE(0));
    }
    if (this.headerHave < need) return at;
    this.headerHave = 0;
    if (need === SIMPLE_REPLY_LENGTH) this.simpleReply();
    else this.chunkHeader();
    return at;
  }

  private magicLength(magic: number): number {
    if (magic === NBD_SIMPLE_REPLY_MAGIC) return SIMPLE_REPLY_LENGTH;
    if (magic === NBD_STRUCTURED_REPLY_MAGIC && this.structured) return STRUCTURED_REPLY_LENGTH;
    throw violation(`reply magic 0x${magic.toString(16)}`);
  }

  private lookup(): NbdRequest {
    const request = this.handler.find(this.header.readUInt32BE(8), this.header.readUInt32BE(12));
    if (request === null) throw violation('a reply for a request not in flight');
    return request;
  }

  private simpleReply(): void {
    const errorValue = this.header.readUInt32BE(4);
    const request = this.lookup();
    if (request.kind === RequestKind.Read && errorValue === 0) {
      if (this.structured) throw violation('a simple reply to a READ after structured replies were negotiated');
      this.request = request;
      this.dataLeft = request.length;
      this.dataAt = 0;
      this.state = State.SimpleData;
      if (this.dataLeft === 0) this.endData();
      return;
    }
    this.handler.finish(request, errorValue, '');
  }

  private chunkHeader(): void {
    const header = this.header;
    this.chunkFlags = header.readUInt16BE(4);
    this.chunkType = header.readUInt16BE(6);
    const length = header.readUInt32BE(16);
    const request = this.lookup();
    this.request = request;
    const type = this.chunkType;
    if (type === ReplyType.None) {
      if (length !== 0 || (this.chunkFlags & ReplyFlag.Done) === 0) throw violation('NBD_REPLY_TYPE_NONE with a payload or without DONE');
      this.endChunk();
    } else if (type === ReplyType.OffsetData) {
      if (request.kind !== RequestKind.Read || length < 9) throw violation('a data chunk that is not for a READ or is empty');
      this.dataLeft = length - 8;
      this.expectSmall(8, State.ChunkOffset);
    } else if (type === ReplyType.OffsetHole) {
      if (request.kind !== RequestKind.Read || length !== 12) throw violation('a hole chunk that is not for a READ or not 12 bytes');
      this.expectSmall(12, State.ChunkPayload);
    } else if ((type & REPLY_TYPE_ERROR_BIT) !== 0) {
      if (length < 6 || length > MAX_SMALL_PAYLOAD) throw violation(`an error chunk of ${length} bytes`);
      this.expectSmall(length, State.ChunkPayload);
    } else {
      throw violation(`unexpected chunk type ${type}`);
    }
  }

  private expectSmall(count: number, state: number): void {
    this.smallHave = 0;
    this.smallNeed = count;
    this.state = state;
  }

  private readSmall(chunk: Buffer, at: number, end: number): number {
    const count = Math.min(this.smallNeed - this.smallHave, end - at);
    chunk.copy(this.small, this.smallHave, at, at + count);
    this.smallHave += count;
    if (this.smallHave < this.smallNeed) return at + count;
    if (this.state === State.ChunkOffset) this.startChunkData();
    else this.smallPayload();
    return at + count;
  }

  /** OFFSET_DATA: the offset is in; check the range and copy the data straight into the destination. */
  private startChunkData(): void {
    const request = this.request as NbdRequest;
    const offset = this.small.readUInt32BE(0) * 2 ** 32 + this.small.readUInt32BE(4);
    const relative = offset - request.position;
    if (relative < 0 || relative + this.dataLeft > request.length) throw violation('a data chunk outside its READ');
    request.covered += this.dataLeft;
    this.dataAt = relative;
    this.state = State.ChunkData;
  }

  private copyData(chunk: Buffer, at: number, end: number): number {
    const request = this.request as NbdRequest;
    const count = Math.min(this.dataLeft, end - at);
    request.scatter(chunk, at, count, this.dataAt);
    this.dataAt += count;
    this.dataLeft -= count;
    if (this.dataLeft === 0) this.endData();
    return at + count;
  }

  private endData(): void {
    if (this.state === State.SimpleData) {
      const request = this.request as NbdRequest;
      this.request = null;
      this.state = State.Header;
      this.handler.finish(request, 0, '');
      return;
    }
    this.endChunk();
  }

  /** OFFSET_HOLE (zero-fill) or an error chunk. */
  private smallPayload(): void {
    const request = this.request as NbdRequest;
    const small = this.small;
    if (this.chunkType === ReplyType.OffsetHole) {
      const offset = small.readUInt32BE(0) * 2 ** 32 + small.readUInt32BE(4);
      const size = small.readUInt32BE(8);
      const relative = offset - request.position;
      if (size === 0 || relative < 0 || relative + size > request.length) throw violation('a hole chunk outside its READ');
      request.zero(relative, size);
      request.covered += size;
    } else {
      const messageLength = small.readUInt16BE(4);
      if (6 + messageLength > this.smallNeed) throw violation('an error chunk whose message overruns it');
      if (request.errorValue === 0) {
        request.errorValue = small.readUInt32BE(0) || NbdError.EIO;
        request.errorMessage = small.toString('utf8', 6, 6 + messageLength);
      }
    }
    this.endChunk();
  }

  private endChunk(): void {
    const request = this.request as NbdRequest;
    this.state = State.Header;
    this.request = null;
    if ((this.chunkFlags & ReplyFlag.Done) === 0) return;
    let errorValue = request.errorValue;
    let message = request.errorMessage;
    if (errorValue === 0 && request.kind === RequestKind.Read && request.covered !== request.length) {
      errorValue = NbdError.EIO;
      message = `the server's reply covered ${request.covered} of ${request.length} bytes`;
    }
    this.handler.finish(request, errorValue, message);
  }
}
