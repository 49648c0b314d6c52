// Whole-frame and cross-codec fuzzing: decodeFrame's "what decodes re-encodes", only WireErrors escape, named crashers.
import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  aoeHeader,
  ataArg,
  configArg,
  decodeFrame,
  encodeAtaFrame,
  encodeConfigFrame,
  encodeMaskFrame,
  encodeReserveFrame,
  ethernet,
  identifyPage,
  maskArg,
  reserveArg,
  WIRE_ERROR_CODES,
  WireError,
  type Codec,
  type DecodedFrame,
} from '../../src/wire/index.js';
import { fixturePath, fromHex, toHex } from '../helpers/bytes.js';
import { plain } from '../helpers/roundtrip.js';

/** Re-encodes a decoded frame with the public encoders; returns the bytes covered by the decode. */
function reencode(frame: DecodedFrame, input: Uint8Array, end: number): { bytes: Uint8Array; covered: number } {
  const buf = new Uint8Array(Math.max(60, end) + 16);
  const base = { destination: frame.ethernet.destination, source: frame.ethernet.source, header: frame.header };
  if (frame.ata) {
    const data = input.subarray(frame.dataOffset, end);
    return { bytes: buf.subarray(0, encodeAtaFrame(buf, { ...base, ata: frame.ata, data })), covered: end };
  }
  if (frame.config) encodeConfigFrame(buf, { ...base, config: frame.config });
  else if (frame.mask) encodeMaskFrame(buf, { ...base, mask: frame.mask });
  else if (frame.reserve) encodeReserveFrame(buf, { ...base, reserve: frame.reserve });
  else {
    ethernet.encodeInto(frame.ethernet, buf, 0);
    aoeHeader.encodeInto(frame.header, buf, 14);
  }
  return { bytes: buf, covered: frame.dataOffset };
}

/** Raise for a deeper hunt, e.g. AOEKIT_FUZZ_RUNS=200000 npx vitest run test/wire/fuzz.test.ts */
const FUZZ_RUNS = Number(process.env.AOEKIT_FUZZ_RUNS ?? 1500);
const FUZZ_TIMEOUT = FUZZ_RUNS > 5000 ? 600_000 : undefined;

const COMMANDS = [0, 1, 2, 3, 0xf0, 0x04, 0xff];
/** Frames that are AoE-shaped most of the time, with random arguments. */
const frames = fc
  .tuple(fc.uint8Array({ minLength: 0, maxLength: 120, size: 'max' }), fc.constantFrom(...COMMANDS), fc.integer({ min: 0, max: 9 }))
  .map(([bytes, command, mode]) => {
    if (mode > 0 && bytes.length >= 14) {
      bytes[12] = 0x88;
      bytes[13] = 0xa2;
    }
    if (mode > 1 && bytes.length >= 24) {
      bytes[14] = 0x10 | (bytes[14] & 0x0c);
      bytes[19] = command;
    }
    if (mode > 3 && bytes.length >= 36) {
      bytes[24] &= 0x53; // ATA: valid aflags and reserved bytes; mask: byte 24 reserved is bit 7 clear at least
      bytes[34] = bytes[35] = 0;
      if (command === 1) {
        bytes[30] = 0;
        bytes[31] = Math.min(bytes[31], bytes.length - 32);
        bytes[29] = (bytes[29] & 0xf0) | (bytes[29] % 5);
      }
      if (command === 2) {
        bytes[24] = 0;
        bytes[25] &= 1;
        bytes[27] = Math.min(bytes[27], Math.floor((bytes.length - 28) / 8));
        for (let at = 28; at < bytes.length; at += 8) bytes[at] = 0;
      }
      if (command === 3) {
        bytes[24] %= 3;
        bytes[25] = Math.min(bytes[25], Math.floor((bytes.length - 26) / 6));
      }
    }
    return bytes;
  });

describe('frame fuzz', () => {
  it(
    'property: decodeFrame throws only listed WireErrors, and what decodes re-encodes',
    () => {
      const seen = new Set<string>();
      fc.assert(
        fc.property(frames, (input) => {
          let frame: DecodedFrame;
          try {
            frame = decodeFrame(input);
          } catch (error) {
            expect(error).toBeInstanceOf(WireError);
            expect(WIRE_ERROR_CODES).toContain((error as WireError).code);
            seen.add((error as WireError).code);
            return;
          }
          seen.add(`ok:${frame.header.command}`);
          const { bytes, covered } = reencode(frame, input, input.length);
          expect(toHex(bytes.subarray(0, covered))).toBe(toHex(input.subarray(0, covered)));
          expect(frame.dataOffset + frame.dataLength).toBe(input.length);
        }),
        { numRuns: FUZZ_RUNS },
      );
      for (const expected of [
        'ok:0',
        'ok:1',
        'ok:2',
        'ok:3',
        'ok:240',
        'ERR_AOE_BAD_ETHERTYPE',
        'ERR_AOE_SHORT_FRAME',
        'ERR_AOE_BAD_COMMAND',
      ]) {
        expect(seen, `fuzz never reached ${expected}`).toContain(expected);
      }
    },
    FUZZ_TIMEOUT,
  );

  const codecs: Array<[string, Codec<unknown, any>]> = [
    ['ethernet', ethernet],
    ['aoeHeader', aoeHeader],
    ['ataArg', ataArg],
    ['configArg', configArg],
    ['maskArg', maskArg],
    ['reserveArg', reserveArg],
    ['identifyPage', identifyPage],
  ];

  it.each(codecs)(
    'property: %s.decode at any offset/end (even past the buffer) throws only WireErrors',
    (_name, codec) => {
      fc.assert(
        fc.property(fc.uint8Array({ maxLength: 600, size: 'max' }), fc.nat(), fc.nat({ max: 700 }), (bytes, offsetSeed, endSeed) => {
          const offset = bytes.length === 0 ? 0 : offsetSeed % (bytes.length + 1);
          try {
            codec.decode(bytes, offset, endSeed);
          } catch (error) {
            if (!(error instanceof WireError)) throw error;
            expect(WIRE_ERROR_CODES).toContain(error.code);
          }
        }),
        { numRuns: Math.ceil(FUZZ_RUNS / 7) },
      );
    },
    FUZZ_TIMEOUT,
  );
});

/**
 * Regression frames, one per tricky decode path (ordering of checks, vblade quirks). Any crasher
 * fast-check finds goes here too, with its name and the expected code (null = must decode).
 * So far none has been found (150k decodeFrame runs plus ~21k per codec with AOEKIT_FUZZ_RUNS=150000).
 */
interface Crasher {
  name: string;
  note: string;
  hex: string;
  code: string | null;
  /** For frames that decode: fields decodeFrame must return. */
  expect?: Record<string, unknown>;
}

describe('named regression frames (test/fixtures/wire-regressions.json)', () => {
  const crashers = JSON.parse(readFileSync(fixturePath('wire-regressions.json'), 'utf8')) as Crasher[];
  it.each(crashers.map((c) => [c.name, c] as const))('%s', (_name, c) => {
    const input = fromHex(c.hex);
    if (c.code === null) {
      const frame = decodeFrame(input);
      expect(frame.header.command).toBe(input[19]);
      if (c.expect) expect(plain(frame)).toMatchObject(c.expect);
      const { bytes, covered } = reencode(frame, input, input.length);
      expect(toHex(bytes.subarray(0, covered))).toBe(toHex(input.subarray(0, covered)));
    } else {
      let thrown: unknown;
      try {
        decodeFrame(input);
      } catch (error) {
        thrown = error;
      }
      expect(thrown).toBeInstanceOf(WireError);
      expect((thrown as WireError).code).toBe(c.code);
    }
  });
});
