// 48-bit MAC addresses as plain numbers: wire read/write, text format and parse.
import { MAC_LENGTH } from './constants.js';
import { WireError, WireErrorCode } from './errors.js';

/** The largest 48-bit MAC, ff:ff:ff:ff:ff:ff (also the broadcast address). */
export const MAC_MAX = 0xffffffffffff;
const TWO_POW_32 = 0x100000000;

/** True when `mac` is an integer in [0, 2^48 - 1]. */
export function isValidMac(mac: number): boolean {
  return Number.isInteger(mac) && mac >= 0 && mac <= MAC_MAX;
}

/** Throws WireError ERR_AOE_BAD_MAC unless `mac` is a 48-bit integer. */
export function checkMac(mac: number, field = 'MAC'): void {
  if (!isValidMac(mac)) throw new WireError(WireErrorCode.BadMac, `${field} must be an integer in [0, 2^48 - 1], got ${mac}`);
}

/**
 * Reads 6 big-endian bytes as a number: high 16 bits * 2^32 + low 32 bits (no BigInt).
 * The caller bounds-checks (every codec does so before calling); no allocation.
 */
export function readMac(buf: Uint8Array, offset: number): number {
  const high = (buf[offset] << 8) | buf[offset + 1];
  const low = ((buf[offset + 2] << 24) | (buf[offset + 3] << 16) | (buf[offset + 4] << 8) | buf[offset + 5]) >>> 0;
  return high * TWO_POW_32 + low;
}

/** Writes `mac` as 6 big-endian bytes. Throws WireError ERR_AOE_BAD_MAC when it is not 48-bit. */
export function writeMac(buf: Uint8Array, offset: number, mac: number): void {
  checkMac(mac);
  const low = mac >>> 0; // ToUint32 is exact modulo 2^32 for integers below 2^53
  const high = (mac - low) / TWO_POW_32;
  buf[offset] = high >>> 8;
  buf[offset + 1] = high & 0xff;
  buf[offset + 2] = low >>> 24;
  buf[offset + 3] = (low >>> 16) & 0xff;
  buf[offset + 4] = (low >>> 8) & 0xff;
  buf[offset + 5] = low & 0xff;
}

/** '02:00:00:00:00:01' (lowercase hex, colon separated). Throws ERR_AOE_BAD_MAC when not 48-bit. */
export function formatMac(mac: number): string {
  checkMac(mac);
  const hex = mac.toString(16).padStart(MAC_LENGTH * 2, '0');
  let text = hex.slice(0, 2);
  for (let i = 2; i < hex.length; i += 2) text += `:${hex.slice(i, i + 2)}`;
  return text;
}

const SEPARATED = /^[0-9a-f]{2}([:-])[0-9a-f]{2}(?:\1[0-9a-f]{2}){4}$/i;
const BARE = /^[0-9a-f]{12}$/i;

/**
 * Parses '02:00:00:00:00:01', '02-00-00-00-00-01' or '020000000001' (any case; one separator
 * style per address). Anything else throws WireError ERR_AOE_BAD_MAC.
 */
export function parseMac(text: string): number {
  if (typeof text !== 'string' || !(SEPARATED.test(text) || BARE.test(text))) {
    throw new WireError(WireErrorCode.BadMac, `not a MAC address: ${JSON.stringify(text)}`);
  }
  const hex = text.length === 12 ? text : text.replace(/[:-]/g, '');
  return parseInt(hex.slice(0, 4), 16) * TWO_POW_32 + parseInt(hex.slice(4), 16);
}
