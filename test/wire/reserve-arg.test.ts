// Tests for src/wire/reserve-arg.ts: golden Reserve/Release arguments (AoEr11 §3.4), properties.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { reserveArg, ReserveCommand, type ReserveArg } from '../../src/wire/index.js';
import { biasedBytes, reserveArg as reserveArbitrary, RUNS } from '../helpers/arbitraries.js';
import { assertDecodesReencode, checkRoundTrip, checkValueRoundTrip, expectWireError } from '../helpers/roundtrip.js';

const A = 0x020000000001;
const B = 0x020000000002;

// rcmd  nmacs  macs
const golden: Array<[string, ReserveArg, string]> = [
  ['read request', { command: ReserveCommand.Read, macs: [] }, '00 00'],
  ['read response: reserved for A', { command: ReserveCommand.Read, macs: [A] }, '00 01 020000000001'],
  ['set request: A and B', { command: ReserveCommand.Set, macs: [A, B] }, '01 02 020000000001 020000000002'],
  ['set request with no MACs: release', { command: ReserveCommand.Set, macs: [] }, '01 00'],
  ['force set request', { command: ReserveCommand.ForceSet, macs: [0x525400123456] }, '02 01 525400123456'],
  [
    'set refused (error 6 in the header): reply carries the current list',
    { command: ReserveCommand.Set, macs: [0x020000000009] },
    '01 01 020000000009',
  ],
];

describe('reserveArg', () => {
  it.each(golden)('golden: %s', (_description, value, hex) => {
    checkRoundTrip({
      codec: reserveArg,
      value,
      golden: hex,
      shortCode: 'ERR_AOE_SHORT_ARG',
      makeOut: () => ({ command: -1, macs: [1, 2, 3] }),
    });
  });

  it('decode ignores bytes after NMacs MACs', () => {
    expect(reserveArg.decode(Uint8Array.from([0, 1, 2, 0, 0, 0, 0, 1, 0xaa, 0xbb]), 0)).toEqual({ command: 0, macs: [A] });
  });

  it('encode validates before writing', () => {
    const buf = new Uint8Array(2 + 6 * 256);
    expectWireError(() => reserveArg.encodeInto({ command: 1, macs: Array(256).fill(A) }, buf, 0), 'ERR_AOE_FIELD_RANGE');
    expectWireError(() => reserveArg.encodeInto({ command: 256, macs: [] }, buf, 0), 'ERR_AOE_FIELD_RANGE');
    expectWireError(() => reserveArg.encodeInto({ command: 1, macs: [A, -1] }, buf, 0), 'ERR_AOE_BAD_MAC');
    expect(buf.every((b) => b === 0)).toBe(true);
    expect(reserveArg.encodeInto({ command: 1, macs: Array(255).fill(A) }, buf, 0)).toBe(2 + 6 * 255);
  });

  it('property: valid arguments round-trip', () => {
    fc.assert(
      fc.property(reserveArbitrary, (value) => void checkValueRoundTrip(reserveArg, value)),
      RUNS,
    );
  });

  it('property: what decodes re-encodes', () => {
    const bytes = biasedBytes((b) => {
      if (b.length < 2) return;
      b[0] %= 3;
      b[1] = Math.min(b[1], Math.floor((b.length - 2) / 6));
    }, 50);
    assertDecodesReencode(reserveArg, bytes);
  });
});
