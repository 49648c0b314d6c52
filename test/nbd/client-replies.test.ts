// The client's reply parser: simple and structured replies fed whole and byte by byte; data, holes, errors, violations.
import { describe, expect, it } from 'vitest';
import { ReplyParser, type ReplyHandler } from '../../src/nbd/client-replies.js';
import { Operation, RequestKind, RequestState, RequestTable, type NbdRequest } from '../../src/nbd/client-requests.js';
import { NBD_SIMPLE_REPLY_MAGIC, NBD_STRUCTURED_REPLY_MAGIC, NbdError, ReplyFlag, ReplyType } from '../../src/nbd/protocol.js';

const owner = {};

function harness(structured: boolean) {
  const table = new RequestTable();
  const finished: Array<{ index: number; error: number; message: string }> = [];
  const handler: ReplyHandler = {
    find: (high, low) => table.lookup(high, low, owner),
    finish: (request, error, message) => {
      finished.push({ index: request.index, error, message });
      request.state = RequestState.Free;
    },
  };
  const parser = new ReplyParser(handler, structured);
  const request = (kind: number, position: number, segments: number[]): { request: NbdRequest; buffers: Buffer[] } => {
    const entry = table.acquire();
    entry.kind = kind;
    entry.position = position;
    entry.length = segments.reduce((sum, length) => sum + length, 0);
    entry.state = RequestState.InFlight;
    entry.connection = owner;
    entry.serial = 9;
    const buffers = segments.map((length) => Buffer.alloc(length + 4, 0xee));
    segments.forEach((length, index) => entry.addSegment(new Operation(), buffers[index], 2, length));
    return { request: entry, buffers };
  };
  return { parser, finished, request };
}

function simple(error: number, index: number, payload = Buffer.alloc(0)): Buffer {
  const header = Buffer.alloc(16);
  header.writeUInt32BE(NBD_SIMPLE_REPLY_MAGIC, 0);
  header.writeUInt32BE(error, 4);
  header.writeUInt32BE(9, 8);
  header.writeUInt32BE(index, 12);
  return Buffer.concat([header, payload]);
}

function chunk(flags: number, type: number, index: number, payload: Buffer): Buffer {
  const header = Buffer.alloc(20);
  header.writeUInt32BE(NBD_STRUCTURED_REPLY_MAGIC, 0);
  header.writeUInt16BE(flags, 4);
  header.writeUInt16BE(type, 6);
  header.writeUInt32BE(9, 8);
  header.writeUInt32BE(index, 12);
  header.writeUInt32BE(payload.length, 16);
  return Buffer.concat([header, payload]);
}

const offsetData = (offset: number, data: Buffer) => Buffer.concat([Buffer.from([0, 0, 0, 0]), u32(offset), data]);
const hole = (offset: number, size: number) => Buffer.concat([Buffer.from([0, 0, 0, 0]), u32(offset), u32(size)]);
const errorPayload = (value: number, message: string) => Buffer.concat([u32(value), u16(Buffer.byteLength(message)), Buffer.from(message)]);
function u32(value: number): Buffer {
  const buffer = Buffer.alloc(4);
  buffer.writeUInt32BE(value);
  return buffer;
}
function u16(value: number): Buffer {
  const buffer = Buffer.alloc(2);
  buffer.writeUInt16BE(value);
  return buffer;
}

function feed(parser: ReplyParser, bytes: Buffer, byteByByte: boolean): void {
  if (!byteByByte) {
    parser.feed(bytes);
    return;
  }
  for (let index = 0; index < bytes.length; index += 1) parser.feed(bytes.subarray(index, index + 1));
}

describe.each([false, true])('reply parser (byte by byte: %s)', (byteByByte) => {
  it("simple READ reply: data scattered over the request's segments", () => {
    const { parser, finished, request } = harness(false);
    const { request: entry, buffers } = request(RequestKind.Read, 4096, [512, 1024]);
    const data = Buffer.from(Array.from({ length: 1536 }, (_, index) => index & 0xff));
    feed(parser, simple(0, entry.index, data), byteByByte);
    expect(finished).toEqual([{ index: entry.index, error: 0, message: '' }]);
    expect(buffers[0].subarray(2, 514)).toEqual(data.subarray(0, 512));
    expect(buffers[1].subarray(2, 1026)).toEqual(data.subarray(512));
    expect(buffers[0][0]).toBe(0xee);
    expect(buffers[1][1026]).toBe(0xee);
  });

  it('structured READ: data chunks out of order and a hole, then NONE with DONE', () => {
    const { parser, finished, request } = harness(true);
    const { request: entry, buffers } = request(RequestKind.Read, 1 << 20, [1024, 1024]);
    const tail = Buffer.alloc(512, 0xab);
    const head = Buffer.alloc(512, 0xcd);
    feed(
      parser,
      Buffer.concat([
        chunk(0, ReplyType.OffsetData, entry.index, offsetData((1 << 20) + 1536, tail)),
        chunk(0, ReplyType.OffsetHole, entry.index, hole((1 << 20) + 512, 1024)),
        chunk(0, ReplyType.OffsetData, entry.index, offsetData(1 << 20, head)),
        chunk(ReplyFlag.Done, ReplyType.None, entry.index, Buffer.alloc(0)),
      ]),
      byteByByte,
    );
    expect(finished).toEqual([{ index: entry.index, error: 0, message: '' }]);
    expect(buffers[0].subarray(2, 514).every((byte) => byte === 0xcd)).toBe(true);
    expect(buffers[0].subarray(514, 1026).every((byte) => byte === 0)).toBe(true);
    expect(buffers[1].subarray(2, 514).every((byte) => byte === 0)).toBe(true);
    expect(buffers[1].subarray(514, 1026).every((byte) => byte === 0xab)).toBe(true);
  });

  it('structured error chunk: the request fails with the error and its message; a WRITE may get a simple reply', () => {
    const { parser, finished, request } = harness(true);
    const { request: read } = request(RequestKind.Read, 0, [512]);
    const { request: written } = request(RequestKind.Write, 0, [512]);
    feed(
      parser,
      Buffer.concat([
        chunk(ReplyFlag.Done, ReplyType.Error, read.index, errorPayload(NbdError.EIO, 'disk on fire')),
        simple(NbdError.ENOSPC, written.index),
      ]),
      byteByByte,
    );
    expect(finished).toEqual([
      { index: read.index, error: NbdError.EIO, message: 'disk on fire' },
      { index: written.index, error: NbdError.ENOSPC, message: '' },
    ]);
  });

  it('a structured READ that does not cover its range fails with EIO', () => {
    const { parser, finished, request } = harness(true);
    const { request: entry } = request(RequestKind.Read, 0, [1024]);
    feed(parser, chunk(ReplyFlag.Done, ReplyType.OffsetData, entry.index, offsetData(0, Buffer.alloc(512))), byteByByte);
    expect(finished[0]).toMatchObject({ error: NbdError.EIO });
  });
});

describe('reply parser violations (ERR_NBD_PROTOCOL)', () => {
  it.each([
    ['an unknown cookie', (index: number) => simple(0, index + 1)],
    ['a bad magic', () => Buffer.alloc(16, 0x11)],
    ['data outside the READ', (index: number) => chunk(ReplyFlag.Done, ReplyType.OffsetData, index, offsetData(4096, Buffer.alloc(512)))],
    ['block status never asked for', (index: number) => chunk(ReplyFlag.Done, ReplyType.BlockStatus, index, Buffer.alloc(12))],
    ['NONE without DONE', (index: number) => chunk(0, ReplyType.None, index, Buffer.alloc(0))],
  ])('%s', (_name, build) => {
    const { parser, request } = harness(true);
    const { request: entry } = request(RequestKind.Read, 0, [512]);
    expect(() => parser.feed(build(entry.index))).toThrow(expect.objectContaining({ code: 'ERR_NBD_PROTOCOL' }));
  });
});
