// Request merging (coalesce.ts) through a target: contiguous READs/WRITEs of one batch become one preadv/pwritev; data, order and errors stay right on the native path and the fs fallback.
import { createHash, randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it, type MockInstance, vi } from 'vitest';
import { FileStore } from '../../src/store/file-store.js';
import { canMerge } from '../../src/blade/coalesce.js';
import { MemoryStore } from '../../src/store/memory-store.js';
import { ataFrame } from './aoe-test-client.js';
import { INITIATOR_MAC, TARGET_MAC, startFixture, type Fixture } from './fixture.js';

const sha256 = (data: Uint8Array) => createHash('sha256').update(data).digest('hex');
const base = { source: INITIATOR_MAC, destination: TARGET_MAC, shelf: 1, slot: 2 };
const READ_EXT = 0x24;
const WRITE_EXT = 0x34;
const SECTORS = 2; // MTU 1500
const FRAME_BYTES = SECTORS * 512;

let fixture: Fixture | undefined;
let directory: string | undefined;
afterEach(async () => {
  await fixture?.close();
  fixture = undefined;
  vi.restoreAllMocks();
  if (directory) fs.rmSync(directory, { recursive: true, force: true });
  directory = undefined;
});

type Path = 'native' | 'fallback';

interface MergeFixture {
  fixture: Fixture;
  file: string;
  /** Spies on the store's merged transfers (readSlab / writeSlab), which went through the requested path. */
  read: MockInstance<(...values: never[]) => number>;
  write: MockInstance<(...values: never[]) => number>;
  /** The fs fallback's vectored read: used on the fallback path only. */
  readv: MockInstance<(...values: never[]) => number>;
}

async function fileFixture(content: Buffer, mode: Path): Promise<MergeFixture> {
  directory = fs.mkdtempSync(path.join(os.tmpdir(), 'aoeblade-merge-'));
  const file = path.join(directory, 'disk.img');
  fs.writeFileSync(file, content);
  FileStore.nativeSlabIo = mode === 'native';
  const store = FileStore.open(file);
  FileStore.nativeSlabIo = true;
  expect(canMerge(store)).toBe(true);
  // The store's transfers are plain properties: wrap them before the target sees the store.
  const read = vi.fn(store.readSlab!);
  const write = vi.fn(store.writeSlab!);
  Object.assign(store, { readSlab: read, writeSlab: write });
  fixture = await startFixture({ store });
  expect(fixture.target.exports[0].mergeable).toBe(true);
  const readv = vi.spyOn(fs, 'readvSync');
  return { fixture, file, read, write, readv };
}

describe.each<Path>(['native', 'fallback'])('request merging on buffered file exports (%s path)', (mode) => {
  it('answers a batch of contiguous reads with one preadv and the right data in every frame', async () => {
    const content = randomBytes(256 * 1024);
    const { fixture, read: readv, readv: fallback } = await fileFixture(content, mode);
    const frames = Array.from({ length: 32 }, (_, index) =>
      ataFrame({ ...base, tag: 100 + index, sectorCount: SECTORS, ataCommand: READ_EXT, lba: 64 + index * SECTORS }),
    );
    fixture.initiator.send(...frames);
    for (let index = 0; index < 32; index++) {
      const [reply] = await fixture.initiator.waitTag(100 + index);
      expect(reply?.raw[27]).toBe(0x40);
      const offset = (64 + index * SECTORS) * 512;
      expect(sha256(reply!.raw.subarray(36, 36 + FRAME_BYTES))).toBe(sha256(content.subarray(offset, offset + FRAME_BYTES)));
    }
    expect(readv.mock.calls.length).toBeGreaterThan(0);
    expect(readv.mock.calls.length).toBeLessThan(32);
    expect(fallback.mock.calls.length > 0).toBe(mode === 'fallback');
  });

  it('merges contiguous writes, keeps a later read of the same sectors after them, and flushes them before FLUSH CACHE', async () => {
    const content = Buffer.alloc(256 * 1024);
    const { fixture, file, write: writev } = await fileFixture(content, mode);
    const payload = randomBytes(16 * FRAME_BYTES);
    const writes = Array.from({ length: 16 }, (_, index) =>
      ataFrame({
        ...base,
        tag: 200 + index,
        sectorCount: SECTORS,
        ataCommand: WRITE_EXT,
        lba: 8 + index * SECTORS,
        data: payload.subarray(index * FRAME_BYTES, (index + 1) * FRAME_BYTES),
      }),
    );
    const readBack = ataFrame({ ...base, tag: 300, sectorCount: SECTORS, ataCommand: READ_EXT, lba: 8 + 5 * SECTORS });
    const flush = ataFrame({ ...base, tag: 301, sectorCount: 0, ataCommand: 0xea });
    fixture.initiator.send(...writes, readBack, flush);
    for (let index = 0; index < 16; index++) expect((await fixture.initiator.waitTag(200 + index))[0]?.raw[27]).toBe(0x40);
    const [read] = await fixture.initiator.waitTag(300);
    expect(sha256(read!.raw.subarray(36, 36 + FRAME_BYTES))).toBe(sha256(payload.subarray(5 * FRAME_BYTES, 6 * FRAME_BYTES)));
    expect((await fixture.initiator.waitTag(301))[0]?.raw[27]).toBe(0x40);
    expect(writev.mock.calls.length).toBeGreaterThan(0);
    expect(writev.mock.calls.length).toBeLessThan(16);
    expect(sha256(fs.readFileSync(file).subarray(8 * 512, 8 * 512 + payload.length))).toBe(sha256(payload));
  });

  it('fails every request of a merged run with an ATA error when the vectored call throws', async () => {
    const { fixture, read: readv } = await fileFixture(randomBytes(64 * 1024), mode);
    readv.mockImplementation(() => {
      throw Object.assign(new Error('injected'), { code: 'EIO' });
    });
    const frames = Array.from({ length: 4 }, (_, index) =>
      ataFrame({ ...base, tag: 400 + index, sectorCount: SECTORS, ataCommand: READ_EXT, lba: index * SECTORS }),
    );
    fixture.initiator.send(...frames);
    for (let index = 0; index < 4; index++) {
      const [reply] = await fixture.initiator.waitTag(400 + index);
      expect(reply?.raw[27]).toBe(0x41); // DRDY | ERR
      expect(reply?.raw[25]).toBe(0x40); // UNC
    }
    expect(fixture.target.exports[0].counters.ioErrors).toBe(4);
    expect(readv.mock.calls.length).toBeGreaterThan(0);
    expect(readv.mock.calls.length).toBeLessThan(4);
  });
});

describe('canMerge', () => {
  it('merges buffered files only: not RAM stores, not O_SYNC files (thread pool)', () => {
    expect(canMerge(new MemoryStore(4096))).toBe(false);
    directory = fs.mkdtempSync(path.join(os.tmpdir(), 'aoeblade-merge-'));
    const file = path.join(directory, 'disk.img');
    fs.writeFileSync(file, Buffer.alloc(4096));
    expect(canMerge(FileStore.open(file, { sync: true }))).toBe(false);
    expect(canMerge(FileStore.open(file))).toBe(true);
  });
});
