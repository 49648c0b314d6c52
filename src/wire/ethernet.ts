// Ethernet II header codec: destination MAC, source MAC, EtherType (frame offset 0).
import type { Codec } from './codec.js';
import { ETHERNET_HEADER_LENGTH } from './constants.js';
import { checkField, ensureReadable, ensureWritable, WireErrorCode } from './errors.js';
import { checkMac, readMac, writeMac } from './mac.js';

/*
 * Ethernet II header (IEEE 802.3 §3.2.6 type interpretation; AoEr11 §2 uses EtherType 0x88A2).
 *
 *  byte  0                 6                 12        14
 *       +-----------------+-----------------+---------+
 *       | destination MAC | source MAC      | type    |
 *       +-----------------+-----------------+---------+
 *          6 bytes           6 bytes          2 bytes (big-endian)
 *
 * ETHERNET_HEADER_LENGTH = 6 + 6 + 2 (constants.ts). The codec is generic: it does not insist on
 * 0x88A2 (frame.ts does, with ERR_AOE_BAD_ETHERTYPE), so it can describe any frame on the link.
 */

export interface EthernetHeader {
  /** 48-bit MAC as a number (see mac.ts). */
  destination: number;
  source: number;
  /** 16-bit EtherType, 0x88A2 for AoE. */
  etherType: number;
}

const DESTINATION = 0;
const SOURCE = DESTINATION + 6;
const ETHER_TYPE = SOURCE + 6;

export const ethernet: Codec<EthernetHeader> = {
  encodingLength(_value: EthernetHeader): number {
    return ETHERNET_HEADER_LENGTH;
  },

  /** Throws ERR_AOE_BAD_MAC for MACs outside 48 bits, ERR_AOE_FIELD_RANGE for a type above 0xFFFF. */
  encodeInto(value: EthernetHeader, buf: Uint8Array, offset: number): number {
    ensureWritable(buf, offset, ETHERNET_HEADER_LENGTH, 'Ethernet header');
    checkField(value.etherType, 0xffff, 'etherType');
    checkMac(value.destination, 'destination');
    checkMac(value.source, 'source');
    writeMac(buf, offset + DESTINATION, value.destination);
    writeMac(buf, offset + SOURCE, value.source);
    buf[offset + ETHER_TYPE] = value.etherType >>> 8;
    buf[offset + ETHER_TYPE + 1] = value.etherType & 0xff;
    return ETHERNET_HEADER_LENGTH;
  },

  /** Short input → ERR_AOE_SHORT_FRAME (drop). Allocates nothing when `out` is given. */
  decode(buf: Uint8Array, offset = 0, end: number = buf.length, out?: EthernetHeader): EthernetHeader {
    ensureReadable(buf, offset, end, ETHERNET_HEADER_LENGTH, WireErrorCode.ShortFrame, 'Ethernet header');
    const destination = readMac(buf, offset + DESTINATION);
    const source = readMac(buf, offset + SOURCE);
    const etherType = (buf[offset + ETHER_TYPE] << 8) | buf[offset + ETHER_TYPE + 1];
    if (out === undefined) return { destination, source, etherType };
    out.destination = destination;
    out.source = source;
    out.etherType = etherType;
    return out;
  },
};
