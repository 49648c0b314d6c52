// Tests for src/wire/ata-arg.ts: golden ATA arguments (AoEr11 §3.1), effectiveLba, properties.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ataArg, AtaCommand, AtaErrorBit, AtaFlag, AtaStatus, effectiveLba, type AtaArg } from '../../src/wire/index.js';
import { ataArg as ataArbitrary, biasedBytes, RUNS } from '../helpers/arbitraries.js';
import { assertDecodesReencode, checkRoundTrip, checkValueRoundTrip, expectWireError } from '../helpers/roundtrip.js';

const ata = (fields: Partial<AtaArg>): AtaArg => ({ flags: 0, errorFeature: 0, sectorCount: 0, commandStatus: 0, lba: 0, ...fields });
const { Extended, Write, Async, Device } = AtaFlag;
const ERR_DRDY = AtaStatus.Ready | AtaStatus.Error; // 0x41

// aflags  err/feature  count  cmd/status  lba0..lba5 (LE)  reserved
const golden: Array<[string, AtaArg, string]> = [
  [
    'READ SECTORS EXT request, 2 sectors at 0x12345678',
    ata({ flags: Extended, sectorCount: 2, commandStatus: AtaCommand.ReadSectorsExt, lba: 0x12345678 }),
    '40 00 02 24 785634120000 0000',
  ],
  [
    'READ SECTORS EXT response, DRDY',
    ata({ flags: Extended, sectorCount: 2, commandStatus: AtaStatus.Ready, lba: 0x12345678 }),
    '40 00 02 40 785634120000 0000',
  ],
  [
    'WRITE SECTORS (LBA28) with device register 0xE0 in LBA byte 3',
    ata({ flags: Write, sectorCount: 1, commandStatus: AtaCommand.WriteSectors, lba: 0xe0000010 }),
    '01 00 01 30 100000e00000 0000',
  ],
  [
    'WRITE SECTORS EXT above 2^32',
    ata({ flags: Extended | Write, sectorCount: 2, commandStatus: AtaCommand.WriteSectorsExt, lba: 2 ** 32 }),
    '41 00 02 34 000000000100 0000',
  ],
  [
    'async WRITE EXT with every valid flag (E|D|A|W = 0x53)',
    ata({ flags: Extended | Device | Async | Write, sectorCount: 2, commandStatus: 0x34, lba: 1 }),
    '53 00 02 34 010000000000 0000',
  ],
  ['IDENTIFY DEVICE request', ata({ sectorCount: 1, commandStatus: AtaCommand.Identify }), '00 00 01 ec 000000000000 0000'],
  ['IDENTIFY DEVICE response, DRDY', ata({ sectorCount: 1, commandStatus: AtaStatus.Ready }), '00 00 01 40 000000000000 0000'],
  ['FLUSH CACHE request', ata({ commandStatus: AtaCommand.FlushCache }), '00 00 00 e7 000000000000 0000'],
  ['FLUSH CACHE EXT request', ata({ flags: Extended, commandStatus: AtaCommand.FlushCacheExt }), '40 00 00 ea 000000000000 0000'],
  [
    'CHECK POWER MODE response: count 0xFF = active',
    ata({ sectorCount: 0xff, commandStatus: AtaStatus.Ready }),
    '00 00 ff 40 000000000000 0000',
  ],
  [
    'error reply: ABRT for an unknown command',
    ata({ errorFeature: AtaErrorBit.Abort, commandStatus: ERR_DRDY }),
    '00 04 00 41 000000000000 0000',
  ],
  [
    'error reply: IDNF for an LBA past the end',
    ata({ flags: Extended, errorFeature: AtaErrorBit.IdNotFound, sectorCount: 2, commandStatus: ERR_DRDY, lba: 0x01000000 }),
    '40 10 02 41 000000010000 0000',
  ],
  [
    'largest LBA, 255 sectors',
    ata({ flags: Extended, sectorCount: 255, commandStatus: 0x24, lba: 2 ** 48 - 1 }),
    '40 00 ff 24 ffffffffffff 0000',
  ],
];

const makeOut = (): AtaArg => ata({ lba: -1 });

describe('ataArg', () => {
  it.each(golden)('golden: %s', (_description, value, hex) => {
    checkRoundTrip({ codec: ataArg, value, golden: hex, shortCode: 'ERR_AOE_SHORT_ARG', makeOut });
  });

  it('effectiveLba masks to 28 bits only when E is clear', () => {
    expect(effectiveLba(ata({ lba: 0xe0000010 }))).toBe(0x10);
    expect(effectiveLba(ata({ lba: 0xe0000010, flags: Extended }))).toBe(0xe0000010);
    expect(effectiveLba(ata({ lba: 0x0fffffff }))).toBe(0x0fffffff);
    expect(effectiveLba(ata({ lba: 2 ** 48 - 1 }))).toBe(0x0fffffff);
    expect(effectiveLba(ata({ lba: 2 ** 48 - 1, flags: Extended | Write }))).toBe(2 ** 48 - 1);
    expect(effectiveLba(ata({ lba: 0x123456789a, flags: Write }))).toBe(0x3456789a & 0x0fffffff);
  });

  it('encode validates fields and reserved aflags bits', () => {
    const buf = new Uint8Array(12);
    const cases: Array<[Partial<AtaArg>, string]> = [
      [{ flags: 0x80 }, 'ERR_AOE_RESERVED'],
      [{ flags: 0x04 }, 'ERR_AOE_RESERVED'],
      [{ flags: 0x100 }, 'ERR_AOE_FIELD_RANGE'],
      [{ errorFeature: 256 }, 'ERR_AOE_FIELD_RANGE'],
      [{ sectorCount: 256 }, 'ERR_AOE_FIELD_RANGE'],
      [{ sectorCount: -1 }, 'ERR_AOE_FIELD_RANGE'],
      [{ commandStatus: 256 }, 'ERR_AOE_FIELD_RANGE'],
      [{ lba: 2 ** 48 }, 'ERR_AOE_FIELD_RANGE'],
      [{ lba: 0.5 }, 'ERR_AOE_FIELD_RANGE'],
    ];
    for (const [fields, code] of cases) expectWireError(() => ataArg.encodeInto(ata(fields), buf, 0), code);
    expect(buf.every((b) => b === 0)).toBe(true);
  });

  it('property: valid arguments round-trip', () => {
    fc.assert(
      fc.property(ataArbitrary, (value) => void checkValueRoundTrip(ataArg, value)),
      RUNS,
    );
  });

  it('property: what decodes re-encodes', () => {
    const bytes = biasedBytes((b) => {
      if (b.length > 0) b[0] &= 0x53;
      if (b.length > 11) b[10] = b[11] = 0;
    }, 16);
    assertDecodesReencode(ataArg, bytes);
  });
});
