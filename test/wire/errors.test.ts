// Every decode failure path of every codec: exact WireError code and the AoE error to reply with.
import { describe, expect, it } from 'vitest';
import {
  AOE_ERROR_FOR_CODE,
  AoeError,
  aoeHeader,
  ataArg,
  configArg,
  decodeFrame,
  ethernet,
  maskArg,
  parseIdentify,
  parseMac,
  reserveArg,
  WIRE_ERROR_CODES,
  WireError,
  WireErrorCode,
} from '../../src/wire/index.js';
import { fromHex } from '../helpers/bytes.js';
import { expectWireError } from '../helpers/roundtrip.js';

const DROP = undefined;
const header = (hex: string) => () => aoeHeader.decode(fromHex(hex), 0);
const ata = (hex: string) => () => ataArg.decode(fromHex(hex), 0);
const config = (hex: string) => () => configArg.decode(fromHex(hex), 0);
const mask = (hex: string) => () => maskArg.decode(fromHex(hex), 0);
const reserve = (hex: string) => () => reserveArg.decode(fromHex(hex), 0);

const paths: Array<[string, () => unknown, string, number | undefined]> = [
  ['ethernet: 13 bytes', () => ethernet.decode(new Uint8Array(13), 0), 'ERR_AOE_SHORT_FRAME', DROP],
  [
    'frame: EtherType 0x0800',
    () => decodeFrame(fromHex(`ffffffffffff 020000000001 0800${'00'.repeat(46)}`)),
    'ERR_AOE_BAD_ETHERTYPE',
    DROP,
  ],
  ['header: 9 bytes', header('10 00 0001 02 00 000000'), 'ERR_AOE_SHORT_FRAME', DROP],
  ['header: reserved flag bit 0x1', header('11 00 0001 02 00 00000000'), 'ERR_AOE_RESERVED', AoeError.BadArgument],
  ['header: reserved flag bit 0x2 on a response', header('1a 00 0001 02 00 00000000'), 'ERR_AOE_RESERVED', AoeError.BadArgument],
  ['header: reserved bit beats bad version', header('23 00 0001 02 00 00000000'), 'ERR_AOE_RESERVED', AoeError.BadArgument],
  ['header: version 0', header('00 00 0001 02 00 00000000'), 'ERR_AOE_BAD_VERSION', AoeError.UnsupportedVersion],
  ['header: version 2', header('20 00 0001 02 00 00000000'), 'ERR_AOE_BAD_VERSION', AoeError.UnsupportedVersion],
  [
    'header: version 15, bad command too (version first)',
    header('f0 00 0001 02 07 00000000'),
    'ERR_AOE_BAD_VERSION',
    AoeError.UnsupportedVersion,
  ],
  ['header: command 4', header('10 00 0001 02 04 00000000'), 'ERR_AOE_BAD_COMMAND', AoeError.UnrecognizedCommand],
  ['header: command 0xEF', header('10 00 0001 02 ef 00000000'), 'ERR_AOE_BAD_COMMAND', AoeError.UnrecognizedCommand],
  ['ata: 11 bytes', ata('40 00 02 24 000000000000 00'), 'ERR_AOE_SHORT_ARG', DROP],
  ['ata: aflags 0x80', ata('80 00 02 24 000000000000 0000'), 'ERR_AOE_RESERVED', AoeError.BadArgument],
  ['ata: aflags 0x20', ata('20 00 02 24 000000000000 0000'), 'ERR_AOE_RESERVED', AoeError.BadArgument],
  ['ata: aflags 0x08', ata('08 00 02 24 000000000000 0000'), 'ERR_AOE_RESERVED', AoeError.BadArgument],
  ['ata: aflags 0x04', ata('04 00 02 24 000000000000 0000'), 'ERR_AOE_RESERVED', AoeError.BadArgument],
  ['ata: reserved byte 10', ata('40 00 02 24 000000000000 0100'), 'ERR_AOE_RESERVED', AoeError.BadArgument],
  ['ata: reserved byte 11', ata('40 00 02 24 000000000000 0080'), 'ERR_AOE_RESERVED', AoeError.BadArgument],
  ['config: 7 bytes', config('0000 0000 00 00 00'), 'ERR_AOE_SHORT_ARG', DROP],
  ['config: string length 5, 4 bytes present', config('0000 0000 00 10 0005 61626364'), 'ERR_AOE_SHORT_ARG', DROP],
  ['config: string length 1025, absent (length before value)', config('0000 0000 00 14 0401 6162'), 'ERR_AOE_SHORT_ARG', DROP],
  ['config: CCmd 5', config('0000 0000 00 15 0000'), 'ERR_AOE_BAD_CCMD', AoeError.BadArgument],
  ['config: CCmd 15', config('0000 0000 00 1f 0000'), 'ERR_AOE_BAD_CCMD', AoeError.BadArgument],
  [
    'config: string length 1025, present',
    config(`0000 0000 00 14 0401${'61'.repeat(1025)}`),
    'ERR_AOE_CONFIG_TOO_LONG',
    AoeError.BadArgument,
  ],
  ['mask: 3 bytes', mask('00 00 00'), 'ERR_AOE_SHORT_ARG', DROP],
  ['mask: count 2, one directive', mask('00 01 00 02 0001 020000000001'), 'ERR_AOE_SHORT_ARG', DROP],
  ['mask: count 1, directive cut short', mask('00 01 00 01 0001 0200000000'), 'ERR_AOE_SHORT_ARG', DROP],
  ['mask: reserved byte 0', mask('01 00 00 00'), 'ERR_AOE_RESERVED', AoeError.BadArgument],
  ['mask: directive reserved byte', mask('00 01 00 02 0001 020000000001 ff02 020000000002'), 'ERR_AOE_RESERVED', AoeError.BadArgument],
  ['mask: reserved beats bad MCmd', mask('80 05 00 00'), 'ERR_AOE_RESERVED', AoeError.BadArgument],
  ['mask: MCmd 2', mask('00 02 00 00'), 'ERR_AOE_BAD_MCMD', AoeError.BadArgument],
  ['mask: MCmd 0xFF on an error reply', mask('00 ff 02 05'), 'ERR_AOE_BAD_MCMD', AoeError.BadArgument],
  ['reserve: 1 byte', reserve('01'), 'ERR_AOE_SHORT_ARG', DROP],
  ['reserve: NMacs 2, one MAC', reserve('01 02 020000000001'), 'ERR_AOE_SHORT_ARG', DROP],
  ['reserve: RCmd 3', reserve('03 00'), 'ERR_AOE_BAD_RCMD', AoeError.BadArgument],
  ['reserve: RCmd 0xFF with MACs', reserve('ff 01 020000000001'), 'ERR_AOE_BAD_RCMD', AoeError.BadArgument],
  ['identify: 511 bytes', () => parseIdentify(new Uint8Array(511)), 'ERR_AOE_SHORT_FRAME', DROP],
  ['identify: bad checksum', () => parseIdentify(Object.assign(new Uint8Array(512), { 510: 0xa5, 511: 0 })), 'ERR_AOE_BAD_IDENTIFY', DROP],
  ['parseMac: garbage', () => parseMac('not-a-mac'), 'ERR_AOE_BAD_MAC', DROP],
];

describe('wire error codes', () => {
  it.each(paths)('%s', (_description, action, code, aoeError) => {
    expectWireError(action, code, aoeError);
  });

  it('every decode failure path above uses a listed code, and every decode-side code is exercised', () => {
    const used = new Set(paths.map(([, , code]) => code));
    for (const code of used) expect(WIRE_ERROR_CODES).toContain(code);
    const encodeOnly = ['ERR_AOE_FIELD_RANGE', 'ERR_AOE_BUFFER_TOO_SMALL'];
    expect([...used, ...encodeOnly].sort()).toEqual([...WIRE_ERROR_CODES].sort());
  });

  it('WIRE_ERROR_CODES lists each WireErrorCode once; codes are stable strings', () => {
    expect(WIRE_ERROR_CODES).toEqual(Object.values(WireErrorCode));
    expect(new Set(WIRE_ERROR_CODES).size).toBe(WIRE_ERROR_CODES.length);
    for (const code of WIRE_ERROR_CODES) expect(code).toMatch(/^ERR_AOE_[A-Z_]+$/);
    expect(Object.isFrozen(WIRE_ERROR_CODES)).toBe(true);
  });

  it('each code maps to exactly one AoE error (or drop)', () => {
    expect(AOE_ERROR_FOR_CODE).toEqual({
      ERR_AOE_SHORT_FRAME: undefined,
      ERR_AOE_SHORT_ARG: undefined,
      ERR_AOE_RESERVED: 2,
      ERR_AOE_BAD_ETHERTYPE: undefined,
      ERR_AOE_BAD_VERSION: 5,
      ERR_AOE_BAD_COMMAND: 1,
      ERR_AOE_BAD_CCMD: 2,
      ERR_AOE_BAD_MCMD: 2,
      ERR_AOE_BAD_RCMD: 2,
      ERR_AOE_CONFIG_TOO_LONG: 2,
      ERR_AOE_BAD_MAC: undefined,
      ERR_AOE_BAD_IDENTIFY: undefined,
      ERR_AOE_FIELD_RANGE: undefined,
      ERR_AOE_BUFFER_TOO_SMALL: undefined,
    });
  });

  it('WireError is an Error with name, code, aoeError and a message', () => {
    const error = new WireError(WireErrorCode.BadVersion, 'AoE version 2 is not supported');
    expect(error).toBeInstanceOf(Error);
    expect([error.name, error.code, error.aoeError, error.message]).toEqual([
      'WireError',
      'ERR_AOE_BAD_VERSION',
      5,
      'AoE version 2 is not supported',
    ]);
    expect(error.stack).toContain('WireError');
  });

  it('invalid offsets are programming errors (RangeError), not wire errors', () => {
    expect(() => aoeHeader.decode(new Uint8Array(20), -1)).toThrow(RangeError);
    expect(() => ataArg.decode(new Uint8Array(20), 1.5)).toThrow(RangeError);
    expect(() =>
      ataArg.encodeInto({ flags: 0, errorFeature: 0, sectorCount: 0, commandStatus: 0, lba: 0 }, new Uint8Array(20), -2),
    ).toThrow(RangeError);
  });
});
