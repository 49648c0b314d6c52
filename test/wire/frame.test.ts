// Tests for src/wire/frame.ts: golden whole frames for every command type, decodeFrame, encoders, accessors.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  AtaCommand,
  AtaStatus,
  decodeFrame,
  encodeAtaFrame,
  encodeReserveFrame,
  isAoeFrame,
  isResponse,
  padLength,
  readCommand,
  readShelf,
  readSlot,
  readTag,
  setAoeError,
  turnAround,
  writeTag,
} from '../../src/wire/index.js';
import { RUNS } from '../helpers/arbitraries.js';
import { fromHex, readHexFixture, sha256, toHex } from '../helpers/bytes.js';
import { expectWireError, plain } from '../helpers/roundtrip.js';
import { BROADCAST, ETH_TO_INITIATOR, ETH_TO_TARGET, INITIATOR, TARGET, cases, reply, request, zeros } from './frame-cases.js';

describe('frame golden table', () => {
  it.each(cases.map((c) => [c.description, c] as const))('%s', (_description, c) => {
    const golden = fromHex(c.hex);
    expect(golden.length).toBe(60);
    const buf = new Uint8Array(100).fill(0xee);
    expect(c.encode(buf)).toBe(60);
    expect(toHex(buf.subarray(0, 60))).toBe(toHex(golden));
    expect(buf.subarray(60).every((b) => b === 0xee)).toBe(true);
    const decoded = decodeFrame(golden);
    expect(plain(decoded)).toMatchObject(plain(c.expected) as object);
    expect(decoded.dataOffset + decoded.dataLength).toBe(60);
  });

  it('a runt Query Config (32 bytes, unpadded) decodes', () => {
    const runt = fromHex(cases[0].hex).subarray(0, 32);
    expect(plain(decodeFrame(runt))).toEqual(
      plain({
        ethernet: { destination: BROADCAST, source: INITIATOR, etherType: 0x88a2 },
        header: { version: 1, flags: 0, error: 0, shelf: 0xffff, slot: 0xff, command: 1, tag: 1 },
        config: { bufferCount: 0, firmwareVersion: 0, sectorCount: 0, aoeVersion: 0, command: 0, configString: new Uint8Array(0) },
        dataOffset: 32,
        dataLength: 0,
      }),
    );
  });

  it('ATA READ EXT response carrying 2 sectors (sha256 of the frame computed independently)', () => {
    const data = Uint8Array.from({ length: 1024 }, (_, i) => i & 0xff);
    const buf = new Uint8Array(1500);
    const length = encodeAtaFrame(buf, {
      destination: INITIATOR,
      source: TARGET,
      header: reply(0xabcd),
      ata: { flags: 0x40, errorFeature: 0, sectorCount: 2, commandStatus: AtaStatus.Ready, lba: 0x12345678 },
      data,
    });
    expect(length).toBe(1060);
    expect(sha256(buf.subarray(0, length))).toBe('b93519c906465731fef1b4302000e47a5b79d4ac03daf244087ce1ef67f8c319');
    const decoded = decodeFrame(buf, length);
    expect([decoded.dataOffset, decoded.dataLength]).toEqual([36, 1024]);
    expect(sha256(buf.subarray(decoded.dataOffset, decoded.dataOffset + decoded.dataLength))).toBe(sha256(data));
  });

  it('ATA WRITE SECTORS (LBA28, 0xE0 device nibble) request with 1 sector', () => {
    const buf = new Uint8Array(600);
    const length = encodeAtaFrame(buf, {
      destination: TARGET,
      source: INITIATOR,
      header: request(7),
      ata: { flags: 0x01, errorFeature: 0, sectorCount: 1, commandStatus: AtaCommand.WriteSectors, lba: 0xe0000010 },
      data: new Uint8Array(512).fill(0x5a),
    });
    expect(length).toBe(548);
    expect(sha256(buf.subarray(0, length))).toBe('6a0a0e537a80c2229c8962f373db7512f9ce2c234c23d80fc0ae90f7fe634192');
  });

  it('IDENTIFY response frame: the fixture page at offset 36, data already in place is not copied', () => {
    const page = readHexFixture('identify-4096e.hex');
    const buf = new Uint8Array(548);
    buf.set(page, 36);
    const length = encodeAtaFrame(buf, {
      destination: INITIATOR,
      source: TARGET,
      header: reply(11),
      ata: { flags: 0, errorFeature: 0, sectorCount: 1, commandStatus: 0x40, lba: 0 },
      data: buf.subarray(36),
    });
    expect(length).toBe(548);
    expect(toHex(buf.subarray(0, 36))).toBe(toHex(fromHex(`${ETH_TO_INITIATOR} 18 00 0001 02 00 0000000b 00 00 01 40 000000000000 0000`)));
    expect(sha256(buf.subarray(36))).toBe(sha256(page));
  });

  it('vendor command (0xF0): no argument, data from offset 24', () => {
    const frame = fromHex(`${ETH_TO_TARGET} 10 00 0001 02 f0 00000005 68656c6c6f`);
    const decoded = decodeFrame(frame);
    expect(decoded.header.command).toBe(0xf0);
    expect([decoded.ata, decoded.config, decoded.mask, decoded.reserve]).toEqual([undefined, undefined, undefined, undefined]);
    expect([decoded.dataOffset, decoded.dataLength]).toEqual([24, 5]);
  });

  it('decodeFrame at an offset inside a slab, bounded by end', () => {
    const golden = fromHex(cases[3].hex);
    const slab = new Uint8Array(256).fill(0xff);
    slab.set(golden, 128);
    const decoded = decodeFrame(slab, 128 + 36, 128);
    expect(decoded.header.tag).toBe(0xabcd);
    expect([decoded.dataOffset, decoded.dataLength]).toEqual([164, 0]);
    expectWireError(() => decodeFrame(slab, 128 + 35, 128), 'ERR_AOE_SHORT_ARG');
  });
});

describe('frame errors', () => {
  it('decodeFrame checks, in order: Ethernet length, EtherType, AoE header, argument', () => {
    const ata = fromHex(cases[3].hex);
    expectWireError(() => decodeFrame(ata.subarray(0, 13)), 'ERR_AOE_SHORT_FRAME', undefined);
    const ipv4 = ata.slice(0, 20);
    ipv4[12] = 0x08;
    ipv4[13] = 0x00;
    expectWireError(() => decodeFrame(ipv4), 'ERR_AOE_BAD_ETHERTYPE', undefined);
    expectWireError(() => decodeFrame(ata.subarray(0, 23)), 'ERR_AOE_SHORT_FRAME', undefined);
    expectWireError(() => decodeFrame(ata.subarray(0, 35)), 'ERR_AOE_SHORT_ARG', undefined);
    const badVersion = ata.slice();
    badVersion[14] = 0x20;
    expectWireError(() => decodeFrame(badVersion), 'ERR_AOE_BAD_VERSION', 5);
    const badCommand = ata.slice();
    badCommand[19] = 0x04;
    expectWireError(() => decodeFrame(badCommand), 'ERR_AOE_BAD_COMMAND', 1);
  });

  it('encoders validate the buffer size, the header command and pad with zeros', () => {
    const frame = { destination: TARGET, source: INITIATOR, header: request(1), reserve: { command: 0, macs: [] } };
    expectWireError(() => encodeReserveFrame(new Uint8Array(59), frame), 'ERR_AOE_BUFFER_TOO_SMALL');
    expectWireError(() => encodeReserveFrame(new Uint8Array(60), { ...frame, header: request(1, 0) }), 'ERR_AOE_FIELD_RANGE');
    const buf = new Uint8Array(70).fill(0xee);
    expect(encodeReserveFrame(buf, frame, 5)).toBe(60);
    expect(buf.subarray(5 + 26, 65).every((b) => b === 0)).toBe(true);
    expect([buf[4], buf[65]]).toEqual([0xee, 0xee]);
    expectWireError(
      () =>
        encodeAtaFrame(new Uint8Array(1000), {
          destination: TARGET,
          source: INITIATOR,
          header: request(1),
          ata: { flags: 0, errorFeature: 0, sectorCount: 2, commandStatus: 0x30, lba: 0 },
          data: new Uint8Array(1024),
        }),
      'ERR_AOE_BUFFER_TOO_SMALL',
    );
  });

  it('padLength pads to 60 and leaves longer frames alone', () => {
    expect([0, 24, 32, 36, 59, 60, 61, 1060].map(padLength)).toEqual([60, 60, 60, 60, 60, 60, 61, 1060]);
  });
});

describe('hot-path accessors', () => {
  it('read fields of a frame inside a slab', () => {
    const slab = new Uint8Array(3 * 64);
    slab.set(fromHex(cases[2].hex), 64); // Query Config reply with error 4, in slot 1
    expect(isAoeFrame(slab, 60, 64)).toBe(true);
    expect(isAoeFrame(slab, 23, 64)).toBe(false);
    expect(isAoeFrame(slab, 60, 0)).toBe(false);
    expect(isAoeFrame(slab, 60, 170)).toBe(false); // would run past the slab
    expect(isResponse(slab, 64)).toBe(true);
    expect(isResponse(fromHex(cases[3].hex), 0)).toBe(false);
    expect([readCommand(slab, 64), readShelf(slab, 64), readSlot(slab, 64), readTag(slab, 64)]).toEqual([1, 1, 2, 2]);
    writeTag(slab, 0xfedcba98, 64);
    expect(readTag(slab, 64)).toBe(0xfedcba98);
    expect(toHex(slab.subarray(64 + 20, 64 + 24))).toBe('fedcba98');
  });

  it('turnAround + setAoeError build a reply in the request buffer', () => {
    const frame = fromHex(`ffffffffffff 525400123456 88a2 10 00 ffff ff 01 00000001 ${zeros(36)}`);
    turnAround(frame, TARGET, 7, 3, 0);
    expect(toHex(frame.subarray(0, 24))).toBe(toHex(fromHex('525400123456 020000000001 88a2 18 00 0007 03 01 00000001')));
    setAoeError(frame, 4, 0);
    expect(toHex(frame.subarray(14, 16))).toBe('1c04');
    setAoeError(frame, 0, 0);
    expect(toHex(frame.subarray(14, 16))).toBe('1800');
  });

  it('property: tags round-trip through writeTag/readTag', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 0xffffffff }), (tag) => {
        const buf = new Uint8Array(24);
        writeTag(buf, tag, 0);
        expect(readTag(buf, 0)).toBe(tag);
      }),
      RUNS,
    );
  });
});
