// Tests for src/wire/config-arg.ts: golden Query Config arguments (AoEr11 §3.2), properties.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { configArg, ConfigCommand, type ConfigArg } from '../../src/wire/index.js';
import { biasedBytes, configArg as configArbitrary } from '../helpers/arbitraries.js';
import { ascii, toHex } from '../helpers/bytes.js';
import { assertDecodesReencode, checkRoundTrip, checkValueRoundTrip, expectWireError } from '../helpers/roundtrip.js';

const config = (fields: Partial<ConfigArg>): ConfigArg => ({
  bufferCount: 0,
  firmwareVersion: 0,
  sectorCount: 0,
  aoeVersion: 0,
  command: 0,
  configString: new Uint8Array(0),
  ...fields,
});

// bufcnt  firmware  scnt  ver|ccmd  strlen  string
const golden: Array<[string, ConfigArg, string]> = [
  ['read request as the Linux initiator sends it (all zero)', config({}), '0000 0000 00 00 0000'],
  [
    'read response: 16 buffers, firmware 0x4019, 2 sectors, v1, "vol1"',
    config({ bufferCount: 16, firmwareVersion: 0x4019, sectorCount: 2, aoeVersion: 1, configString: ascii('vol1') }),
    '0010 4019 02 10 0004 766f6c31',
  ],
  [
    'test request: exact match "vol1"',
    config({ command: ConfigCommand.Test, configString: ascii('vol1') }),
    '0000 0000 00 01 0004 766f6c31',
  ],
  [
    'test prefix request "vo" (v1)',
    config({ aoeVersion: 1, command: ConfigCommand.TestPrefix, configString: ascii('vo') }),
    '0000 0000 00 12 0002 766f',
  ],
  [
    'set request "host=a"',
    config({ aoeVersion: 1, command: ConfigCommand.Set, configString: ascii('host=a') }),
    '0000 0000 00 13 0006 686f73743d61',
  ],
  [
    'force set request "x"',
    config({ aoeVersion: 1, command: ConfigCommand.ForceSet, configString: ascii('x') }),
    '0000 0000 00 14 0001 78',
  ],
  [
    'set refused (error 4 in the header): reply carries the current string, 17 sectors',
    config({
      bufferCount: 16,
      firmwareVersion: 0x4019,
      sectorCount: 17,
      aoeVersion: 1,
      command: ConfigCommand.Set,
      configString: ascii('vol1'),
    }),
    '0010 4019 11 13 0004 766f6c31',
  ],
  [
    'max fields, empty string',
    config({ bufferCount: 0xffff, firmwareVersion: 0xffff, sectorCount: 0xff, aoeVersion: 0xf }),
    'ffff ffff ff f0 0000',
  ],
];

const makeOut = (): ConfigArg => config({ bufferCount: -1 });

describe('configArg', () => {
  it.each(golden)('golden: %s', (_description, value, hex) => {
    checkRoundTrip({ codec: configArg, value, golden: hex, shortCode: 'ERR_AOE_SHORT_ARG', makeOut });
  });

  it('golden: 1024-byte string (the maximum)', () => {
    const configString = new Uint8Array(1024).fill(0x61);
    const value = config({ aoeVersion: 1, command: ConfigCommand.ForceSet, configString });
    checkRoundTrip({ codec: configArg, value, golden: `0000 0000 00 14 0400${'61'.repeat(1024)}`, shortCode: 'ERR_AOE_SHORT_ARG' });
  });

  it('configString is a view into the frame, not a copy', () => {
    const frame = Uint8Array.from([0, 0, 0, 0, 0, 0x10, 0, 2, 0x41, 0x42, 0xff]);
    const decoded = configArg.decode(frame, 0);
    expect(decoded.configString.buffer).toBe(frame.buffer);
    frame[8] = 0x5a;
    expect(toHex(decoded.configString)).toBe('5a42');
  });

  it('encoding a reply in place (string already in the buffer) keeps the bytes', () => {
    const frame = Uint8Array.from([0, 0, 0, 0, 0, 0, 0, 3, 0x61, 0x62, 0x63]);
    const decoded = configArg.decode(frame, 0);
    const written = configArg.encodeInto({ ...decoded, bufferCount: 16, aoeVersion: 1 }, frame, 0);
    expect(written).toBe(11);
    expect(toHex(frame)).toBe('0010000000100003616263');
  });

  it('encode validates lengths and fields', () => {
    const buf = new Uint8Array(1100);
    expectWireError(() => configArg.encodeInto(config({ configString: new Uint8Array(1025) }), buf, 0), 'ERR_AOE_CONFIG_TOO_LONG');
    const cases: Array<[Partial<ConfigArg>, string]> = [
      [{ bufferCount: 0x10000 }, 'ERR_AOE_FIELD_RANGE'],
      [{ firmwareVersion: -1 }, 'ERR_AOE_FIELD_RANGE'],
      [{ sectorCount: 256 }, 'ERR_AOE_FIELD_RANGE'],
      [{ aoeVersion: 16 }, 'ERR_AOE_FIELD_RANGE'],
      [{ command: 16 }, 'ERR_AOE_FIELD_RANGE'],
    ];
    for (const [fields, code] of cases) expectWireError(() => configArg.encodeInto(config(fields), buf, 0), code);
    expect(buf.every((b) => b === 0)).toBe(true);
  });

  it('property: valid arguments round-trip', () => {
    fc.assert(
      fc.property(configArbitrary, (value) => void checkValueRoundTrip(configArg, value)),
      { numRuns: 150 },
    );
  });

  it('property: what decodes re-encodes', () => {
    const bytes = biasedBytes((b) => {
      if (b.length > 5) b[5] = (b[5] & 0xf0) | (b[5] % 5);
      if (b.length > 7) {
        b[6] = 0;
        b[7] = Math.min(b[7], b.length - 8);
      }
    }, 48);
    assertDecodesReencode(configArg, bytes);
  });
});
