// Query Config, Mac Mask List, Reserve/Release and the AoE-level error paths of the target engine.
import { afterEach, describe, expect, it } from 'vitest';
import { ataFrame, configFrame, header, maskFrame, reserveFrame, ETH_BROADCAST } from './aoe-test-client.js';
import { INITIATOR_MAC, OTHER_MAC, TARGET_MAC, startFixture, type Fixture } from './fixture.js';

const base = { source: INITIATOR_MAC, destination: TARGET_MAC, shelf: 1, slot: 2 };
const configText = (raw: Buffer) => raw.subarray(32, 32 + raw.readUInt16BE(30)).toString('utf8');

let fixture: Fixture | undefined;
afterEach(async () => {
  await fixture?.close();
  fixture = undefined;
});

describe('Query Config', () => {
  it('answers a broadcast shelf/slot request with its own shelf.slot, buffer count, sector count, padded to 60', async () => {
    fixture = await startFixture({ exportOptions: { bufferCount: 24, configString: 'hello' } });
    const reply = await fixture.initiator.request(
      configFrame({ source: INITIATOR_MAC, destination: ETH_BROADCAST, shelf: 0xffff, slot: 0xff, tag: 3, configCommand: 0 }),
    );
    expect(reply.shelf).toBe(1);
    expect(reply.slot).toBe(2);
    expect(reply.flags).toBe(0x8);
    expect(reply.raw.length).toBe(60);
    expect(reply.raw.readUInt16BE(24)).toBe(24);
    expect(reply.raw[28]).toBe(2);
    expect(reply.raw[29]).toBe(0x10);
    expect(configText(reply.raw)).toBe('hello');
    expect(reply.raw.subarray(37, 60).every((byte) => byte === 0)).toBe(true);
  });

  it('answers every repeated copy of the same request', async () => {
    fixture = await startFixture();
    const frame = configFrame({ ...base, tag: 9, configCommand: 0 });
    fixture.initiator.send(frame, frame, frame);
    expect(await fixture.initiator.waitTag(9, 3)).toHaveLength(3);
  });

  it('test and prefix answer only on a match; set refuses a present string with error 4; force set replaces', async () => {
    fixture = await startFixture();
    const { initiator } = fixture;
    const set = await initiator.request(configFrame({ ...base, tag: 1, configCommand: 3, configString: 'rack7 disk' }));
    expect(set.flags & 0x4).toBe(0);
    expect(configText(set.raw)).toBe('rack7 disk');
    expect(await initiator.expectSilence(configFrame({ ...base, tag: 2, configCommand: 1, configString: 'rack7' }))).toHaveLength(0);
    expect((await initiator.request(configFrame({ ...base, tag: 3, configCommand: 1, configString: 'rack7 disk' }))).raw[29]).toBe(0x11);
    expect(await initiator.expectSilence(configFrame({ ...base, tag: 4, configCommand: 2, configString: 'rack8' }))).toHaveLength(0);
    expect(configText((await initiator.request(configFrame({ ...base, tag: 5, configCommand: 2, configString: 'rack7' }))).raw)).toBe(
      'rack7 disk',
    );
    const again = await initiator.request(configFrame({ ...base, tag: 6, configCommand: 3, configString: 'other' }));
    expect(again.flags & 0x4).toBe(0x4);
    expect(again.error).toBe(4);
    const forced = await initiator.request(configFrame({ ...base, tag: 7, configCommand: 4, configString: 'other' }));
    expect(configText(forced.raw)).toBe('other');
    expect(fixture.target.stats().exports[0].configSilent).toBe(2);
  });

  it('an unknown CCmd gets BadArgument', async () => {
    fixture = await startFixture();
    const reply = await fixture.initiator.request(configFrame({ ...base, tag: 1, configCommand: 7 }));
    expect(reply.error).toBe(2);
  });

  it('advertises the sector count of the NIC MTU and follows MTU changes', async () => {
    fixture = await startFixture();
    expect((await fixture.initiator.request(configFrame({ ...base, tag: 1, configCommand: 0 }))).raw[28]).toBe(2);
    fixture.targetLink.setMtu(9000);
    (fixture.initiator.link as unknown as { setMtu(mtu: number): void }).setMtu(9000);
    expect((await fixture.initiator.request(configFrame({ ...base, tag: 2, configCommand: 0 }))).raw[28]).toBe(17);
    const read = await fixture.initiator.request(ataFrame({ ...base, tag: 3, sectorCount: 17, ataCommand: 0x24, lba: 0 }));
    expect(read.raw[27]).toBe(0x40);
    expect(read.raw.length).toBe(36 + 17 * 512);
    // The grown response pool (a new slab) still carries our source MAC and the AoE EtherType.
    expect(read.raw.readUIntBE(6, 6)).toBe(TARGET_MAC);
    expect(read.raw.readUInt16BE(12)).toBe(0x88a2);
    expect(fixture.target.stats().nics[0].sectorCount).toBe(17);
  });
});

describe('AoE header errors and dispatch', () => {
  it('replies UnsupportedVersion (5) to version 2 and UnrecognizedCommand (1) to unknown commands', async () => {
    fixture = await startFixture();
    const version = configFrame({ ...base, tag: 1, configCommand: 0, version: 2 });
    const versionReply = await fixture.initiator.request(version);
    expect(versionReply.error).toBe(5);
    expect(versionReply.flags).toBe(0xc);
    expect(versionReply.raw[14] >> 4).toBe(1);
    const unknown = Buffer.alloc(24);
    header(unknown, { ...base, tag: 2, command: 0x42 });
    const unknownReply = await fixture.initiator.request(unknown);
    expect(unknownReply.error).toBe(1);
    expect(unknownReply.raw.length).toBe(60);
    const vendor = Buffer.alloc(24);
    header(vendor, { ...base, tag: 3, command: 0xf0 });
    expect((await fixture.initiator.request(vendor)).error).toBe(1);
  });

  it('drops and counts short frames, ignores responses and other shelves', async () => {
    fixture = await startFixture();
    const short = Buffer.from(configFrame({ ...base, tag: 1, configCommand: 0 }).subarray(0, 20));
    const response = configFrame({ ...base, tag: 2, configCommand: 0, flags: 0x8 });
    const elsewhere = configFrame({ ...base, tag: 3, configCommand: 0, shelf: 9 });
    const shortAta = ataFrame({ ...base, tag: 4, sectorCount: 1, ataCommand: 0xec }).subarray(0, 30);
    fixture.initiator.send(short, response, elsewhere, Buffer.from(shortAta));
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(fixture.initiator.received).toHaveLength(0);
    const nic = fixture.target.stats().nics[0];
    expect(nic.malformed).toBe(2);
    expect(nic.responsesIgnored).toBe(1);
    expect(nic.notForUs).toBe(1);
  });

  it('a broadcast reaches every export on the NIC and each answers with its own shelf.slot', async () => {
    fixture = await startFixture({
      extraExports: [
        { shelf: 1, slot: 3 },
        { shelf: 4, slot: 2 },
      ],
    });
    fixture.initiator.send(configFrame({ source: INITIATOR_MAC, shelf: 0xffff, slot: 0xff, tag: 5, configCommand: 0 }));
    const all = await fixture.initiator.waitTag(5, 3);
    expect(all.map((reply) => `${reply.shelf}.${reply.slot}`).sort()).toEqual(['1.2', '1.3', '4.2']);
    fixture.initiator.send(configFrame({ source: INITIATOR_MAC, shelf: 1, slot: 0xff, tag: 6, configCommand: 0 }));
    const shelfOne = await fixture.initiator.waitTag(6, 3, 100);
    expect(shelfOne.map((reply) => `${reply.shelf}.${reply.slot}`).sort()).toEqual(['1.2', '1.3']);
  });
});

describe('Mac Mask List', () => {
  it('a MAC not on the list gets no answer to any command (ATA, Query Config read/set, Mac Mask, Reserve), as in vblade', async () => {
    fixture = await startFixture();
    const edit = await fixture.initiator.request(
      maskFrame({
        ...base,
        tag: 1,
        maskCommand: 1,
        directives: [
          [1, OTHER_MAC],
          [1, OTHER_MAC],
        ],
      }),
    );
    expect(edit.raw[26]).toBe(0);
    expect(edit.raw[27]).toBe(1);
    expect(edit.raw.readUIntBE(30, 6)).toBe(OTHER_MAC);
    const attempts = [
      ataFrame({ ...base, tag: 2, sectorCount: 1, ataCommand: 0xec }),
      configFrame({ ...base, tag: 3, configCommand: 0 }),
      configFrame({ ...base, destination: ETH_BROADCAST, shelf: 0xffff, slot: 0xff, tag: 4, configCommand: 0 }),
      configFrame({ ...base, tag: 5, configCommand: 3, configString: 'taken' }),
      configFrame({ ...base, tag: 6, configCommand: 4, configString: 'forced' }),
      maskFrame({ ...base, tag: 7, maskCommand: 0 }),
      maskFrame({
        ...base,
        tag: 8,
        maskCommand: 1,
        directives: [
          [1, INITIATOR_MAC],
          [2, OTHER_MAC],
        ],
      }),
      reserveFrame({ ...base, tag: 9, reserveCommand: 0 }),
      reserveFrame({ ...base, tag: 10, reserveCommand: 2, macs: [INITIATOR_MAC] }),
    ];
    for (const [index, frame] of attempts.entries())
      expect(await fixture.initiator.expectSilence(frame), `attempt ${index}`).toHaveLength(0);
    expect(fixture.target.stats().exports[0].maskDenied).toBe(attempts.length);
    // Nothing changed: the listed MAC still sees its list, an empty config string and no reservation.
    const mask = await fixture.other.request(maskFrame({ ...base, source: OTHER_MAC, tag: 11, maskCommand: 0 }));
    expect(mask.raw[27]).toBe(1);
    expect(mask.raw.readUIntBE(30, 6)).toBe(OTHER_MAC);
    expect(configText((await fixture.other.request(configFrame({ ...base, source: OTHER_MAC, tag: 12, configCommand: 0 }))).raw)).toBe('');
    expect((await fixture.other.request(reserveFrame({ ...base, source: OTHER_MAC, tag: 13, reserveCommand: 0 }))).raw[25]).toBe(0);
    expect((await fixture.other.request(ataFrame({ ...base, source: OTHER_MAC, tag: 14, sectorCount: 1, ataCommand: 0xec }))).raw[27]).toBe(
      0x40,
    );
    // The listed MAC deletes itself: the list is empty and everyone is answered again.
    const removed = await fixture.other.request(
      maskFrame({ ...base, source: OTHER_MAC, tag: 15, maskCommand: 1, directives: [[2, OTHER_MAC]] }),
    );
    expect(removed.raw[27]).toBe(0);
    expect((await fixture.initiator.request(ataFrame({ ...base, tag: 16, sectorCount: 1, ataCommand: 0xec }))).raw[27]).toBe(0x40);
  });

  it('a mask edit with a bad directive changes nothing (all or nothing) and reports MError 2 at its index', async () => {
    fixture = await startFixture();
    const reply = await fixture.initiator.request(
      maskFrame({
        ...base,
        tag: 1,
        maskCommand: 1,
        directives: [
          [1, INITIATOR_MAC],
          [0, 5],
          [9, OTHER_MAC],
          [1, OTHER_MAC],
        ],
      }),
    );
    expect(reply.raw[26]).toBe(2);
    expect(reply.raw[27]).toBe(2);
    const read = await fixture.initiator.request(maskFrame({ ...base, tag: 2, maskCommand: 0 }));
    expect(read.raw[27]).toBe(0);
  });

  it('a mask edit that hits ListFull changes nothing and reports MError 3 at the failing index (64 entries max)', async () => {
    fixture = await startFixture();
    const directives: Array<[number, number]> = Array.from({ length: 66 }, (_, index) => [1, 0x020000000100 + index]);
    directives[0] = [1, INITIATOR_MAC];
    const reply = await fixture.initiator.request(maskFrame({ ...base, tag: 1, maskCommand: 1, directives }));
    expect(reply.raw[26]).toBe(3);
    expect(reply.raw[27]).toBe(64);
    const read = await fixture.initiator.request(maskFrame({ ...base, tag: 2, maskCommand: 0 }));
    expect(read.raw[27]).toBe(0);
    expect(fixture.target.stats().exports[0].maskDenied).toBe(0);
  });

  it('an unknown MCmd gets AoE error BadArgument, as in vblade (the codec and the target agree)', async () => {
    fixture = await startFixture();
    const reply = await fixture.initiator.request(maskFrame({ ...base, tag: 1, maskCommand: 5 }));
    expect(reply.flags & 0x4).toBe(0x4);
    expect(reply.error).toBe(2);
  });
});

describe('Reserve/Release', () => {
  it('set, conflict (error 6), ATA from non-owners error 6 except IDENTIFY, force set and release', async () => {
    fixture = await startFixture();
    const { initiator, other } = fixture;
    const set = await other.request(reserveFrame({ ...base, source: OTHER_MAC, tag: 1, reserveCommand: 1, macs: [OTHER_MAC] }));
    expect(set.flags & 0x4).toBe(0);
    expect(set.raw[25]).toBe(1);
    expect(set.raw.readUIntBE(26, 6)).toBe(OTHER_MAC);
    const read = await initiator.request(ataFrame({ ...base, tag: 2, sectorCount: 1, ataCommand: 0x24 }));
    expect(read.error).toBe(6);
    expect(read.flags & 0x4).toBe(0x4);
    expect((await initiator.request(ataFrame({ ...base, tag: 3, sectorCount: 1, ataCommand: 0xec }))).raw[27]).toBe(0x40);
    expect((await other.request(ataFrame({ ...base, source: OTHER_MAC, tag: 4, sectorCount: 1, ataCommand: 0x24 }))).raw[27]).toBe(0x40);
    const steal = await initiator.request(reserveFrame({ ...base, tag: 5, reserveCommand: 1, macs: [INITIATOR_MAC] }));
    expect(steal.error).toBe(6);
    const listed = await initiator.request(reserveFrame({ ...base, tag: 6, reserveCommand: 0 }));
    expect(listed.raw[25]).toBe(1);
    const forced = await initiator.request(reserveFrame({ ...base, tag: 7, reserveCommand: 2, macs: [INITIATOR_MAC] }));
    expect(forced.raw.readUIntBE(26, 6)).toBe(INITIATOR_MAC);
    const release = await initiator.request(reserveFrame({ ...base, tag: 8, reserveCommand: 1, macs: [] }));
    expect(release.raw[25]).toBe(0);
    expect((await other.request(ataFrame({ ...base, source: OTHER_MAC, tag: 9, sectorCount: 1, ataCommand: 0x24 }))).raw[27]).toBe(0x40);
    expect(fixture.target.stats().exports[0].reservedDenied).toBe(2);
  });
});
