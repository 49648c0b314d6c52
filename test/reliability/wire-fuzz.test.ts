// Scenario 6 (codecs): the target fuzzer's edge-case and mutated frames through decodeFrame: only listed WireErrors, and what decodes re-encodes.
import { describe, expect, it } from 'vitest';
import { recordFigures } from '../../tools/reliability/figures.js';
import { FrameFuzzer } from '../../tools/reliability/fuzz-frames.js';
import {
  aoeHeader,
  decodeFrame,
  encodeAtaFrame,
  encodeConfigFrame,
  encodeMaskFrame,
  encodeReserveFrame,
  ethernet,
  WIRE_ERROR_CODES,
  WireError,
  type DecodedFrame,
} from '../../src/wire/index.js';

const FRAMES = Number(process.env.AOEKIT_WIRE_FUZZ_FRAMES ?? 200_000);

/** Re-encode a decoded frame; returns the bytes and how many of them must equal the input. */
function reencode(frame: DecodedFrame, input: Uint8Array, end: number): { bytes: Uint8Array; covered: number } {
  const buf = new Uint8Array(Math.max(60, end) + 16);
  const base = { destination: frame.ethernet.destination, source: frame.ethernet.source, header: frame.header };
  if (frame.ata)
    return {
      bytes: buf.subarray(0, encodeAtaFrame(buf, { ...base, ata: frame.ata, data: input.subarray(frame.dataOffset, end) })),
      covered: end,
    };
  if (frame.config) encodeConfigFrame(buf, { ...base, config: frame.config });
  else if (frame.mask) encodeMaskFrame(buf, { ...base, mask: frame.mask });
  else if (frame.reserve) encodeReserveFrame(buf, { ...base, reserve: frame.reserve });
  else {
    ethernet.encodeInto(frame.ethernet, buf, 0);
    aoeHeader.encodeInto(frame.header, buf, 14);
  }
  return { bytes: buf, covered: frame.dataOffset };
}

describe('wire codecs under the target fuzzer', () => {
  it(`${FRAMES} fuzz frames: decode throws only listed WireErrors, and what decodes re-encodes byte for byte`, () => {
    const fuzzer = new FrameFuzzer(
      { targetMac: 0x02f0000000aa, sources: [0x02f000000001], exports: [{ shelf: 1, slot: 2, sectors: 2049 }], maxFrame: 9014 },
      5,
    );
    const frame = Buffer.alloc(9014);
    const outcomes: Record<string, number> = {};
    let mismatches = 0;
    let foreignErrors = 0;
    for (let index = 0; index < FRAMES; index++) {
      const length = fuzzer.next(frame);
      const input = frame.subarray(0, length);
      let decoded: DecodedFrame;
      try {
        decoded = decodeFrame(input);
      } catch (error) {
        if (!(error instanceof WireError) || !WIRE_ERROR_CODES.includes(error.code as never)) foreignErrors++;
        const code = (error as { code?: string }).code ?? 'non-wire error';
        outcomes[code] = (outcomes[code] ?? 0) + 1;
        continue;
      }
      const key = decoded.header.command >= 0xf0 ? 'decoded vendor cmd' : `decoded cmd ${decoded.header.command}`;
      outcomes[key] = (outcomes[key] ?? 0) + 1;
      const { bytes, covered } = reencode(decoded, input, length);
      if (Buffer.compare(Buffer.from(bytes.subarray(0, covered)), input.subarray(0, covered)) !== 0) mismatches++;
    }
    recordFigures(
      6,
      'fuzz, wire codecs',
      'The same fuzz frames through decodeFrame: only listed WireErrors escape, and every frame that decodes re-encodes to the same bytes (property tests with fast-check live in test/wire/fuzz.test.ts).',
      {
        frames: FRAMES,
        're-encode mismatches': mismatches,
        'non-WireError throws': foreignErrors,
        outcomes: Object.entries(outcomes)
          .map(([key, count]) => `${key} ${count}`)
          .join(', '),
      },
    );
    expect(foreignErrors).toBe(0);
    expect(mismatches).toBe(0);
    for (const command of [0, 1, 2, 3]) expect(outcomes[`decoded cmd ${command}`]).toBeGreaterThan(0);
  }, 120_000);
});
