// NBD protocol constants (doc/proto.md of the NBD project) and the small fixed-layout encoders the server sends.

/** Handshake: "NBDMAGIC" then "IHAVEOPT" (fixed newstyle). */
export const NBD_MAGIC = 0x4e42444d41474943n;
export const NBD_OPTS_MAGIC = 0x49484156454f5054n;
/** Option reply magic. */
export const NBD_REP_MAGIC = 0x3e889045565a9n;
/** Transmission: request and simple reply magics. */
export const NBD_REQUEST_MAGIC = 0x25609513;
export const NBD_SIMPLE_REPLY_MAGIC = 0x67446698;

/** Global (handshake) flags, server -> client (16 bits). */
export const HandshakeFlag = { FixedNewstyle: 1 << 0, NoZeroes: 1 << 1 } as const;
/** Client flags, client -> server (32 bits). */
export const ClientFlag = { FixedNewstyle: 1 << 0, NoZeroes: 1 << 1 } as const;

/** Transmission flags (16 bits), sent with the export size. */
export const TransmissionFlag = {
  HasFlags: 1 << 0,
  ReadOnly: 1 << 1,
  SendFlush: 1 << 2,
  SendFua: 1 << 3,
  Rotational: 1 << 4,
  SendTrim: 1 << 5,
  SendWriteZeroes: 1 << 6,
  SendDf: 1 << 7,
  CanMultiConn: 1 << 8,
  SendResize: 1 << 9,
  SendCache: 1 << 10,
  SendFastZero: 1 << 11,
} as const;

export const Option = {
  ExportName: 1,
  Abort: 2,
  List: 3,
  PeekExport: 4,
  StartTls: 5,
  Info: 6,
  Go: 7,
  StructuredReply: 8,
  ListMetaContext: 9,
  SetMetaContext: 10,
} as const;

const ERR = 0x80000000;
export const Reply = {
  Ack: 1,
  Server: 2,
  Info: 3,
  MetaContext: 4,
  ErrUnsup: ERR + 1,
  ErrPolicy: ERR + 2,
  ErrInvalid: ERR + 3,
  ErrPlatform: ERR + 4,
  ErrTlsReqd: ERR + 5,
  ErrUnknown: ERR + 6,
  ErrShutdown: ERR + 7,
  ErrBlockSizeReqd: ERR + 8,
  ErrTooBig: ERR + 9,
} as const;

export const Info = { Export: 0, Name: 1, Description: 2, BlockSize: 3 } as const;

export const Command = { Read: 0, Write: 1, Disc: 2, Flush: 3, Trim: 4, Cache: 5, WriteZeroes: 6, BlockStatus: 7, Resize: 8 } as const;
export const CommandFlag = { Fua: 1 << 0, NoHole: 1 << 1, Df: 1 << 2, ReqOne: 1 << 3, FastZero: 1 << 4 } as const;

/** NBD error values (Linux errno numbers, as the protocol fixes them). */
export const NbdError = { EPERM: 1, EIO: 5, ENOMEM: 12, EINVAL: 22, ENOSPC: 28, EOVERFLOW: 75, ENOTSUP: 95, ESHUTDOWN: 108 } as const;

/** Block size constraints we advertise (NBD_INFO_BLOCK_SIZE). */
export const MIN_BLOCK_SIZE = 512;
export const PREFERRED_BLOCK_SIZE = 4096;
export const MAX_BLOCK_SIZE = 32 * 1024 * 1024;
/** Longest option payload we accept (names are at most 4096 bytes by the spec). */
export const MAX_OPTION_LENGTH = 64 * 1024;

/*
 * Request (28 bytes):  magic u32 | flags u16 | type u16 | cookie u64 | offset u64 | length u32
 * Simple reply (16):   magic u32 | error u32 | cookie u64
 * Option (16 + n):     IHAVEOPT u64 | option u32 | length u32 | data
 * Option reply (20+n): 0x3e889045565a9 u64 | option u32 | type u32 | length u32 | data
 */
export const REQUEST_LENGTH = 4 + 2 + 2 + 8 + 8 + 4;
export const SIMPLE_REPLY_LENGTH = 4 + 4 + 8;
export const OPTION_HEADER_LENGTH = 8 + 4 + 4;
export const OPTION_REPLY_HEADER_LENGTH = 8 + 4 + 4 + 4;

/** Server greeting: NBDMAGIC, IHAVEOPT, handshake flags. */
export function encodeGreeting(): Buffer {
  const buffer = Buffer.alloc(8 + 8 + 2);
  buffer.writeBigUInt64BE(NBD_MAGIC, 0);
  buffer.writeBigUInt64BE(NBD_OPTS_MAGIC, 8);
  buffer.writeUInt16BE(HandshakeFlag.FixedNewstyle | HandshakeFlag.NoZeroes, 16);
  return buffer;
}

export function encodeOptionReply(option: number, type: number, data: Uint8Array = Buffer.alloc(0)): Buffer {
  const buffer = Buffer.alloc(OPTION_REPLY_HEADER_LENGTH + data.length);
  buffer.writeBigUInt64BE(NBD_REP_MAGIC, 0);
  buffer.writeUInt32BE(option, 8);
  buffer.writeUInt32BE(type, 12);
  buffer.writeUInt32BE(data.length, 16);
  buffer.set(data, OPTION_REPLY_HEADER_LENGTH);
  return buffer;
}

/** NBD_INFO_EXPORT payload: type u16 | size u64 | transmission flags u16. */
export function encodeInfoExport(size: number, flags: number): Buffer {
  const buffer = Buffer.alloc(2 + 8 + 2);
  buffer.writeUInt16BE(Info.Export, 0);
  buffer.writeBigUInt64BE(BigInt(size), 2);
  buffer.writeUInt16BE(flags, 10);
  return buffer;
}

/** NBD_INFO_BLOCK_SIZE payload: type u16 | minimum u32 | preferred u32 | maximum u32. */
export function encodeInfoBlockSize(maximum: number = MAX_BLOCK_SIZE): Buffer {
  const buffer = Buffer.alloc(2 + 4 + 4 + 4);
  buffer.writeUInt16BE(Info.BlockSize, 0);
  buffer.writeUInt32BE(MIN_BLOCK_SIZE, 2);
  buffer.writeUInt32BE(PREFERRED_BLOCK_SIZE, 6);
  buffer.writeUInt32BE(maximum, 10);
  return buffer;
}

/** NBD_INFO_NAME / NBD_INFO_DESCRIPTION payload: type u16 | text. */
export function encodeInfoText(type: number, text: string): Buffer {
  const bytes = Buffer.from(text, 'utf8');
  const buffer = Buffer.alloc(2 + bytes.length);
  buffer.writeUInt16BE(type, 0);
  bytes.copy(buffer, 2);
  return buffer;
}

/** NBD_REP_SERVER payload: name length u32 | name | description. */
export function encodeServerEntry(name: string, description: string): Buffer {
  const nameBytes = Buffer.from(name, 'utf8');
  const descriptionBytes = Buffer.from(description, 'utf8');
  const buffer = Buffer.alloc(4 + nameBytes.length + descriptionBytes.length);
  buffer.writeUInt32BE(nameBytes.length, 0);
  nameBytes.copy(buffer, 4);
  descriptionBytes.copy(buffer, 4 + nameBytes.length);
  return buffer;
}

/** Reply to NBD_OPT_EXPORT_NAME: size u64 | flags u16 | 124 zero bytes unless the client set NO_ZEROES. */
export function encodeExportNameReply(size: number, flags: number, noZeroes: boolean): Buffer {
  const buffer = Buffer.alloc(8 + 2 + (noZeroes ? 0 : 124));
  buffer.writeBigUInt64BE(BigInt(size), 0);
  buffer.writeUInt16BE(flags, 8);
  return buffer;
}

/** Write a simple reply header into `buffer` (16 bytes). The cookie is copied as raw bytes. */
export function writeSimpleReply(buffer: Buffer, error: number, cookie: Buffer, cookieOffset: number): void {
  buffer.writeUInt32BE(NBD_SIMPLE_REPLY_MAGIC, 0);
  buffer.writeUInt32BE(error, 4);
  cookie.copy(buffer, 8, cookieOffset, cookieOffset + 8);
}

// ---- Shared with the client (src/nbd/client*.ts): values the server never sends but a client must read or send. ----

/** Default TCP port of the NBD protocol (IANA). */
export const NBD_DEFAULT_PORT = 10809;
/** Oldstyle negotiation's second magic (`cliserv_magic`): a server that sends it does not speak newstyle. */
export const NBD_CLISERV_MAGIC = 0x00420281861253n;
/** Structured reply chunk magic (NBD_OPT_STRUCTURED_REPLY negotiated). */
export const NBD_STRUCTURED_REPLY_MAGIC = 0x668e33ef;
/** Structured reply flags: DONE marks the last chunk of a reply. */
export const ReplyFlag = { Done: 1 << 0 } as const;
/** Structured reply chunk types; every type with bit 15 set is an error chunk. */
export const ReplyType = { None: 0, OffsetData: 1, OffsetHole: 2, BlockStatus: 5, Error: 0x8001, ErrorOffset: 0x8002 } as const;
export const REPLY_TYPE_ERROR_BIT = 0x8000;

/*
 * Structured reply chunk (20 + n): magic u32 | flags u16 | type u16 | cookie u64 | length u32 | payload
 * OFFSET_DATA payload: offset u64 | data        OFFSET_HOLE payload: offset u64 | size u32
 * ERROR payload: error u32 | message length u16 | message [| offset u64 for ERROR_OFFSET]
 */
export const STRUCTURED_REPLY_LENGTH = 4 + 2 + 2 + 8 + 4;
/** Greeting (server -> client): NBDMAGIC u64 | IHAVEOPT u64 | handshake flags u16. */
export const GREETING_LENGTH = 8 + 8 + 2;
/** Defaults when a server sends no NBD_INFO_BLOCK_SIZE (doc/proto.md, "Block size constraints"). */
export const DEFAULT_MAX_PAYLOAD = 32 * 1024 * 1024;

/** Name of an NBD error value as an errno code ('EIO', 'ENOSPC', ...); values the protocol does not define read as EIO. */
export function nbdErrorName(value: number): string {
  for (const [name, number] of Object.entries(NbdError)) if (number === value) return name;
  return 'EIO';
}

/** Write a request header (28 bytes) at `offset`: the cookie is two u32 halves so nothing allocates a BigInt. */
export function writeRequestHeader(
  buffer: Buffer,
  offset: number,
  flags: number,
  type: number,
  cookieHigh: number,
  cookieLow: number,
  position: number,
  length: number,
): void {
  buffer.writeUInt32BE(NBD_REQUEST_MAGIC, offset);
  buffer.writeUInt16BE(flags, offset + 4);
  buffer.writeUInt16BE(type, offset + 6);
  buffer.writeUInt32BE(cookieHigh, offset + 8);
  buffer.writeUInt32BE(cookieLow, offset + 12);
  buffer.writeUInt32BE(Math.floor(position / 2 ** 32), offset + 16);
  buffer.writeUInt32BE(position >>> 0, offset + 20);
  buffer.writeUInt32BE(length, offset + 24);
}

/** A client option: IHAVEOPT u64 | option u32 | length u32 | data. */
export function encodeOption(option: number, data: Uint8Array = Buffer.alloc(0)): Buffer {
  const buffer = Buffer.alloc(OPTION_HEADER_LENGTH + data.length);
  buffer.writeBigUInt64BE(NBD_OPTS_MAGIC, 0);
  buffer.writeUInt32BE(option, 8);
  buffer.writeUInt32BE(data.length, 12);
  buffer.set(data, OPTION_HEADER_LENGTH);
  return buffer;
}

/** NBD_OPT_INFO / NBD_OPT_GO data: name length u32 | name | request count u16 | info types u16 each. */
export function encodeInfoRequest(name: string, infoTypes: readonly number[]): Buffer {
  const nameBytes = Buffer.from(name, 'utf8');
  const buffer = Buffer.alloc(4 + nameBytes.length + 2 + 2 * infoTypes.length);
  buffer.writeUInt32BE(nameBytes.length, 0);
  nameBytes.copy(buffer, 4);
  buffer.writeUInt16BE(infoTypes.length, 4 + nameBytes.length);
  infoTypes.forEach((type, index) => buffer.writeUInt16BE(type, 4 + nameBytes.length + 2 + 2 * index));
  return buffer;
}
