// Whole AoE frames (offset 0 = Ethernet header): padding, decodeFrame and the frame encoders.
import { ataArg, type AtaArg } from './ata-arg.js';
import { configArg, type ConfigArg } from './config-arg.js';
import {
  AOE_ARG_OFFSET,
  AOE_VERSION,
  ATA_ARG_LENGTH,
  ATA_DATA_OFFSET,
  CONFIG_ARG_LENGTH,
  MASK_ARG_HEADER_LENGTH,
  RESERVE_ARG_HEADER_LENGTH,
  Command,
  ETHERNET_HEADER_LENGTH,
  ETHERNET_MIN_FRAME,
  ETHERTYPE_AOE,
} from './constants.js';
import { ensureWritable, WireError, WireErrorCode } from './errors.js';
import { ethernet, type EthernetHeader } from './ethernet.js';
import { aoeHeader, encodeHeaderFields, type AoeHeader } from './header.js';
import { writeMac } from './mac.js';
import { maskArg, type MaskArg } from './mask-arg.js';
import { reserveArg, type ReserveArg } from './reserve-arg.js';

/*
 * Frame layout (AoEr11 §2; offsets from the frame start). Data-path accessors for the header: frame-header.ts.
 *
 *   0 Ethernet destination(6) | 6 source(6) | 12 EtherType 0x88A2(2)
 *  14 ver|flags(1) | 15 error(1) | 16 shelf(2) | 18 slot(1) | 19 command(1) | 20 tag(4)
 *  24 command argument: ATA 12 bytes (data at 36), Query Config 8 + string,
 *     Mac Mask List 4 + 8n, Reserve/Release 2 + 6n
 *  ...zero padding up to 60 bytes (Ethernet minimum without FCS)
 */
const FRAME_ETHER_TYPE = 12;

/** Frame length on the wire: at least ETHERNET_MIN_FRAME (60) bytes. */
export function padLength(length: number): number {
  return Math.max(length, ETHERNET_MIN_FRAME);
}

export interface DecodedFrame {
  ethernet: EthernetHeader;
  header: AoeHeader;
  ata?: AtaArg;
  config?: ConfigArg;
  mask?: MaskArg;
  reserve?: ReserveArg;
  /** Index in `buf` of the first byte after the argument (ATA data starts here). */
  dataOffset: number;
  /** Bytes from dataOffset to `end`: data plus any Ethernet padding. */
  dataLength: number;
}

/**
 * Decodes a whole frame for control paths and tests (allocates; not for the data path).
 * Order: Ethernet header (ERR_AOE_SHORT_FRAME), EtherType (ERR_AOE_BAD_ETHERTYPE, drop), AoE
 * header (see aoeHeader.decode), then the command's argument. Vendor commands (>= 0xF0) get no
 * argument: dataOffset is 24. `offset` is where the frame starts in `buf`.
 */
export function decodeFrame(buf: Uint8Array, end: number = buf.length, offset = 0): DecodedFrame {
  const ethernetHeader = ethernet.decode(buf, offset, end);
  if (ethernetHeader.etherType !== ETHERTYPE_AOE) {
    throw new WireError(WireErrorCode.BadEtherType, `EtherType 0x${ethernetHeader.etherType.toString(16)} is not AoE`);
  }
  const header = aoeHeader.decode(buf, offset + ETHERNET_HEADER_LENGTH, end);
  const argOffset = offset + AOE_ARG_OFFSET;
  const frame: DecodedFrame = { ethernet: ethernetHeader, header, dataOffset: argOffset, dataLength: 0 };
  switch (header.command) {
    case Command.Ata:
      frame.ata = ataArg.decode(buf, argOffset, end);
      frame.dataOffset = argOffset + ataArg.encodingLength(frame.ata);
      break;
    case Command.QueryConfig:
      frame.config = configArg.decode(buf, argOffset, end);
      frame.dataOffset = argOffset + configArg.encodingLength(frame.config);
      break;
    case Command.MacMask:
      frame.mask = maskArg.decode(buf, argOffset, end);
      frame.dataOffset = argOffset + maskArg.encodingLength(frame.mask);
      break;
    case Command.ReserveRelease:
      frame.reserve = reserveArg.decode(buf, argOffset, end);
      frame.dataOffset = argOffset + reserveArg.encodingLength(frame.reserve);
      break;
    default: // vendor specific: opaque
      break;
  }
  frame.dataLength = Math.min(end, buf.length) - frame.dataOffset;
  return frame;
}

/** Header fields for the frame encoders: an AoeHeader with version (1), error (0) and command optional. */
export interface FrameHeaderFields {
  version?: number;
  flags: number;
  error?: number;
  shelf: number;
  slot: number;
  /** Defaults to the frame's command; any other value throws ERR_AOE_FIELD_RANGE. */
  command?: number;
  tag: number;
}

interface FrameBase {
  destination: number;
  source: number;
  header: FrameHeaderFields;
}
export interface AtaFrame extends FrameBase {
  ata: AtaArg;
  /** Sector data copied to offset 36 (skipped when it already sits there). */
  data?: Uint8Array;
}
export interface ConfigFrame extends FrameBase {
  config: ConfigArg;
}
export interface MaskFrame extends FrameBase {
  mask: MaskArg;
}
export interface ReserveFrame extends FrameBase {
  reserve: ReserveArg;
}

function encodePrefix(buf: Uint8Array, offset: number, frame: FrameBase, command: number): void {
  const header = frame.header;
  if (header.command !== undefined && header.command !== command) {
    throw new WireError(WireErrorCode.FieldRange, `header.command ${header.command} does not match frame command ${command}`);
  }
  encodeHeaderFields(
    buf,
    offset + ETHERNET_HEADER_LENGTH,
    header.version ?? AOE_VERSION,
    header.flags,
    header.error ?? 0,
    header.shelf,
    header.slot,
    command,
    header.tag,
  );
  writeMac(buf, offset, frame.destination);
  writeMac(buf, offset + 6, frame.source);
  buf[offset + FRAME_ETHER_TYPE] = ETHERTYPE_AOE >>> 8;
  buf[offset + FRAME_ETHER_TYPE + 1] = ETHERTYPE_AOE & 0xff;
}

function finish(buf: Uint8Array, offset: number, length: number): number {
  const padded = padLength(length);
  if (length < padded) buf.fill(0, offset + length, offset + padded);
  return padded;
}

/**
 * Encodes a whole ATA frame at buf[offset...] and returns its length, zero-padded to 60.
 * The buffer must hold the padded length (ERR_AOE_BUFFER_TOO_SMALL). On any throw the frame
 * bytes are unspecified. No allocation (data already at offset 36 is not copied).
 */
export function encodeAtaFrame(buf: Uint8Array, frame: AtaFrame, offset = 0): number {
  const data = frame.data;
  const length = ATA_DATA_OFFSET + (data === undefined ? 0 : data.length);
  ensureWritable(buf, offset, padLength(length), 'ATA frame');
  encodePrefix(buf, offset, frame, Command.Ata);
  ataArg.encodeInto(frame.ata, buf, offset + AOE_ARG_OFFSET);
  if (data !== undefined && !(data.buffer === buf.buffer && data.byteOffset === buf.byteOffset + offset + ATA_DATA_OFFSET)) {
    buf.set(data, offset + ATA_DATA_OFFSET);
  }
  return finish(buf, offset, length);
}

/** Encodes a whole Query Config frame (AoEr11 §3.2); returns its padded length. */
export function encodeConfigFrame(buf: Uint8Array, frame: ConfigFrame, offset = 0): number {
  const length = AOE_ARG_OFFSET + configArg.encodingLength(frame.config);
  ensureWritable(buf, offset, padLength(length), 'Query Config frame');
  encodePrefix(buf, offset, frame, Command.QueryConfig);
  configArg.encodeInto(frame.config, buf, offset + AOE_ARG_OFFSET);
  return finish(buf, offset, length);
}

/** Encodes a whole Mac Mask List frame (AoEr11 §3.3); returns its padded length. */
export function encodeMaskFrame(buf: Uint8Array, frame: MaskFrame, offset = 0): number {
  const length = AOE_ARG_OFFSET + maskArg.encodingLength(frame.mask);
  ensureWritable(buf, offset, padLength(length), 'Mac Mask List frame');
  encodePrefix(buf, offset, frame, Command.MacMask);
  maskArg.encodeInto(frame.mask, buf, offset + AOE_ARG_OFFSET);
  return finish(buf, offset, length);
}

/** Encodes a whole Reserve/Release frame (AoEr11 §3.4); returns its padded length. */
export function encodeReserveFrame(buf: Uint8Array, frame: ReserveFrame, offset = 0): number {
  const length = AOE_ARG_OFFSET + reserveArg.encodingLength(frame.reserve);
  ensureWritable(buf, offset, padLength(length), 'Reserve/Release frame');
  encodePrefix(buf, offset, frame, Command.ReserveRelease);
  reserveArg.encodeInto(frame.reserve, buf, offset + AOE_ARG_OFFSET);
  return finish(buf, offset, length);
}

/** The fixed argument bytes per command (AoEr11 §3.1-3.4): ATA 12, Query Config 8, Mac Mask 4, Reserve/Release 2. */
const FIXED_ARG_LENGTH = [ATA_ARG_LENGTH, CONFIG_ARG_LENGTH, MASK_ARG_HEADER_LENGTH, RESERVE_ARG_HEADER_LENGTH];

/**
 * For an AoE error reply: copies the request's fixed argument (as much of it as the `length`-byte request holds,
 * the rest zero) after the reply's header. Vendor commands get no argument. Returns the reply length.
 */
export function echoFixedArgument(reply: Uint8Array, replyAt: number, request: Uint8Array, requestAt: number, length: number): number {
  const command = request[requestAt + ETHERNET_HEADER_LENGTH + 5]; // AoEr11 §2: the command byte
  const argLength = command < FIXED_ARG_LENGTH.length ? FIXED_ARG_LENGTH[command] : 0;
  const available = Math.min(argLength, length - AOE_ARG_OFFSET);
  for (let i = 0; i < argLength; i++) reply[replyAt + AOE_ARG_OFFSET + i] = i < available ? request[requestAt + AOE_ARG_OFFSET + i] : 0;
  return AOE_ARG_OFFSET + argLength;
}
