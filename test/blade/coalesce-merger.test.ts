// RequestMerger alone (coalesce.ts) over a store's slab transfers: runs over one slab, split on a slab change, short transfers and errno errors on both I/O paths.
import { createHash, randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { slabTransfers } from '../../src/store/slab-io.js';
import { RequestMerger } from '../../src/blade/coalesce.js';
import type { ReplyFrame } from '../../src/blade/reply-pool.js';
import type { ExportRuntime } from '../../src/blade/export.js';
import { ATA_DATA_OFFSET } from '../../src/wire/constants.js';

const sha256 = (data: Uint8Array) => createHash('sha256').update(data).digest('hex');
const FRAME_SIZE = 1514;
const BYTES = 1024;

interface Completion {
  error: Error | null;
  bytes: number;
}

/** A stand-in for a pooled response frame: slot `index` of `pool`, recording its completion. */
function fakeSlot(pool: Buffer, index: number, completions: Completion[]): ReplyFrame {
  const offset = index * FRAME_SIZE;
  const record = (error: Error | null, bytes: number) => void completions.push({ error, bytes });
  return {
    pool,
    offset,
    frame: pool.subarray(offset, offset + FRAME_SIZE),
    onRead: record,
    onWrite: record,
  } as unknown as ReplyFrame;
}

const dataOf = (slot: ReplyFrame, bytes = BYTES) => slot.frame.subarray(ATA_DATA_OFFSET, ATA_DATA_OFFSET + bytes);

let directory: string;
let file: string;
let content: Buffer;
let fd: number;

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

/** A merger, and a runtime factory whose store moves data on `fd` through the requested path, with spies on both paths. */
function merger(mode: Path) {
  const readv = vi.spyOn(fs, 'readvSync');
  const writev = vi.spyOn(fs, 'writevSync');
  const calls = { reads: 0, writes: 0 };
  const runtimeFor = (descriptor: number) => {
    const transfers = slabTransfers(() => descriptor, mode === 'native');
    const store = {
      readSlab: (...args: Parameters<typeof transfers.readSlab>) => {
        calls.reads++;
        return transfers.readSlab(...args);
      },
      writeSlab: (...args: Parameters<typeof transfers.writeSlab>) => {
        calls.writes++;
        return transfers.writeSlab(...args);
      },
    };
    return { store } as unknown as ExportRuntime;
  };
  const instance = new RequestMerger();
  // The fallback must really go through fs.readvSync/writevSync, and the native path never.
  const checkPath = () => expect(readv.mock.calls.length + writev.mock.calls.length > 0).toBe(mode === 'fallback');
  return { instance, runtime: runtimeFor(fd), runtimeFor, reads: () => calls.reads, writes: () => calls.writes, checkPath };
}

describe.each<Path>(['native', 'fallback'])('RequestMerger (%s path)', (mode) => {
  it('reads a run into frames of one pool with one call, out-of-order slots included', () => {
    const { instance, runtime, reads, checkPath } = merger(mode);
    const pool = Buffer.alloc(64 * FRAME_SIZE);
    const completions: Completion[] = [];
    const slots = [5, 0, 63, 17, 2].map((index) => fakeSlot(pool, index, completions));
    slots.forEach((slot, i) => instance.read(runtime, slot, BYTES, 4096 + i * BYTES));
    expect(reads()).toBe(0); // nothing before the flush
    instance.flush();
    expect(reads()).toBe(1);
    checkPath();
    expect(completions).toEqual(slots.map(() => ({ error: null, bytes: BYTES })));
    slots.forEach((slot, i) => expect(sha256(dataOf(slot))).toBe(sha256(content.subarray(4096 + i * BYTES, 4096 + (i + 1) * BYTES))));
    instance.flush(); // an empty flush does nothing
    expect(reads()).toBe(1);
  });

  it('starts a new run when a frame lives in another slab (a pool regrown for a larger MTU)', () => {
    const { instance, runtime, reads } = merger(mode);
    const oldPool = Buffer.alloc(8 * FRAME_SIZE);
    const newPool = Buffer.alloc(8 * FRAME_SIZE);
    const completions: Completion[] = [];
    const slots = [
      fakeSlot(oldPool, 1, completions),
      fakeSlot(oldPool, 2, completions),
      fakeSlot(newPool, 1, completions),
      fakeSlot(newPool, 3, completions),
    ];
    slots.forEach((slot, i) => instance.read(runtime, slot, BYTES, i * BYTES));
    instance.flush();
    expect(reads()).toBe(2);
    expect(completions.every((completion) => completion.error === null && completion.bytes === BYTES)).toBe(true);
    slots.forEach((slot, i) => expect(sha256(dataOf(slot))).toBe(sha256(content.subarray(i * BYTES, (i + 1) * BYTES))));
  });

  it('writes payloads from a receive slab as one run and splits on a gap in positions', () => {
    const { instance, runtime, writes, checkPath } = merger(mode);
    const receive = randomBytes(16 * FRAME_SIZE);
    const completions: Completion[] = [];
    const positions = [0, 1, 2, 3, 10, 11].map((block) => 8192 + block * BYTES);
    positions.forEach((position, index) => {
      instance.write(runtime, fakeSlot(Buffer.alloc(FRAME_SIZE), 0, completions), receive, index * FRAME_SIZE, BYTES, position);
    });
    instance.flush();
    expect(writes()).toBe(2);
    checkPath();
    expect(completions).toEqual(positions.map(() => ({ error: null, bytes: BYTES })));
    const disk = fs.readFileSync(file);
    positions.forEach((position, index) => {
      const payload = receive.subarray(index * FRAME_SIZE + ATA_DATA_OFFSET, index * FRAME_SIZE + ATA_DATA_OFFSET + BYTES);
      expect(sha256(disk.subarray(position, position + BYTES))).toBe(sha256(payload));
    });
  });

  it('fails only the requests a short read (end of file) did not cover', () => {
    const { instance, runtime } = merger(mode);
    const pool = Buffer.alloc(8 * FRAME_SIZE);
    const completions: Completion[] = [];
    const start = content.length - 3 * BYTES + 100; // the file ends 100 bytes short of request 2's end
    for (let i = 0; i < 4; i++) instance.read(runtime, fakeSlot(pool, i, completions), BYTES, start + i * BYTES);
    instance.flush();
    expect(completions).toEqual([
      { error: null, bytes: BYTES },
      { error: null, bytes: BYTES },
      { error: null, bytes: BYTES - 100 },
      { error: null, bytes: 0 },
    ]);
  });

  it('fails every request of a run with the errno error of a write on a read-only descriptor (EBADF)', () => {
    const { instance, runtimeFor } = merger(mode);
    const readOnly = fs.openSync(file, 'r');
    try {
      const receive = randomBytes(4 * FRAME_SIZE);
      const completions: Completion[] = [];
      for (let i = 0; i < 3; i++)
        instance.write(runtimeFor(readOnly), fakeSlot(Buffer.alloc(FRAME_SIZE), 0, completions), receive, i * FRAME_SIZE, BYTES, i * BYTES);
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
    const { instance, runtime, runtimeFor } = merger(mode);
    const pool = Buffer.alloc(8 * FRAME_SIZE);
    const completions: Completion[] = [];
    const badDescriptor = runtimeFor(1 << 20);
    for (let i = 0; i < 3; i++) instance.read(badDescriptor, fakeSlot(pool, i, completions), BYTES, i * BYTES);
    instance.flush();
    expect(completions.map((completion) => [(completion.error as NodeJS.ErrnoException | null)?.code, completion.bytes])).toEqual([
      ['EBADF', 0],
      ['EBADF', 0],
      ['EBADF', 0],
    ]);
    completions.length = 0;
    const slot = fakeSlot(pool, 4, completions);
    instance.read(runtime, slot, BYTES, 0);
    instance.flush();
    expect(completions).toEqual([{ error: null, bytes: BYTES }]);
    expect(sha256(dataOf(slot))).toBe(sha256(content.subarray(0, BYTES)));
  });
});
