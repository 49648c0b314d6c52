// Tests for src/wire/identify.ts: the IDENTIFY DEVICE page (ATA words per AOE-NOTES), build and parse.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { buildIdentify, identifyPage, parseIdentify, type IdentifyInfo, type ParsedIdentify } from '../../src/wire/index.js';
import { identifyInfo, RUNS } from '../helpers/arbitraries.js';
import { readHexFixture, sha256, toHex } from '../helpers/bytes.js';
import { checkRoundTrip, expectWireError, plain } from '../helpers/roundtrip.js';

const word = (page: Uint8Array, index: number): number => page[index * 2] | (page[index * 2 + 1] << 8);
const sum = (page: Uint8Array): number => page.reduce((total, b) => total + b, 0) & 0xff;

/** The same page the fixture holds, described independently word by word (AOE-NOTES table). */
function handBuiltPage(serial: string, firmware: string, model: string, sectors: number, sectorSizeWord: number): Uint8Array {
  const words = new Array<number>(256).fill(0);
  const put = (first: number, chars: number, text: string): void => {
    const padded = text.padEnd(chars, ' ');
    for (let i = 0; i < chars; i += 2) words[first + i / 2] = (padded.charCodeAt(i) << 8) | padded.charCodeAt(i + 1);
  };
  words[0] = 0x0040;
  put(10, 20, serial);
  put(23, 8, firmware);
  put(27, 40, model);
  Object.assign(words, {
    47: 0x8000,
    49: 0x0200,
    50: 0x4000,
    83: 0x7400,
    84: 0x4000,
    86: 0x3400,
    87: 0x4000,
    93: 0x400b,
    106: sectorSizeWord,
  });
  const lba28 = Math.min(sectors, 0x0fffffff);
  words[60] = lba28 % 0x10000;
  words[61] = Math.floor(lba28 / 0x10000);
  for (let i = 0, rest = sectors; i < 4; i++, rest = Math.floor(rest / 0x10000)) words[100 + i] = rest % 0x10000;
  const page = new Uint8Array(512);
  words.forEach((value, i) => {
    page[i * 2] = value & 0xff;
    page[i * 2 + 1] = value >>> 8;
  });
  page[510] = 0xa5;
  page[511] = (256 - sum(page)) & 0xff;
  return page;
}

const info4096: IdentifyInfo = {
  serial: 'AOEKIT-SN-0001',
  firmware: 'aoekit01',
  model: 'aoekit aoeblade',
  sectors: 0x123456789,
  physicalSectorSize: 4096,
};
const parsed4096: ParsedIdentify = { ...info4096, lba28Sectors: 0x0fffffff, lba48: true, flushSupported: true };

describe('identify', () => {
  it('golden: fixture page derived by hand (4096-byte physical sectors, capacity above LBA28)', () => {
    const golden = readHexFixture('identify-4096e.hex');
    expect(toHex(golden)).toBe(toHex(handBuiltPage(info4096.serial, info4096.firmware, info4096.model, info4096.sectors, 0x6003)));
    checkRoundTrip({ codec: identifyPage, value: info4096, decoded: parsed4096, golden, shortCode: 'ERR_AOE_SHORT_FRAME' });
  });

  it('golden: 1 GiB disk, 512-byte sectors by default', () => {
    const info: IdentifyInfo = { serial: 'SN0001', firmware: 'V25', model: 'Coraid EtherDrive vblade', sectors: 2097152 };
    const golden = handBuiltPage('SN0001', 'V25', 'Coraid EtherDrive vblade', 2097152, 0x4000);
    const decoded: ParsedIdentify = { ...info, physicalSectorSize: 512, lba28Sectors: 2097152, lba48: true, flushSupported: true };
    checkRoundTrip({ codec: identifyPage, value: info, decoded, golden, shortCode: 'ERR_AOE_SHORT_FRAME' });
    expect(sha256(golden)).toBe(sha256(bufferFor(info)));
  });

  it('words initiators read (AOE-NOTES table)', () => {
    const page = bufferFor(info4096);
    const expected: Record<number, number> = {
      0: 0x0040,
      47: 0x8000,
      49: 0x0200,
      50: 0x4000,
      60: 0xffff,
      61: 0x0fff,
      83: 0x7400,
      84: 0x4000,
      86: 0x3400,
      87: 0x4000,
      93: 0x400b,
      100: 0x6789,
      101: 0x2345,
      102: 0x0001,
      103: 0,
      106: 0x6003,
    };
    for (const [index, value] of Object.entries(expected))
      expect([Number(index), word(page, Number(index))]).toEqual([Number(index), value]);
    expect(page[510]).toBe(0xa5);
    expect(sum(page)).toBe(0);
  });

  it('strings are space padded and byte-swapped in pairs', () => {
    const page = bufferFor({ serial: 'SN0001', firmware: 'V25', model: 'abc', sectors: 1 });
    expect(String.fromCharCode(...page.subarray(20, 40))).toBe(`NS0010${' '.repeat(14)}`);
    expect(String.fromCharCode(...page.subarray(46, 54))).toBe('2V 5    ');
    expect(String.fromCharCode(...page.subarray(54, 94))).toBe(`ba c${' '.repeat(36)}`);
  });

  it('small disks: LBA28 and LBA48 capacity agree; zero sectors is allowed', () => {
    expect(word(bufferFor({ serial: '', firmware: '', model: '', sectors: 0x0fffffff }), 61)).toBe(0x0fff);
    const empty = parseIdentify(bufferFor({ serial: '', firmware: '', model: '', sectors: 0 }));
    expect(empty).toMatchObject({ sectors: 0, lba28Sectors: 0, serial: '', model: '' });
  });

  it('parses a foreign page: no checksum signature, LBA28 only, NUL padded strings, odd word 106', () => {
    const page = new Uint8Array(512);
    page.set([0x4e, 0x53, 0x00, 0x31], 20); // serial "SN1" + NUL (word 11 = "1"<<8 | 0)
    page[60 * 2] = 0x34;
    page[60 * 2 + 1] = 0x12; // 0x1234 sectors
    page[106 * 2 + 1] = 0x60;
    page[106 * 2] = 0x02; // 4 logical per physical = 2048: not expressible
    expect(plain(parseIdentify(page))).toEqual({
      serial: 'SN1',
      firmware: '',
      model: '',
      sectors: 0x1234,
      lba28Sectors: 0x1234,
      lba48: false,
      flushSupported: false,
    });
  });

  it('parse errors: checksum mismatch and LBA48 capacity beyond 2^48 - 1', () => {
    const page = bufferFor(info4096);
    page[100] ^= 1;
    expectWireError(() => parseIdentify(page), 'ERR_AOE_BAD_IDENTIFY', undefined);
    const huge = bufferFor(info4096);
    huge[103 * 2] = 1; // word 103 = 1 → 2^48 + ...
    huge[511] = (huge[511] - 1) & 0xff;
    expect(sum(huge)).toBe(0);
    expectWireError(() => parseIdentify(huge), 'ERR_AOE_BAD_IDENTIFY', undefined);
  });

  it('build validates strings, capacity and sector size before writing', () => {
    const buf = new Uint8Array(512).fill(0xee);
    const bad: Array<Partial<IdentifyInfo> | { physicalSectorSize: number }> = [
      { serial: 'x'.repeat(21) },
      { firmware: 'x'.repeat(9) },
      { model: 'x'.repeat(41) },
      { model: 'caf\u00e9' },
      { serial: 'tab\there' },
      { sectors: -1 },
      { sectors: 2 ** 48 },
      { sectors: 1.5 },
      { physicalSectorSize: 1024 },
    ];
    for (const fields of bad)
      expectWireError(() => buildIdentify({ ...info4096, ...(fields as Partial<IdentifyInfo>) }, buf, 0), 'ERR_AOE_FIELD_RANGE');
    expect(buf.every((b) => b === 0xee)).toBe(true);
    expect(buildIdentify({ ...info4096, serial: 'x'.repeat(20), model: '~'.repeat(40), sectors: 2 ** 48 - 1 }, buf, 0)).toBe(512);
  });

  it('property: build → parse gives back the info plus derived fields', () => {
    fc.assert(
      fc.property(identifyInfo, (info) => {
        const page = bufferFor(info);
        expect(sum(page)).toBe(0);
        expect(plain(parseIdentify(page))).toEqual(
          plain({ ...info, lba28Sectors: Math.min(info.sectors, 0x0fffffff), lba48: true, flushSupported: true }),
        );
      }),
      { numRuns: 150 },
    );
  });

  it('property: parse never throws anything but a WireError on arbitrary pages', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 512, maxLength: 512 }), fc.boolean(), (page, fixChecksum) => {
        if (fixChecksum) {
          page[510] = 0xa5;
          page[511] = 0;
          page[511] = (256 - sum(page)) & 0xff;
        }
        try {
          const parsed = parseIdentify(page);
          expect(parsed.serial.length).toBeLessThanOrEqual(20);
        } catch (error) {
          expect((error as { code?: string }).code).toBe('ERR_AOE_BAD_IDENTIFY');
        }
      }),
      RUNS,
    );
  });
});

function bufferFor(info: IdentifyInfo): Uint8Array {
  const page = new Uint8Array(512);
  expect(buildIdentify(info, page, 0)).toBe(512);
  return page;
}
