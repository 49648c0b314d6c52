// Tests for src/wire/ethernet.ts: golden Ethernet II headers, round trips, properties.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ethernet, type EthernetHeader } from '../../src/wire/index.js';
import { ethernetHeader, RUNS } from '../helpers/arbitraries.js';
import { assertDecodesReencode, checkRoundTrip, checkValueRoundTrip, expectWireError } from '../helpers/roundtrip.js';

const golden: Array<[string, EthernetHeader, string]> = [
  [
    'broadcast Query Config from a qemu NIC',
    { destination: 0xffffffffffff, source: 0x525400123456, etherType: 0x88a2 },
    'ffffffffffff 525400123456 88a2',
  ],
  [
    'unicast reply from a target',
    { destination: 0x525400123456, source: 0x020000000001, etherType: 0x88a2 },
    '525400123456 020000000001 88a2',
  ],
  [
    'high MAC bits, IPv4 type (codec is generic)',
    { destination: 0xfedcba987654, source: 0, etherType: 0x0800 },
    'fedcba987654 000000000000 0800',
  ],
];

const makeOut = (): EthernetHeader => ({ destination: -1, source: -1, etherType: -1 });

describe('ethernet', () => {
  it.each(golden)('golden: %s', (_description, value, hex) => {
    checkRoundTrip({ codec: ethernet, value, golden: hex, shortCode: 'ERR_AOE_SHORT_FRAME', makeOut });
  });

  it('encode rejects bad MACs and EtherTypes without writing', () => {
    const buf = new Uint8Array(14);
    expectWireError(() => ethernet.encodeInto({ destination: 2 ** 48, source: 0, etherType: 0x88a2 }, buf, 0), 'ERR_AOE_BAD_MAC');
    expectWireError(() => ethernet.encodeInto({ destination: 1, source: -1, etherType: 0x88a2 }, buf, 0), 'ERR_AOE_BAD_MAC');
    expectWireError(() => ethernet.encodeInto({ destination: 1, source: 2, etherType: 0x10000 }, buf, 0), 'ERR_AOE_FIELD_RANGE');
    expect(buf.every((b) => b === 0)).toBe(true);
  });

  it('property: valid headers round-trip', () => {
    fc.assert(
      fc.property(ethernetHeader, (value) => void checkValueRoundTrip(ethernet, value)),
      RUNS,
    );
  });

  it('property: what decodes re-encodes', () => {
    assertDecodesReencode(ethernet, fc.uint8Array({ maxLength: 20, size: 'max' }));
  });
});
