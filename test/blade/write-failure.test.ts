// A write or flush failure at the target is sticky per export: every later FLUSH fails (Linux reports write-back errors once).
import { randomBytes } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { ataFrame, type Reply } from './aoe-test-client.js';
import { INITIATOR_MAC, TARGET_MAC, startFixture, type Fixture } from './fixture.js';
import { FaultyStore } from '../helpers/faulty-store.js';

const to = { source: INITIATOR_MAC, destination: TARGET_MAC, shelf: 1, slot: 2 };
const UNC = 0x40;
const ABRT = 0x04;

let fixture: Fixture | undefined;
afterEach(async () => {
  await fixture?.close();
  fixture = undefined;
});

const flushExt = (tag: number) => ataFrame({ ...to, tag, aflags: 0x40, sectorCount: 0, ataCommand: 0xea });
const flushLegacy = (tag: number) => ataFrame({ ...to, tag, sectorCount: 0, ataCommand: 0xe7 });
const write = (tag: number, lba = 0) =>
  ataFrame({ ...to, tag, aflags: 0x41, sectorCount: 2, ataCommand: 0x34, lba, data: randomBytes(1024) });
const status = (reply: Reply) => ({ status: reply.raw[27], error: reply.raw[25] });

describe('sticky write failures', () => {
  it('a failed fdatasync is not forgotten: the next FLUSH fails too although the store would now report success (errseq)', async () => {
    const store = new FaultyStore(1024 * 1024);
    fixture = await startFixture({ store });
    expect(status(await fixture.initiator.request(write(1)))).toEqual({ status: 0x40, error: 0 });
    store.flushFailures.push('EIO');
    // UNC, never a bare ABRT: an initiator must not mistake an I/O error for "FLUSH CACHE EXT not supported".
    expect(status(await fixture.initiator.request(flushExt(2)))).toEqual({ status: 0x41, error: UNC });
    expect(status(await fixture.initiator.request(flushExt(3)))).toEqual({ status: 0x41, error: UNC });
    expect(status(await fixture.initiator.request(flushLegacy(4)))).toEqual({ status: 0x41, error: UNC });
    expect(store.flushes).toBe(1);
    const stats = fixture.target.stats().exports[0];
    expect(stats.writeFailure?.code).toBe('EIO');
    expect(stats.ioErrors).toBe(1);
  });

  it('a failed write makes every later FLUSH fail, even with no flush error of its own', async () => {
    const store = new FaultyStore(1024 * 1024);
    fixture = await startFixture({ store });
    store.writeFailures.push('EIO');
    expect(status(await fixture.initiator.request(write(1)))).toEqual({ status: 0x41, error: UNC });
    expect(status(await fixture.initiator.request(write(2, 8)))).toEqual({ status: 0x40, error: 0 });
    expect(status(await fixture.initiator.request(flushExt(3)))).toEqual({ status: 0x41, error: UNC });
    expect(status(await fixture.initiator.request(flushLegacy(4)))).toEqual({ status: 0x41, error: UNC });
    expect(fixture.target.stats().exports[0].writeFailure?.code).toBe('EIO');
  });

  it('a write refused for lack of space answers ABRT, an I/O error UNC', async () => {
    const store = new FaultyStore(1024 * 1024);
    fixture = await startFixture({ store });
    store.writeFailures.push('ENOSPC', 'EIO');
    expect(status(await fixture.initiator.request(write(1)))).toEqual({ status: 0x41, error: ABRT });
    expect(status(await fixture.initiator.request(write(2)))).toEqual({ status: 0x41, error: UNC });
    expect(fixture.target.stats().exports[0].writeFailure?.code).toBe('ENOSPC');
  });

  it('a new export over the same store starts clean (the failure belongs to the open export)', async () => {
    const store = new FaultyStore(1024 * 1024);
    fixture = await startFixture({ store });
    store.flushFailures.push('EIO');
    expect(status(await fixture.initiator.request(flushExt(1))).error).toBe(UNC);
    await fixture.close();
    fixture = await startFixture({ store });
    expect(status(await fixture.initiator.request(flushExt(2)))).toEqual({ status: 0x40, error: 0 });
  });
});
