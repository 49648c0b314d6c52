// Fixed-newstyle option haggling: one option in, the replies to send and what happens next (pure, no I/O).
import {
  encodeExportNameReply,
  encodeInfoBlockSize,
  encodeInfoExport,
  encodeInfoText,
  encodeOptionReply,
  encodeServerEntry,
  Info,
  Option,
  Reply,
  TransmissionFlag,
} from './protocol.js';

export interface ExportInfo {
  name: string;
  description: string;
  size: number;
  readOnly: boolean;
  /** Largest READ/WRITE payload, advertised in NBD_INFO_BLOCK_SIZE (default MAX_BLOCK_SIZE, 32 MiB). */
  maxRequestBytes?: number;
}

export interface OptionOutcome {
  replies: Buffer[];
  /** 'options': keep haggling; 'transmission': start serving requests; 'close': end the connection after the replies. */
  next: 'options' | 'transmission' | 'close';
}

/** Transmission flags for an export: flush, FUA, trim, write zeroes and multi-conn (one shared device, global flush). */
export function transmissionFlags(exported: ExportInfo): number {
  const base = TransmissionFlag.HasFlags | TransmissionFlag.SendFlush | TransmissionFlag.SendFua | TransmissionFlag.CanMultiConn;
  if (exported.readOnly) return base | TransmissionFlag.ReadOnly;
  return base | TransmissionFlag.SendTrim | TransmissionFlag.SendWriteZeroes;
}

/** The empty name selects the default (only) export. */
function known(exported: ExportInfo, name: string): boolean {
  return name === '' || name === exported.name;
}

export function handleOption(exported: ExportInfo, option: number, data: Buffer, noZeroes: boolean): OptionOutcome {
  const reply = (type: number, payload?: Uint8Array) => encodeOptionReply(option, type, payload);
  const error = (type: number, message: string) => ({ replies: [reply(type, Buffer.from(message))], next: 'options' as const });
  switch (option) {
    case Option.ExportName: {
      // No error reply exists for this option: an unknown name closes the connection.
      if (!known(exported, data.toString('utf8'))) return { replies: [], next: 'close' };
      return { replies: [encodeExportNameReply(exported.size, transmissionFlags(exported), noZeroes)], next: 'transmission' };
    }
    case Option.Abort:
      return { replies: [reply(Reply.Ack)], next: 'close' };
    case Option.List:
      if (data.length !== 0) return error(Reply.ErrInvalid, 'NBD_OPT_LIST takes no data');
      return { replies: [reply(Reply.Server, encodeServerEntry(exported.name, exported.description)), reply(Reply.Ack)], next: 'options' };
    case Option.Info:
    case Option.Go:
      return infoOrGo(exported, option, data, reply, error);
    default:
      // STARTTLS, STRUCTURED_REPLY, meta contexts and anything unknown.
      return error(Reply.ErrUnsup, `option ${option} is not supported`);
  }
}

function infoOrGo(
  exported: ExportInfo,
  option: number,
  data: Buffer,
  reply: (type: number, payload?: Uint8Array) => Buffer,
  error: (type: number, message: string) => OptionOutcome,
): OptionOutcome {
  // name length u32 | name | request count u16 | request types u16 each
  if (data.length < 4 + 2) return error(Reply.ErrInvalid, 'short NBD_OPT_INFO/GO');
  const nameLength = data.readUInt32BE(0);
  if (4 + nameLength + 2 > data.length) return error(Reply.ErrInvalid, 'NBD_OPT_INFO/GO name overruns the option');
  const name = data.toString('utf8', 4, 4 + nameLength);
  const count = data.readUInt16BE(4 + nameLength);
  if (4 + nameLength + 2 + 2 * count !== data.length) return error(Reply.ErrInvalid, 'NBD_OPT_INFO/GO length does not match its requests');
  if (!known(exported, name)) return error(Reply.ErrUnknown, `no export named '${name}'`);
  const requested = new Set<number>();
  for (let index = 0; index < count; index += 1) requested.add(data.readUInt16BE(4 + nameLength + 2 + 2 * index));
  const replies = [
    reply(Reply.Info, encodeInfoExport(exported.size, transmissionFlags(exported))),
    reply(Reply.Info, encodeInfoBlockSize(exported.maxRequestBytes)),
  ];
  if (requested.has(Info.Name)) replies.push(reply(Reply.Info, encodeInfoText(Info.Name, exported.name)));
  if (requested.has(Info.Description)) replies.push(reply(Reply.Info, encodeInfoText(Info.Description, exported.description)));
  replies.push(reply(Reply.Ack));
  return { replies, next: option === Option.Go ? 'transmission' : 'options' };
}
