// Tests for src/wire/mac.ts: 48-bit MACs on the wire and as text.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { formatMac, isValidMac, MAC_MAX, parseMac, readMac, writeMac } from '../../src/wire/index.js';
import { mac, RUNS } from '../helpers/arbitraries.js';
import { fromHex, toHex } from '../helpers/bytes.js';
import { expectWireError } from '../helpers/roundtrip.js';

const golden: Array<[string, number, string, string]> = [
  ['zero', 0, '000000000000', '00:00:00:00:00:00'],
  ['locally administered', 0x020000000001, '020000000001', '02:00:00:00:00:01'],
  ['qemu', 0x525400123456, '525400123456', '52:54:00:12:34:56'],
  ['high bit of low word', 0x0000ff000000, '0000ff000000', '00:00:ff:00:00:00'],
  ['high 16 bits only', 0xfedc00000000, 'fedc00000000', 'fe:dc:00:00:00:00'],
  ['broadcast', 0xffffffffffff, 'ffffffffffff', 'ff:ff:ff:ff:ff:ff'],
];

describe('mac', () => {
  it.each(golden)('%s: read/write/format/parse', (_description, value, hex, text) => {
    const buf = new Uint8Array(10).fill(0xee);
    writeMac(buf, 2, value);
    expect(toHex(buf)).toBe(`eeee${hex}eeee`);
    expect(readMac(fromHex(hex), 0)).toBe(value);
    expect(readMac(buf, 2)).toBe(value);
    expect(formatMac(value)).toBe(text);
    expect(parseMac(text)).toBe(value);
    expect(parseMac(text.toUpperCase())).toBe(value);
    expect(parseMac(text.replace(/:/g, '-'))).toBe(value);
    expect(parseMac(hex)).toBe(value);
  });

  it('MAC_MAX is the broadcast address and the largest valid MAC', () => {
    expect(MAC_MAX).toBe(2 ** 48 - 1);
    expect(isValidMac(MAC_MAX)).toBe(true);
    expect(isValidMac(MAC_MAX + 1)).toBe(false);
  });

  it.each([
    '',
    '02:00:00:00:00',
    '02:00:00:00:00:01:02',
    '02:00:00:00:00:0g',
    '02:00-00:00:00:01',
    '2:0:0:0:0:1',
    ' 02:00:00:00:00:01',
    '02:00:00:00:00:01 ',
    '0200000000011',
    '02.00.00.00.00.01',
    '0x020000000001',
  ])('parseMac(%j) throws ERR_AOE_BAD_MAC', (text) => {
    expectWireError(() => parseMac(text), 'ERR_AOE_BAD_MAC', undefined);
  });

  it.each([-1, 2 ** 48, 1.5, Number.NaN, Number.POSITIVE_INFINITY])('writeMac/formatMac(%s) throw ERR_AOE_BAD_MAC', (value) => {
    const buf = new Uint8Array(6);
    expectWireError(() => writeMac(buf, 0, value), 'ERR_AOE_BAD_MAC');
    expectWireError(() => formatMac(value), 'ERR_AOE_BAD_MAC');
    expect(toHex(buf)).toBe('000000000000');
  });

  it('property: write/read and format/parse round-trip every 48-bit value', () => {
    fc.assert(
      fc.property(mac, (value) => {
        const buf = new Uint8Array(6);
        writeMac(buf, 0, value);
        expect(readMac(buf, 0)).toBe(value);
        expect(parseMac(formatMac(value))).toBe(value);
        expect(formatMac(value)).toMatch(/^[0-9a-f]{2}(:[0-9a-f]{2}){5}$/);
      }),
      RUNS,
    );
  });

  it('property: any 6 bytes read back to the same bytes', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 6, maxLength: 6 }), (bytes) => {
        const out = new Uint8Array(6);
        writeMac(out, 0, readMac(bytes, 0));
        expect(toHex(out)).toBe(toHex(bytes));
      }),
      RUNS,
    );
  });
});
