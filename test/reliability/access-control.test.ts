// Scenario 7 (in memory): mask list, reservations (set, force set, release), read-only exports and unknown shelf.slot, checked by checksum.
import { createHash, randomBytes } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { recordFigures } from '../../tools/reliability/figures.js';
import { readAsync } from '../../src/store/block-store.js';
import { MemoryStore } from '../../src/store/memory-store.js';
import { ataFrame, configFrame, maskFrame, reserveFrame, ETH_BROADCAST, type Reply } from '../blade/aoe-test-client.js';
import { INITIATOR_MAC, OTHER_MAC, TARGET_MAC, startFixture, type Fixture } from '../blade/fixture.js';

const sha256 = (data: Uint8Array) => createHash('sha256').update(data).digest('hex');
const to = { destination: TARGET_MAC, shelf: 1, slot: 2 };
const figures: Record<string, number> = {
  'masked requests answered': 0,
  'reserved requests refused with error 6': 0,
  'read-only writes refused with ABRT': 0,
  'unknown shelf.slot requests answered': 0,
};

let fixture: Fixture | undefined;
afterEach(async () => {
  await fixture?.close();
  fixture = undefined;
});

async function storeHash(store: MemoryStore): Promise<string> {
  const buffer = Buffer.alloc(store.size);
  await readAsync(store, buffer, 0, buffer.length, 0);
  return sha256(buffer);
}

function read(source: number, tag: number, lba = 0) {
  return ataFrame({ ...to, source, tag, sectorCount: 2, ataCommand: 0x24, lba });
}

function write(source: number, tag: number, data: Buffer, lba = 0) {
  return ataFrame({ ...to, source, tag, aflags: 0x41, sectorCount: data.length / 512, ataCommand: 0x34, lba, data });
}

const isOk = (reply: Reply) => (reply.flags & 0x4) === 0 && reply.raw[27] === 0x40;

describe('access control (in memory)', () => {
  it('a MAC not on the mask list gets no reply and no data; a listed MAC does', async () => {
    const store = new MemoryStore(1024 * 1024);
    const content = randomBytes(1024);
    store.write(content, 0, 1024, 0, () => {});
    fixture = await startFixture({ store, exportOptions: { macMask: [INITIATOR_MAC] } });
    const before = await storeHash(store);
    const silentRead = await fixture.other.expectSilence(read(OTHER_MAC, 1), 150);
    const silentWrite = await fixture.other.expectSilence(write(OTHER_MAC, 2, randomBytes(1024)), 150);
    figures['masked requests answered'] += silentRead.length + silentWrite.length;
    expect(silentRead).toHaveLength(0);
    expect(silentWrite).toHaveLength(0);
    expect(fixture.other.received.filter((reply) => reply.command === 0)).toHaveLength(0);
    expect(await storeHash(store)).toBe(before);
    const allowed = await fixture.initiator.request(read(INITIATOR_MAC, 3));
    expect(isOk(allowed)).toBe(true);
    expect(sha256(allowed.raw.subarray(36, 36 + 1024))).toBe(sha256(content));
    // Editing the list over the wire takes effect at once: deleting the last entry opens the export again.
    const edited = await fixture.initiator.request(
      maskFrame({
        ...to,
        source: INITIATOR_MAC,
        tag: 4,
        maskCommand: 1,
        directives: [
          [2, INITIATOR_MAC],
          [1, OTHER_MAC],
        ],
      }),
    );
    expect(edited.raw[26]).toBe(0);
    expect(edited.raw[27]).toBe(1);
    expect(await fixture.initiator.expectSilence(read(INITIATOR_MAC, 5), 150)).toHaveLength(0);
    expect(isOk(await fixture.other.request(read(OTHER_MAC, 6)))).toBe(true);
    expect(fixture.target.stats().exports[0].maskDenied).toBe(3);
  });

  it('a reservation refuses other MACs with error 6, lets the owner through; force set and release work', async () => {
    const store = new MemoryStore(1024 * 1024);
    fixture = await startFixture({ store });
    const { initiator, other } = fixture;
    const set = await initiator.request(reserveFrame({ ...to, source: INITIATOR_MAC, tag: 1, reserveCommand: 1, macs: [INITIATOR_MAC] }));
    expect(set.flags & 0x4).toBe(0);
    const ownerData = randomBytes(1024);
    expect(isOk(await initiator.request(write(INITIATOR_MAC, 2, ownerData)))).toBe(true);
    const before = await storeHash(store);
    for (const [index, frame] of [
      read(OTHER_MAC, 10),
      write(OTHER_MAC, 11, randomBytes(1024)),
      reserveFrame({ ...to, source: OTHER_MAC, tag: 12, reserveCommand: 1, macs: [OTHER_MAC] }),
    ].entries()) {
      const refused = await other.request(frame);
      expect(refused.flags & 0x4, `request ${index}`).toBe(0x4);
      expect(refused.error, `request ${index}`).toBe(6);
      figures['reserved requests refused with error 6'] += 1;
    }
    expect(await storeHash(store)).toBe(before);
    const ownerRead = await initiator.request(read(INITIATOR_MAC, 3));
    expect(sha256(ownerRead.raw.subarray(36, 36 + 1024))).toBe(sha256(ownerData));
    // Force set by another MAC takes the reservation over; now the first owner is refused.
    const forced = await other.request(reserveFrame({ ...to, source: OTHER_MAC, tag: 13, reserveCommand: 2, macs: [OTHER_MAC] }));
    expect(forced.flags & 0x4).toBe(0);
    expect(forced.raw.readUIntBE(26, 6)).toBe(OTHER_MAC);
    expect((await initiator.request(read(INITIATOR_MAC, 4))).error).toBe(6);
    expect(isOk(await other.request(read(OTHER_MAC, 14)))).toBe(true);
    // Release: the holder sets an empty list; everyone gets through again.
    const released = await other.request(reserveFrame({ ...to, source: OTHER_MAC, tag: 15, reserveCommand: 1, macs: [] }));
    expect(released.raw[25]).toBe(0);
    expect(isOk(await initiator.request(read(INITIATOR_MAC, 5)))).toBe(true);
  });

  it('a read-only export refuses writes with ABRT and its content is unchanged', async () => {
    const store = new MemoryStore(1024 * 1024);
    store.write(randomBytes(64 * 1024), 0, 64 * 1024, 0, () => {});
    fixture = await startFixture({ store, exportOptions: { readOnly: true } });
    const before = await storeHash(store);
    for (const [tag, command, aflags] of [
      [1, 0x34, 0x41],
      [2, 0x30, 0x01],
      [3, 0x34, 0x40],
    ] as const) {
      const reply = await fixture.initiator.request(
        ataFrame({ ...to, source: INITIATOR_MAC, tag, aflags, sectorCount: 2, ataCommand: command, lba: 8, data: randomBytes(1024) }),
      );
      expect(reply.flags & 0x4).toBe(0); // an ATA error, not an AoE error
      expect(reply.raw[27]).toBe(0x41); // DRDY | ERR
      expect(reply.raw[25]).toBe(0x04); // ABRT
      figures['read-only writes refused with ABRT'] += 1;
    }
    expect(await storeHash(store)).toBe(before);
    expect(isOk(await fixture.initiator.request(read(INITIATOR_MAC, 9)))).toBe(true);
  });

  it('a request for an unknown shelf.slot is ignored, whatever the command', async () => {
    fixture = await startFixture();
    const { initiator } = fixture;
    let tag = 100;
    for (const [shelf, slot] of [
      [1, 3],
      [2, 2],
      [0, 0],
      [0xfffe, 2],
      [1, 0xfe],
      [0xffff, 3],
      [7, 0xff],
    ]) {
      const frames = [
        ataFrame({ destination: TARGET_MAC, shelf, slot, source: INITIATOR_MAC, tag: tag++, sectorCount: 1, ataCommand: 0xec }),
        ataFrame({
          destination: TARGET_MAC,
          shelf,
          slot,
          source: INITIATOR_MAC,
          tag: tag++,
          aflags: 0x41,
          sectorCount: 1,
          ataCommand: 0x34,
          data: randomBytes(512),
        }),
        configFrame({ destination: ETH_BROADCAST, shelf, slot, source: INITIATOR_MAC, tag: tag++, configCommand: 0 }),
        maskFrame({
          destination: TARGET_MAC,
          shelf,
          slot,
          source: INITIATOR_MAC,
          tag: tag++,
          maskCommand: 1,
          directives: [[1, OTHER_MAC]],
        }),
        reserveFrame({ destination: TARGET_MAC, shelf, slot, source: INITIATOR_MAC, tag: tag++, reserveCommand: 2, macs: [OTHER_MAC] }),
      ];
      initiator.send(...frames);
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
    figures['unknown shelf.slot requests answered'] += initiator.received.length;
    expect(initiator.received).toHaveLength(0);
    const runtime = fixture.target.exports[0];
    expect(runtime.macMask).toEqual([]);
    expect(runtime.reservation).toEqual([]);
    recordFigures(
      7,
      'access control, in memory',
      'Mask list, reservations (set, force set, release), read-only exports and unknown shelf.slot behave as AoEr11 says; data checked by sha256.',
      figures,
    );
  });
});
