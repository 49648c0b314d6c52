// The golden whole-frame table for src/wire/frame.ts (one per command type and direction), shared by the frame test files.
import {
  AtaCommand,
  encodeAtaFrame,
  encodeConfigFrame,
  encodeMaskFrame,
  encodeReserveFrame,
  type DecodedFrame,
} from '../../src/wire/index.js';
import { ascii } from '../helpers/bytes.js';
export const INITIATOR = 0x525400123456;
export const TARGET = 0x020000000001;
export const BROADCAST = 0xffffffffffff;
export const ETH_TO_TARGET = '020000000001 525400123456 88a2';
export const ETH_TO_INITIATOR = '525400123456 020000000001 88a2';
export const zeros = (count: number): string => '00'.repeat(count);
export const request = (tag: number, command?: number) => ({ flags: 0, shelf: 1, slot: 2, tag, command });
export const reply = (tag: number, error = 0) => ({ flags: error ? 0xc : 0x8, error, shelf: 1, slot: 2, tag });

export interface FrameCase {
  description: string;
  /** The frame as an encoder writes it (padded to 60). */
  hex: string;
  encode: (buf: Uint8Array) => number;
  /** Selected fields decodeFrame must return. */
  expected: Partial<Record<keyof DecodedFrame, unknown>>;
}

export const cases: FrameCase[] = [
  {
    description: 'Query Config read, broadcast (what the Linux initiator sends)',
    hex: `ffffffffffff 525400123456 88a2  10 00 ffff ff 01 00000001  0000 0000 00 00 0000 ${zeros(28)}`,
    encode: (buf) =>
      encodeConfigFrame(buf, {
        destination: BROADCAST,
        source: INITIATOR,
        header: { flags: 0, shelf: 0xffff, slot: 0xff, tag: 1 },
        config: { bufferCount: 0, firmwareVersion: 0, sectorCount: 0, aoeVersion: 0, command: 0, configString: new Uint8Array(0) },
      }),
    expected: { header: { version: 1, flags: 0, error: 0, shelf: 0xffff, slot: 0xff, command: 1, tag: 1 }, dataOffset: 32, dataLength: 28 },
  },
  {
    description: 'Query Config response from e1.2 with "vol1"',
    hex: `${ETH_TO_INITIATOR}  18 00 0001 02 01 00000001  0010 4019 02 10 0004 766f6c31 ${zeros(24)}`,
    encode: (buf) =>
      encodeConfigFrame(buf, {
        destination: INITIATOR,
        source: TARGET,
        header: reply(1),
        config: { bufferCount: 16, firmwareVersion: 0x4019, sectorCount: 2, aoeVersion: 1, command: 0, configString: ascii('vol1') },
      }),
    expected: {
      config: { bufferCount: 16, firmwareVersion: 0x4019, sectorCount: 2, aoeVersion: 1, command: 0, configString: ascii('vol1') },
      dataOffset: 36,
    },
  },
  {
    description: 'Query Config set refused: error 4 (config string present)',
    hex: `${ETH_TO_INITIATOR}  1c 04 0001 02 01 00000002  0010 4019 02 13 0004 766f6c31 ${zeros(24)}`,
    encode: (buf) =>
      encodeConfigFrame(buf, {
        destination: INITIATOR,
        source: TARGET,
        header: reply(2, 4),
        config: { bufferCount: 16, firmwareVersion: 0x4019, sectorCount: 2, aoeVersion: 1, command: 3, configString: ascii('vol1') },
      }),
    expected: { header: { version: 1, flags: 0xc, error: 4, shelf: 1, slot: 2, command: 1, tag: 2 } },
  },
  {
    description: 'ATA READ SECTORS EXT request',
    hex: `${ETH_TO_TARGET}  10 00 0001 02 00 0000abcd  40 00 02 24 785634120000 0000 ${zeros(24)}`,
    encode: (buf) =>
      encodeAtaFrame(buf, {
        destination: TARGET,
        source: INITIATOR,
        header: request(0xabcd, 0),
        ata: { flags: 0x40, errorFeature: 0, sectorCount: 2, commandStatus: AtaCommand.ReadSectorsExt, lba: 0x12345678 },
      }),
    expected: {
      ata: { flags: 0x40, errorFeature: 0, sectorCount: 2, commandStatus: 0x24, lba: 0x12345678 },
      dataOffset: 36,
      dataLength: 24,
    },
  },
  {
    description: 'ATA FLUSH CACHE EXT request',
    hex: `${ETH_TO_TARGET}  10 00 0001 02 00 00000003  40 00 00 ea 000000000000 0000 ${zeros(24)}`,
    encode: (buf) =>
      encodeAtaFrame(buf, {
        destination: TARGET,
        source: INITIATOR,
        header: request(3),
        ata: { flags: 0x40, errorFeature: 0, sectorCount: 0, commandStatus: AtaCommand.FlushCacheExt, lba: 0 },
      }),
    expected: { ata: { flags: 0x40, errorFeature: 0, sectorCount: 0, commandStatus: 0xea, lba: 0 } },
  },
  {
    description: 'ATA error reply: ABRT (ERR|DRDY status, error register 0x04)',
    hex: `${ETH_TO_INITIATOR}  18 00 0001 02 00 00000009  00 04 00 41 000000000000 0000 ${zeros(24)}`,
    encode: (buf) =>
      encodeAtaFrame(buf, {
        destination: INITIATOR,
        source: TARGET,
        header: reply(9),
        ata: { flags: 0, errorFeature: 0x04, sectorCount: 0, commandStatus: 0x41, lba: 0 },
      }),
    expected: { ata: { flags: 0, errorFeature: 4, sectorCount: 0, commandStatus: 0x41, lba: 0 } },
  },
  {
    description: 'ATA error reply: IDNF for a read past the end',
    hex: `${ETH_TO_INITIATOR}  18 00 0001 02 00 0000000a  40 10 02 41 000000010000 0000 ${zeros(24)}`,
    encode: (buf) =>
      encodeAtaFrame(buf, {
        destination: INITIATOR,
        source: TARGET,
        header: reply(10),
        ata: { flags: 0x40, errorFeature: 0x10, sectorCount: 2, commandStatus: 0x41, lba: 0x01000000 },
      }),
    expected: { ata: { flags: 0x40, errorFeature: 0x10, sectorCount: 2, commandStatus: 0x41, lba: 0x01000000 } },
  },
  {
    description: 'Mac Mask List read response with two entries',
    hex: `${ETH_TO_INITIATOR}  18 00 0001 02 02 00000004  00 00 00 02 0000 020000000001 0000 020000000002 ${zeros(16)}`,
    encode: (buf) =>
      encodeMaskFrame(buf, {
        destination: INITIATOR,
        source: TARGET,
        header: reply(4),
        mask: {
          command: 0,
          error: 0,
          directives: [
            { command: 0, mac: 0x020000000001 },
            { command: 0, mac: 0x020000000002 },
          ],
        },
      }),
    expected: {
      mask: {
        command: 0,
        error: 0,
        directives: [
          { command: 0, mac: 0x020000000001 },
          { command: 0, mac: 0x020000000002 },
        ],
      },
      dataOffset: 44,
    },
  },
  {
    description: 'Mac Mask List edit request: add + delete',
    hex: `${ETH_TO_TARGET}  10 00 0001 02 02 00000005  00 01 00 02 0001 525400123456 0002 020000000001 ${zeros(16)}`,
    encode: (buf) =>
      encodeMaskFrame(buf, {
        destination: TARGET,
        source: INITIATOR,
        header: request(5),
        mask: {
          command: 1,
          error: 0,
          directives: [
            { command: 1, mac: INITIATOR },
            { command: 2, mac: TARGET },
          ],
        },
      }),
    expected: {
      mask: {
        command: 1,
        error: 0,
        directives: [
          { command: 1, mac: INITIATOR },
          { command: 2, mac: TARGET },
        ],
      },
    },
  },
  {
    description: 'Mac Mask List error reply: MError 3 (list full) at directive 1',
    hex: `${ETH_TO_INITIATOR}  18 00 0001 02 02 00000006  00 01 03 01 ${zeros(32)}`,
    encode: (buf) =>
      encodeMaskFrame(buf, {
        destination: INITIATOR,
        source: TARGET,
        header: reply(6),
        mask: { command: 1, error: 3, directives: [], errorIndex: 1 },
      }),
    expected: { mask: { command: 1, error: 3, directives: [], errorIndex: 1 }, dataOffset: 28 },
  },
  {
    description: 'Reserve/Release read request',
    hex: `${ETH_TO_TARGET}  10 00 0001 02 03 00000007  00 00 ${zeros(34)}`,
    encode: (buf) =>
      encodeReserveFrame(buf, { destination: TARGET, source: INITIATOR, header: request(7), reserve: { command: 0, macs: [] } }),
    expected: { reserve: { command: 0, macs: [] }, dataOffset: 26 },
  },
  {
    description: 'Reserve/Release force set request',
    hex: `${ETH_TO_TARGET}  10 00 0001 02 03 00000008  02 01 525400123456 ${zeros(28)}`,
    encode: (buf) =>
      encodeReserveFrame(buf, { destination: TARGET, source: INITIATOR, header: request(8), reserve: { command: 2, macs: [INITIATOR] } }),
    expected: { reserve: { command: 2, macs: [INITIATOR] } },
  },
  {
    description: 'Reserve/Release set refused: error 6 (target reserved), current list',
    hex: `${ETH_TO_INITIATOR}  1c 06 0001 02 03 00000009  01 01 020000000009 ${zeros(28)}`,
    encode: (buf) =>
      encodeReserveFrame(buf, {
        destination: INITIATOR,
        source: TARGET,
        header: reply(9, 6),
        reserve: { command: 1, macs: [0x020000000009] },
      }),
    expected: {
      header: { version: 1, flags: 0xc, error: 6, shelf: 1, slot: 2, command: 3, tag: 9 },
      reserve: { command: 1, macs: [0x020000000009] },
    },
  },
];
