// ATA over the target engine on a MemoryHub: data round trip, IDNF, ABRT, LBA28 masking, flush ordering, padding.
import { createHash, randomBytes } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { MemoryStore } from '../../src/store/memory-store.js';
import type { BlockStore, FlushCallback, IoCallback } from '../../src/store/block-store.js';
import { parseIdentify } from '../../src/wire/identify.js';
import { ataFrame } from './aoe-test-client.js';
import { INITIATOR_MAC, TARGET_MAC, startFixture, type Fixture } from './fixture.js';

const sha256 = (data: Uint8Array) => createHash('sha256').update(data).digest('hex');
const READ_EXT = 0x24;
const WRITE_EXT = 0x34;
const base = { source: INITIATOR_MAC, destination: TARGET_MAC, shelf: 1, slot: 2 };

let fixture: Fixture | undefined;
afterEach(async () => {
  await fixture?.close();
  fixture = undefined;
});

describe('ATA commands', () => {
  it('IDENTIFY returns capacity, serial and model, sent from our MAC to the requester, padded and tagged', async () => {
    fixture = await startFixture({ exportOptions: { serial: 'SER123', model: 'Test Model' } });
    const reply = await fixture.initiator.request(ataFrame({ ...base, tag: 77, sectorCount: 1, ataCommand: 0xec }));
    expect(reply.flags & 0x8).toBe(0x8);
    expect(reply.flags & 0x4).toBe(0);
    expect(reply.source).toBe(TARGET_MAC);
    expect(reply.destination).toBe(INITIATOR_MAC);
    expect(reply.raw.length).toBe(36 + 512);
    expect(reply.raw[27]).toBe(0x40);
    const info = parseIdentify(reply.raw, 36);
    expect(info.sectors).toBe(2048);
    expect(info.serial).toBe('SER123');
    expect(info.model).toBe('Test Model');
    expect(info.lba48).toBe(true);
  });

  it('advertises 4096-byte physical sectors when asked', async () => {
    fixture = await startFixture({ exportOptions: { physicalSectorSize: 4096 } });
    const reply = await fixture.initiator.request(ataFrame({ ...base, tag: 1, sectorCount: 1, ataCommand: 0xec }));
    expect(parseIdentify(reply.raw, 36).physicalSectorSize).toBe(4096);
  });

  it('writes and reads back 1 MiB (sha256), 2 sectors per frame at MTU 1500', async () => {
    fixture = await startFixture();
    const data = randomBytes(1024 * 1024);
    const { initiator } = fixture;
    for (let lba = 0; lba < 2048; lba += 2) {
      const chunk = data.subarray(lba * 512, (lba + 2) * 512);
      const frame = ataFrame({ ...base, tag: 1000 + lba, aflags: 0x41, sectorCount: 2, ataCommand: WRITE_EXT, lba, data: chunk });
      initiator.send(frame);
      if (lba % 32 === 30) await initiator.waitTag(1000 + lba);
    }
    await initiator.waitTag(1000 + 2046);
    const writeReplies = initiator.received.filter((reply) => reply.tag >= 1000 && reply.tag < 4000);
    expect(writeReplies.length).toBe(1024);
    for (const reply of writeReplies) {
      expect(reply.raw.length).toBe(60); // 36 bytes padded
      expect(reply.raw[27]).toBe(0x40);
      expect(reply.raw.subarray(36, 60).every((byte) => byte === 0)).toBe(true);
    }
    const readBack = Buffer.alloc(data.length);
    for (let lba = 0; lba < 2048; lba += 2) {
      const reply = await initiator.request(ataFrame({ ...base, tag: 10000 + lba, sectorCount: 2, ataCommand: READ_EXT, lba }));
      expect(reply.raw[27]).toBe(0x40);
      reply.raw.copy(readBack, lba * 512, 36, 36 + 1024);
    }
    expect(sha256(readBack)).toBe(sha256(data));
    const stats = fixture.target.stats().exports[0];
    expect(stats.bytesWritten).toBe(data.length);
    expect(stats.bytesRead).toBe(data.length);
  });

  it('out-of-window LBA gets ERR|DRDY with IDNF in the ATA registers, not an AoE error', async () => {
    fixture = await startFixture();
    const reply = await fixture.initiator.request(ataFrame({ ...base, tag: 5, sectorCount: 2, ataCommand: READ_EXT, lba: 2047 }));
    expect(reply.flags & 0x4).toBe(0);
    expect(reply.error).toBe(0);
    expect(reply.raw[27]).toBe(0x41);
    expect(reply.raw[25]).toBe(0x10);
    const last = await fixture.initiator.request(ataFrame({ ...base, tag: 6, sectorCount: 1, ataCommand: READ_EXT, lba: 2047 }));
    expect(last.raw[27]).toBe(0x40);
  });

  it('LBA28 uses only the low 28 bits (device register 0xE0 in byte 31)', async () => {
    fixture = await startFixture();
    const sector = randomBytes(512);
    await fixture.initiator.request(
      ataFrame({ ...base, tag: 1, aflags: 0x41, sectorCount: 1, ataCommand: WRITE_EXT, lba: 5, data: sector }),
    );
    const reply = await fixture.initiator.request(
      ataFrame({ ...base, tag: 2, aflags: 0x00, sectorCount: 1, ataCommand: 0x20, lbaBytes: [5, 0, 0, 0xe0, 0x12, 0x34] }),
    );
    expect(reply.raw[27]).toBe(0x40);
    expect(sha256(reply.raw.subarray(36, 548))).toBe(sha256(sector));
    // The same bytes with E set are a huge LBA48 address: IDNF.
    const wide = await fixture.initiator.request(
      ataFrame({ ...base, tag: 3, aflags: 0x40, sectorCount: 1, ataCommand: READ_EXT, lbaBytes: [5, 0, 0, 0xe0, 0, 0] }),
    );
    expect(wide.raw[25]).toBe(0x10);
  });

  it('unknown ATA commands, sector count 0 and counts beyond the MTU get ABRT', async () => {
    fixture = await startFixture();
    for (const [tag, frame] of [
      [1, ataFrame({ ...base, tag: 1, sectorCount: 1, ataCommand: 0xef })],
      [2, ataFrame({ ...base, tag: 2, sectorCount: 0, ataCommand: READ_EXT })],
      [3, ataFrame({ ...base, tag: 3, sectorCount: 3, ataCommand: READ_EXT })],
    ] as const) {
      const reply = await fixture.initiator.request(frame);
      expect(reply.tag).toBe(tag);
      expect(reply.flags & 0x4).toBe(0);
      expect(reply.raw[27]).toBe(0x41);
      expect(reply.raw[25]).toBe(0x04);
    }
    expect(fixture.target.stats().exports[0].ataErrors).toBe(3);
  });

  it('writes to a read-only export get ABRT and leave the data unchanged', async () => {
    const store = new MemoryStore(64 * 1024);
    fixture = await startFixture({ store, exportOptions: { readOnly: true } });
    const reply = await fixture.initiator.request(
      ataFrame({ ...base, tag: 1, aflags: 0x41, sectorCount: 1, ataCommand: WRITE_EXT, lba: 0, data: Buffer.alloc(512, 0xaa) }),
    );
    expect(reply.raw[27]).toBe(0x41);
    expect(reply.raw[25]).toBe(0x04);
    const check = Buffer.alloc(512, 1);
    store.read(check, 0, 512, 0, () => {});
    expect(check.every((byte) => byte === 0)).toBe(true);
  });

  it('a write frame shorter than its sector count announces gets AoE BadArgument', async () => {
    fixture = await startFixture();
    const reply = await fixture.initiator.request(
      ataFrame({ ...base, tag: 9, aflags: 0x41, sectorCount: 2, ataCommand: WRITE_EXT, data: Buffer.alloc(512) }),
    );
    expect(reply.flags & 0x4).toBe(0x4);
    expect(reply.error).toBe(2);
  });

  it('CHECK POWER MODE answers sector count 0xFF', async () => {
    fixture = await startFixture();
    const reply = await fixture.initiator.request(ataFrame({ ...base, tag: 4, sectorCount: 0, ataCommand: 0xe5 }));
    expect(reply.raw[26]).toBe(0xff);
    expect(reply.raw[27]).toBe(0x40);
  });

  it('FLUSH CACHE (0xE7) and FLUSH CACHE EXT (0xEA) reply only after the store flush completed', async () => {
    const inner = new MemoryStore(64 * 1024);
    let pendingFlush: FlushCallback | undefined;
    let holdFlushes = true;
    const store: BlockStore = {
      size: inner.size,
      readOnly: false,
      synchronous: false,
      description: 'slow flush',
      read: (b, o, l, p, cb: IoCallback) => inner.read(b, o, l, p, cb),
      write: (b, o, l, p, cb: IoCallback) => inner.write(b, o, l, p, cb),
      flush: (cb) => (holdFlushes ? (pendingFlush = cb) : cb(null)),
      close: () => inner.close(),
    };
    fixture = await startFixture({ store });
    for (const [tag, command] of [
      [21, 0xe7],
      [22, 0xea],
    ] as const) {
      fixture.initiator.send(ataFrame({ ...base, tag, sectorCount: 0, ataCommand: command }));
      expect(await fixture.initiator.waitTag(tag, 1, 100)).toHaveLength(0);
      expect(pendingFlush).toBeTypeOf('function');
      pendingFlush?.(null);
      pendingFlush = undefined;
      const [reply] = await fixture.initiator.waitTag(tag);
      expect(reply.raw[27]).toBe(0x40);
    }
    holdFlushes = false;
  });
});
