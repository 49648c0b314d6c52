// Tests for src/wire/mask-arg.ts: golden Mac Mask List arguments (AoEr11 §3.3), properties.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { DirectiveCommand, maskArg, MaskCommand, MaskError, type MaskArg } from '../../src/wire/index.js';
import { biasedBytes, maskArg as maskArbitrary, RUNS } from '../helpers/arbitraries.js';
import { assertDecodesReencode, checkRoundTrip, checkValueRoundTrip, expectWireError } from '../helpers/roundtrip.js';

const A = 0x020000000001;
const B = 0x020000000002;
const Q = 0x525400123456;

// reserved  mcmd  merror  count  | directives: reserved dcmd mac
const golden: Array<[string, MaskArg, string]> = [
  ['read request', { command: MaskCommand.Read, error: 0, directives: [] }, '00 00 00 00'],
  [
    'read response with two entries',
    {
      command: MaskCommand.Read,
      error: 0,
      directives: [
        { command: 0, mac: A },
        { command: 0, mac: B },
      ],
    },
    '00 00 00 02  00 00 020000000001  00 00 020000000002',
  ],
  [
    'edit request: add Q, delete A',
    {
      command: MaskCommand.Edit,
      error: 0,
      directives: [
        { command: DirectiveCommand.Add, mac: Q },
        { command: DirectiveCommand.Delete, mac: A },
      ],
    },
    '00 01 00 02  00 01 525400123456  00 02 020000000001',
  ],
  [
    'edit response: the list after the edit',
    { command: MaskCommand.Edit, error: 0, directives: [{ command: 0, mac: Q }] },
    '00 01 00 01  00 00 525400123456',
  ],
  [
    'edit request with an unknown DCmd 7 (decodes: the target answers MError 2)',
    { command: MaskCommand.Edit, error: 0, directives: [{ command: 7, mac: A }] },
    '00 01 00 01  00 07 020000000001',
  ],
  [
    'error reply MError 1 (unspecified) at directive 0',
    { command: MaskCommand.Edit, error: MaskError.Unspecified, directives: [], errorIndex: 0 },
    '00 01 01 00',
  ],
  [
    'error reply MError 2 (bad directive) at directive 1',
    { command: MaskCommand.Edit, error: MaskError.BadDirective, directives: [], errorIndex: 1 },
    '00 01 02 01',
  ],
  [
    'error reply MError 3 (list full) at directive 3',
    { command: MaskCommand.Edit, error: MaskError.ListFull, directives: [], errorIndex: 3 },
    '00 01 03 03',
  ],
];

const makeOut = (): MaskArg => ({
  command: -1,
  error: 9,
  errorIndex: 9,
  directives: [
    { command: 9, mac: 9 },
    { command: 9, mac: 9 },
    { command: 9, mac: 9 },
  ],
});

describe('maskArg', () => {
  it.each(golden)('golden: %s', (_description, value, hex) => {
    checkRoundTrip({ codec: maskArg, value, golden: hex, shortCode: 'ERR_AOE_SHORT_ARG', makeOut });
  });

  it('an error reply ignores trailing directive bytes (vblade pads, or echoes the request)', () => {
    const bytes = Uint8Array.from([0, 1, 2, 1, 0, 1, 2, 0, 0, 0, 0, 1, 0x55, 0x55]);
    expect(maskArg.decode(bytes, 0)).toEqual({ command: 1, error: 2, directives: [], errorIndex: 1 });
  });

  it('encoding an error reply ignores directives and writes errorIndex (default 0)', () => {
    const buf = new Uint8Array(4);
    expect(maskArg.encodeInto({ command: 1, error: 2, directives: [{ command: 1, mac: A }] }, buf, 0)).toBe(4);
    expect(Array.from(buf)).toEqual([0, 1, 2, 0]);
  });

  it('decode into out reuses directive objects and trims the array', () => {
    const out = makeOut();
    const first = out.directives[0];
    maskArg.decode(Uint8Array.from([0, 0, 0, 1, 0, 0, 2, 0, 0, 0, 0, 1]), 0, 12, out);
    expect(out.directives).toHaveLength(1);
    expect(out.directives[0]).toBe(first);
    expect(out).toEqual({ command: 0, error: 0, directives: [{ command: 0, mac: A }] });
    expect('errorIndex' in out).toBe(false);
  });

  it('encode validates counts, fields and MACs before writing', () => {
    const buf = new Uint8Array(4 + 8 * 256);
    const many = Array.from({ length: 256 }, () => ({ command: 1, mac: A }));
    expectWireError(() => maskArg.encodeInto({ command: 1, error: 0, directives: many }, buf, 0), 'ERR_AOE_FIELD_RANGE');
    expectWireError(() => maskArg.encodeInto({ command: 1, error: 2, directives: [], errorIndex: 256 }, buf, 0), 'ERR_AOE_FIELD_RANGE');
    expectWireError(() => maskArg.encodeInto({ command: 256, error: 0, directives: [] }, buf, 0), 'ERR_AOE_FIELD_RANGE');
    expectWireError(() => maskArg.encodeInto({ command: 0, error: 256, directives: [] }, buf, 0), 'ERR_AOE_FIELD_RANGE');
    expectWireError(
      () => maskArg.encodeInto({ command: 1, error: 0, directives: [{ command: 256, mac: A }] }, buf, 0),
      'ERR_AOE_FIELD_RANGE',
    );
    expectWireError(
      () =>
        maskArg.encodeInto(
          {
            command: 1,
            error: 0,
            directives: [
              { command: 1, mac: A },
              { command: 1, mac: 2 ** 48 },
            ],
          },
          buf,
          0,
        ),
      'ERR_AOE_BAD_MAC',
    );
    expect(buf.every((b) => b === 0)).toBe(true);
    expect(maskArg.encodeInto({ command: 1, error: 0, directives: many.slice(1) }, buf, 0)).toBe(4 + 8 * 255);
  });

  it('property: valid arguments round-trip', () => {
    fc.assert(
      fc.property(maskArbitrary, (value) => void checkValueRoundTrip(maskArg, value)),
      RUNS,
    );
  });

  it('property: what decodes re-encodes', () => {
    const bytes = biasedBytes((b) => {
      if (b.length < 4) return;
      b[0] = 0;
      b[1] &= 1;
      if (b[2] & 1) b[2] = 0;
      b[3] = Math.min(b[3], Math.floor((b.length - 4) / 8));
      for (let at = 4; at < b.length; at += 8) b[at] = 0;
    }, 60);
    assertDecodesReencode(maskArg, bytes);
  });
});
