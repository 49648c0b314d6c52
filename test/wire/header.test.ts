// Tests for src/wire/header.ts: golden AoE headers (AoEr11 §2), round trips, properties.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { aoeHeader, isKnownCommand, type AoeHeader } from '../../src/wire/index.js';
import { aoeHeader as headerArbitrary, biasedBytes, RUNS } from '../helpers/arbitraries.js';
import { assertDecodesReencode, checkRoundTrip, checkValueRoundTrip, expectWireError } from '../helpers/roundtrip.js';

const header = (fields: Partial<AoeHeader>): AoeHeader => ({
  version: 1,
  flags: 0,
  error: 0,
  shelf: 0,
  slot: 0,
  command: 0,
  tag: 0,
  ...fields,
});

// ver|flags  error  shelf  slot  cmd  tag
const golden: Array<[string, AoeHeader, string]> = [
  ['ATA request to e1.2', header({ shelf: 1, slot: 2, tag: 0xabcd }), '10 00 0001 02 00 0000abcd'],
  [
    'broadcast Query Config (shelf 0xFFFF, slot 0xFF)',
    header({ shelf: 0xffff, slot: 0xff, command: 1, tag: 0x12345678 }),
    '10 00 ffff ff 01 12345678',
  ],
  ['Query Config response, max tag', header({ flags: 0x8, shelf: 7, slot: 3, command: 1, tag: 0xffffffff }), '18 00 0007 03 01 ffffffff'],
  [
    'response + error: UnrecognizedCommand for vendor command 0xF0',
    header({ flags: 0xc, error: 1, shelf: 7, slot: 3, command: 0xf0, tag: 0xdeadbeef }),
    '1c 01 0007 03 f0 deadbeef',
  ],
  [
    'Reserve/Release reply with error 6 (target reserved)',
    header({ flags: 0xc, error: 6, shelf: 1, command: 3, tag: 1 }),
    '1c 06 0001 00 03 00000001',
  ],
  [
    'Mac Mask List request, tag with the high bit set',
    header({ command: 2, shelf: 0x1234, slot: 0x56, tag: 0x80000000 }),
    '10 00 1234 56 02 80000000',
  ],
  ['vendor command 0xFF', header({ command: 0xff }), '10 00 0000 00 ff 00000000'],
  ['E flag without R (a request never does this, but it is carried)', header({ flags: 0x4, error: 2 }), '14 02 0000 00 00 00000000'],
];

const makeOut = (): AoeHeader => header({ version: -1, tag: -1 });

describe('aoeHeader', () => {
  it.each(golden)('golden: %s', (_description, value, hex) => {
    checkRoundTrip({ codec: aoeHeader, value, golden: hex, shortCode: 'ERR_AOE_SHORT_FRAME', makeOut });
  });

  it('isKnownCommand: 0..3 and 0xF0..0xFF', () => {
    const known = Array.from({ length: 256 }, (_, i) => i).filter(isKnownCommand);
    expect(known).toEqual([0, 1, 2, 3, ...Array.from({ length: 16 }, (_, i) => 0xf0 + i)]);
  });

  it('out is untouched when decode throws', () => {
    const out = makeOut();
    const before = { ...out };
    expectWireError(() => aoeHeader.decode(Uint8Array.from([0x20, 0, 0, 1, 2, 0, 0, 0, 0, 1]), 0, 10, out), 'ERR_AOE_BAD_VERSION');
    expect(out).toEqual(before);
  });

  it('encode validates every field and the reserved flag bits', () => {
    const buf = new Uint8Array(10);
    const cases: Array<[Partial<AoeHeader>, string]> = [
      [{ flags: 0x1 }, 'ERR_AOE_RESERVED'],
      [{ flags: 0x2 }, 'ERR_AOE_RESERVED'],
      [{ flags: 0x10 }, 'ERR_AOE_FIELD_RANGE'],
      [{ version: 16 }, 'ERR_AOE_FIELD_RANGE'],
      [{ error: 256 }, 'ERR_AOE_FIELD_RANGE'],
      [{ shelf: 0x10000 }, 'ERR_AOE_FIELD_RANGE'],
      [{ shelf: -1 }, 'ERR_AOE_FIELD_RANGE'],
      [{ slot: 256 }, 'ERR_AOE_FIELD_RANGE'],
      [{ command: 256 }, 'ERR_AOE_FIELD_RANGE'],
      [{ tag: 2 ** 32 }, 'ERR_AOE_FIELD_RANGE'],
      [{ tag: 1.5 }, 'ERR_AOE_FIELD_RANGE'],
    ];
    for (const [fields, code] of cases) expectWireError(() => aoeHeader.encodeInto(header(fields), buf, 0), code);
    expect(buf.every((b) => b === 0)).toBe(true);
  });

  it('encode accepts values decode rejects (version 2, command 4) so tests can craft them', () => {
    const buf = new Uint8Array(10);
    aoeHeader.encodeInto(header({ version: 2, command: 4 }), buf, 0);
    expect(buf[0]).toBe(0x20);
    expect(buf[5]).toBe(4);
  });

  it('property: valid headers round-trip', () => {
    fc.assert(
      fc.property(headerArbitrary, (value) => void checkValueRoundTrip(aoeHeader, value)),
      RUNS,
    );
  });

  it('property: what decodes re-encodes', () => {
    const bytes = biasedBytes((b) => {
      if (b.length > 0) b[0] = 0x10 | (b[0] & 0xc);
      if (b.length > 5 && b[5] > 3 && b[5] < 0xf0) b[5] &= 3;
    }, 16);
    assertDecodesReencode(aoeHeader, bytes);
  });
});
