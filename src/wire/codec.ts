// The Codec<T> shape every wire structure exports (encodingLength / encodeInto / decode).

/**
 * A pure codec over Uint8Array (Buffer is a subclass) plus an offset. No I/O, no hidden state.
 *  - encodingLength(value): bytes encodeInto will write.
 *  - encodeInto(value, buf, offset): validates, writes, returns the bytes written.
 *  - decode(buf, offset, end = buf.length, out?): bounds-checks before every read (never past
 *    `end`), validates, and fills and returns `out` when given.
 */
export interface Codec<T, Encoded = T> {
  encodingLength(value: Encoded): number;
  encodeInto(value: Encoded, buf: Uint8Array, offset: number): number;
  decode(buf: Uint8Array, offset: number, end?: number, out?: T): T;
}
