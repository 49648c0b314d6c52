// Shared codec checks: golden round trip (lengths, bytes, twice, at an offset, truncations) and "what decodes re-encodes".
import fc from 'fast-check';
import { expect } from 'vitest';
import { AOE_ERROR_FOR_CODE, WIRE_ERROR_CODES, WireError, type Codec } from '../../src/wire/index.js';
import { fromHex, toHex } from './bytes.js';

const SENTINEL = 0xee;
const OFFSET = 7;

/** Makes values comparable with toEqual: byte arrays (Buffer or views) become hex, undefined keys vanish. */
export function plain(value: unknown): unknown {
  if (value instanceof Uint8Array) return { hex: toHex(value) };
  if (Array.isArray(value)) return value.map(plain);
  if (value !== null && typeof value === 'object') {
    const result: Record<string, unknown> = {};
    for (const [key, item] of Object.entries(value)) if (item !== undefined) result[key] = plain(item);
    return result;
  }
  return value;
}

/** Asserts `action` throws a WireError with `code` and the aoeError that code maps to (or `aoeError` when given). */
export function expectWireError(action: () => unknown, code: string, aoeError?: number | undefined): WireError {
  let thrown: unknown;
  try {
    action();
  } catch (error) {
    thrown = error;
  }
  expect(thrown, `expected WireError ${code}`).toBeInstanceOf(WireError);
  const error = thrown as WireError;
  expect(error.code).toBe(code);
  // biome-ignore lint/complexity/noArguments: an explicit `undefined` (drop silently) differs from no argument
  const expected = arguments.length >= 3 ? aoeError : AOE_ERROR_FOR_CODE[code as keyof typeof AOE_ERROR_FOR_CODE];
  expect(error.aoeError).toBe(expected);
  return error;
}

export interface RoundTripCase<T, E = T> {
  codec: Codec<T, E>;
  value: E;
  /** Golden bytes (hex string, spaces/comments allowed). */
  golden: string | Uint8Array;
  /** Code every truncation must throw. */
  shortCode: string;
  /** What decode must return, when it differs from `value` (e.g. derived fields). Default: value. */
  decoded?: T;
  /** A fresh `out` object to check decode(..., out) fills and returns it. */
  makeOut?: () => T;
}

/**
 * For one codec and one golden value:
 * (1) encodingLength == bytes written == golden length; (2) encode == golden;
 * (3) decode(golden) equals the value, re-encodes to golden, and round-trips a second time;
 *     decode from a Buffer and into `out` agree;
 * (4) encodeInto at offset 7 of a larger buffer writes only its bytes; decode at that offset agrees;
 * (5) every truncation (by slicing, and by `end` inside a longer buffer) throws `shortCode`;
 * (6) a buffer one byte too small throws ERR_AOE_BUFFER_TOO_SMALL and stays untouched.
 */
export function checkRoundTrip<T, E = T>(c: RoundTripCase<T, E>): void {
  const golden = typeof c.golden === 'string' ? fromHex(c.golden) : c.golden;
  const goldenHex = toHex(golden);
  const length = golden.length;
  const expected = plain(c.decoded ?? c.value);

  // (1) + (2)
  expect(c.codec.encodingLength(c.value)).toBe(length);
  const encoded = new Uint8Array(length);
  expect(c.codec.encodeInto(c.value, encoded, 0)).toBe(length);
  expect(toHex(encoded)).toBe(goldenHex);

  // (3) decode, re-encode, twice
  const first = c.codec.decode(golden, 0);
  expect(plain(first)).toEqual(expected);
  const again = new Uint8Array(length);
  expect(c.codec.encodeInto(first as unknown as E, again, 0)).toBe(length);
  expect(toHex(again)).toBe(goldenHex);
  const second = c.codec.decode(again, 0, length);
  expect(plain(second)).toEqual(expected);
  const third = new Uint8Array(length);
  c.codec.encodeInto(second as unknown as E, third, 0);
  expect(toHex(third)).toBe(goldenHex);
  expect(plain(c.codec.decode(Buffer.from(golden), 0))).toEqual(expected);
  if (c.makeOut) {
    const out = c.makeOut();
    expect(c.codec.decode(golden, 0, length, out)).toBe(out);
    expect(plain(out)).toEqual(expected);
  }

  // (4) nonzero offset inside a larger buffer
  const big = new Uint8Array(OFFSET + length + 9).fill(SENTINEL);
  expect(c.codec.encodeInto(c.value, big, OFFSET)).toBe(length);
  expect(toHex(big.subarray(OFFSET, OFFSET + length))).toBe(goldenHex);
  expect(big.subarray(0, OFFSET).every((b) => b === SENTINEL)).toBe(true);
  expect(big.subarray(OFFSET + length).every((b) => b === SENTINEL)).toBe(true);
  expect(plain(c.codec.decode(big, OFFSET, OFFSET + length))).toEqual(expected);

  // (5) truncations
  for (let n = 0; n < length; n++) {
    expectWireError(() => c.codec.decode(golden.subarray(0, n), 0), c.shortCode);
    expectWireError(() => c.codec.decode(big, OFFSET, OFFSET + n), c.shortCode);
  }

  // (6) destination too small
  if (length > 0) {
    const small = new Uint8Array(length - 1).fill(SENTINEL);
    expectWireError(() => c.codec.encodeInto(c.value, small, 0), 'ERR_AOE_BUFFER_TOO_SMALL');
    expect(small.every((b) => b === SENTINEL)).toBe(true);
  }
}

/**
 * The fuzz rule: decoding arbitrary bytes either throws a WireError with a listed code, or
 * yields a value whose encoding equals the bytes it consumed. Returns the value (or undefined).
 */
export function checkDecodesReencode<T>(codec: Codec<T, any>, bytes: Uint8Array): T | undefined {
  let value: T;
  try {
    value = codec.decode(bytes, 0);
  } catch (error) {
    if (!(error instanceof WireError)) throw error;
    expect(WIRE_ERROR_CODES).toContain(error.code);
    return undefined;
  }
  const length = codec.encodingLength(value);
  expect(length).toBeLessThanOrEqual(bytes.length);
  const out = new Uint8Array(length);
  expect(codec.encodeInto(value, out, 0)).toBe(length);
  expect(toHex(out)).toBe(toHex(bytes.subarray(0, length)));
  return value;
}

/** Encode then decode a valid value; returns the decoded value for extra assertions. */
export function checkValueRoundTrip<T, E = T>(codec: Codec<T, E>, value: E, decoded?: T): T {
  const length = codec.encodingLength(value);
  const buf = new Uint8Array(length + 3);
  expect(codec.encodeInto(value, buf, 3)).toBe(length);
  const result = codec.decode(buf, 3, 3 + length);
  expect(plain(result)).toEqual(plain(decoded ?? value));
  return result;
}

/**
 * Runs the fuzz rule over `bytes` with fast-check and asserts the generator reached both the
 * success path and the error path (so the property cannot pass vacuously).
 */
export function assertDecodesReencode<T>(
  codec: Codec<T, any>,
  bytes: fc.Arbitrary<Uint8Array>,
  parameters: fc.Parameters<[Uint8Array]> = { numRuns: 300 },
): { decoded: number; rejected: number } {
  const counts = { decoded: 0, rejected: 0 };
  fc.assert(
    fc.property(bytes, (input) => {
      if (checkDecodesReencode(codec, input) === undefined) counts.rejected++;
      else counts.decoded++;
    }),
    parameters,
  );
  expect(counts.decoded, 'fuzz never decoded successfully').toBeGreaterThan(0);
  expect(counts.rejected, 'fuzz never hit an error path').toBeGreaterThan(0);
  return counts;
}
