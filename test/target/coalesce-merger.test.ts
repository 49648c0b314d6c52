// RequestMerger alone (coalesce.ts): runs over one slab, split on a slab change, short transfers and real errno errors on both I/O paths.
import { createHash, randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { loadSlabFileIo, type SlabFileIo } from '../../src/link/native.js';
import { RequestMerger } from '../../src/target/coalesce.js';
import type { RequestSlot } from '../../src/target/engine.js';
import type { ExportRuntime } from '../../src/target/export.js';
import { ATA_DATA_OFFSET } from '../../src/wire/constants.js';

const sha256 = (data: Uint8Array) => createHash('sha256').update(data).digest('hex');
const FRAME_SIZE = 1514;
const BYTES = 1024;

interface Completion {
  error: Error | null;
  bytes: number;
}

/** A stand-in for a pooled response frame: slot `index` of `pool`, recording its completion. */
function fakeSlot(pool: Buffer, index: number, completions: Completion[]): RequestSlot {
  const offset = index * FRAME_SIZE;
  const record = (error: Error | null, bytes: number) => void completions.push({ error, bytes });
  return {
    pool, offset, frame: pool.subarray(offset, offset + FRAME_SIZE), dataView: null, onRead: record, onWrite: record,
  } as unknown as RequestSlot;
}

const dataOf = (slot: RequestSlot, bytes = BYTES) => slot.frame.subarray(ATA_DATA_OFFSET, ATA_DATA_OFFSET + bytes);

let directory: string;
let file: string;
let content: Buffer;
let fd: number;
const runtime = {} as ExportRuntime;

beforeEach(() => {
  directory = fs.mkdtempSync(path.join(os.tmpdir(), 'aoeblade-merger-'));
  file = path.join(directory, 'disk.img');
  content = randomBytes(64 * 1024);
  fs.writeFileSync(file, content);
  fd = fs.openSync(file, 'r+');
});

afterEach(() => {
  fs.closeSync(fd);
  fs.rmSync(directory, { recursive: true, force: true });
  vi.restoreAllMocks();
});

type Path = 'native' | 'fallback';

/** A merger on the requested path, with spies on both paths' read and write calls. */
function merger(mode: Path) {
  const addon = loadSlabFileIo();
  expect(addon, 'the native slab I/O must be available on Linux').not.toBeNull();
  const native = {
    fileReadSlab: vi.fn((addon as SlabFileIo).fileReadSlab),
    fileWriteSlab: vi.fn((addon as SlabFileIo).fileWriteSlab),
  };
  const readv = vi.spyOn(fs, 'readvSync');
  const writev = vi.spyOn(fs, 'writevSync');
  const instance = new RequestMerger(mode === 'native' ? native : null);
  const reads = () => native.fileReadSlab.mock.calls.length + readv.mock.calls.length;
  const writes = () => native.fileWriteSlab.mock.calls.length + writev.mock.calls.length;
  return { instance, native, readv, writev, reads, writes };
}

describe.each<Path>(['native', 'fallback'])('RequestMerger (%s path)', (mode) => {
  it('reads a run into frames of one pool with one call, out-of-order slots included', () => {
    const { instance, reads, native, readv } = merger(mode);
    const pool = Buffer.alloc(64 * FRAME_SIZE);
    const completions: Completion[] = [];
    const slots = [5, 0, 63, 17, 2].map((index) => fakeSlot(pool, index, completions));
    slots.forEach((slot, i) => instance.read(runtime, fd, slot, BYTES, 4096 + i * BYTES));
    expect(reads()).toBe(0); // nothing before the flush
    instance.flush();
    expect(reads()).toBe(1);
    expect((mode === 'native' ? native.fileReadSlab : readv).mock.calls.length).toBe(1);
    expect(completions).toEqual(slots.map(() => ({ error: null, bytes: BYTES })));
    slots.forEach((slot, i) => expect(sha256(dataOf(slot))).toBe(sha256(content.subarray(4096 + i * BYTES, 4096 + (i + 1) * BYTES))));
    instance.flush(); // an empty flush does nothing
    expect(reads()).toBe(1);
  });

  it('starts a new run when a frame lives in another slab (a pool regrown for a larger MTU)', () => {
    const { instance, reads } = merger(mode);
    const oldPool = Buffer.alloc(8 * FRAME_SIZE);
    const newPool = Buffer.alloc(8 * FRAME_SIZE);
    const completions: Completion[] = [];
    const slots = [fakeSlot(oldPool, 1, completions), fakeSlot(oldPool, 2, completions), fakeSlot(newPool, 1, completions), fakeSlot(newPool, 3, completions)];
    slots.forEach((slot, i) => instance.read(runtime, fd, slot, BYTES, i * BYTES));
    instance.flush();
    expect(reads()).toBe(2);
    expect(completions.every((completion) => completion.error === null && completion.bytes === BYTES)).toBe(true);
    slots.forEach((slot, i) => expect(sha256(dataOf(slot))).toBe(sha256(content.subarray(i * BYTES, (i + 1) * BYTES))));
  });

  it('writes payloads from a receive slab as one run and splits on a gap in positions', () => {
    const { instance, writes } = merger(mode);
    const receive = randomBytes(16 * FRAME_SIZE);
    const completions: Completion[] = [];
    const positions = [0, 1, 2, 3, 10, 11].map((block) => 8192 + block * BYTES);
    positions.forEach((position, index) => {
      instance.write(runtime, fd, fakeSlot(Buffer.alloc(FRAME_SIZE), 0, completions), receive, index, index * FRAME_SIZE, BYTES, position);
    });
    instance.flush();
    expect(writes()).toBe(2);
    expect(completions).toEqual(positions.map(() => ({ error: null, bytes: BYTES })));
    const disk = fs.readFileSync(file);
    positions.forEach((position, index) => {
      const payload = receive.subarray(index * FRAME_SIZE + ATA_DATA_OFFSET, index * FRAME_SIZE + ATA_DATA_OFFSET + BYTES);
      expect(sha256(disk.subarray(position, position + BYTES))).toBe(sha256(payload));
    });
  });

  it('fails only the requests a short read (end of file) did not cover', () => {
    const { instance } = merger(mode);
    const pool = Buffer.alloc(8 * FRAME_SIZE);
    const completions: Completion[] = [];
    const start = content.length - 3 * BYTES + 100; // the file ends 100 bytes short of request 2's end
    for (let i = 0; i < 4; i++) instance.read(runtime, fd, fakeSlot(pool, i, completions), BYTES, start + i * BYTES);
    instance.flush();
    expect(completions).toEqual([
      { error: null, bytes: BYTES },
      { error: null, bytes: BYTES },
      { error: null, bytes: BYTES - 100 },
      { error: null, bytes: 0 },
    ]);
  });

  it('fails every request of a run with the errno error of a write on a read-only descriptor (EBADF)', () => {
    const { instance } = merger(mode);
    const readOnly = fs.openSync(file, 'r');
    try {
      const receive = randomBytes(4 * FRAME_SIZE);
      const completions: Completion[] = [];
      for (let i = 0; i < 3; i++) instance.write(runtime, readOnly, fakeSlot(Buffer.alloc(FRAME_SIZE), 0, completions), receive, i, i * FRAME_SIZE, BYTES, i * BYTES);
      instance.flush();
      expect(completions).toHaveLength(3);
      for (const completion of completions) {
        expect(completion.bytes).toBe(0);
        expect(completion.error).toMatchObject({ code: 'EBADF', syscall: mode === 'native' ? 'pwritev' : 'write' });
      }
      expect(sha256(fs.readFileSync(file))).toBe(sha256(content));
    } finally {
      fs.closeSync(readOnly);
    }
  });

  it('fails every request of a read run on a bad descriptor (EBADF), then serves the next run', () => {
    const { instance } = merger(mode);
    const pool = Buffer.alloc(8 * FRAME_SIZE);
    const completions: Completion[] = [];
    for (let i = 0; i < 3; i++) instance.read(runtime, 1 << 20, fakeSlot(pool, i, completions), BYTES, i * BYTES);
    instance.flush();
    expect(completions.map((completion) => [(completion.error as NodeJS.ErrnoException | null)?.code, completion.bytes])).toEqual([
      ['EBADF', 0], ['EBADF', 0], ['EBADF', 0],
    ]);
    completions.length = 0;
    const slot = fakeSlot(pool, 4, completions);
    instance.read(runtime, fd, slot, BYTES, 0);
    instance.flush();
    expect(completions).toEqual([{ error: null, bytes: BYTES }]);
    expect(sha256(dataOf(slot))).toBe(sha256(content.subarray(0, BYTES)));
  });
});
