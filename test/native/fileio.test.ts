// fileReadSlab / fileWriteSlab (native/fileio_linux.c through binding_file.c): spans of one slab <-> a file range, data by sha256, bounds and errno errors.
import { execFileSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadAddon, loadSlabFileIo, type SlabFileIo } from '../../src/native/addon.js';

const sha256 = (data: Uint8Array) => createHash('sha256').update(data).digest('hex');

/** `count` spans of `size` bytes laid out in reverse order at odd offsets of one slab (order must come from offsets). */
function reversedSpans(count: number, size: number, gap = 13) {
  const slab = Buffer.alloc(7 + count * (size + gap));
  const offsets = new Uint32Array(count);
  const lengths = new Uint32Array(count).fill(size);
  for (let i = 0; i < count; i++) offsets[i] = 7 + (count - 1 - i) * (size + gap);
  return { slab, offsets, lengths };
}

/** The spans' bytes concatenated in span order. */
function gather(slab: Uint8Array, offsets: Uint32Array, lengths: Uint32Array, count: number): Buffer {
  return Buffer.concat(Array.from({ length: count }, (_, i) => slab.subarray(offsets[i], offsets[i] + lengths[i])));
}

function expectError(action: () => unknown, fields: Record<string, unknown>): void {
  let thrown: unknown;
  try {
    action();
  } catch (error) {
    thrown = error;
  }
  expect(thrown, 'expected a throw').toBeInstanceOf(Error);
  expect(thrown).toMatchObject(fields);
}

describe('native slab file I/O [linux]', () => {
  let io: SlabFileIo;
  let directory: string;
  let file: string;
  let content: Buffer;
  let fd: number;

  beforeAll(() => {
    // Must not silently skip: on Linux the addon is required here, and it must carry the slab functions.
    expect(process.platform).toBe('linux');
    loadAddon();
    const loaded = loadSlabFileIo();
    expect(loaded, 'the addon build lacks fileReadSlab/fileWriteSlab').not.toBeNull();
    io = loaded as SlabFileIo;
    directory = fs.mkdtempSync(path.join(os.tmpdir(), 'aoekit-fileio-'));
    file = path.join(directory, 'disk.img');
    content = randomBytes(512 * 1024);
    fs.writeFileSync(file, content);
    fd = fs.openSync(file, 'r+');
  });

  afterAll(() => {
    if (fd !== undefined) fs.closeSync(fd);
    if (directory) fs.rmSync(directory, { recursive: true, force: true });
  });

  it('reads a file range into slab spans in offset order', () => {
    const { slab, offsets, lengths } = reversedSpans(16, 1024);
    expect(io.fileReadSlab(fd, 4096, slab, offsets, lengths, 16)).toBe(16 * 1024);
    expect(sha256(gather(slab, offsets, lengths, 16))).toBe(sha256(content.subarray(4096, 4096 + 16 * 1024)));
    expect(slab.subarray(0, 7).every((byte) => byte === 0)).toBe(true); // nothing outside the spans
  });

  it('uses only the first count spans and passes empty spans through', () => {
    const { slab, offsets, lengths } = reversedSpans(8, 512);
    lengths[2] = 0;
    lengths[5] = 0;
    expect(io.fileReadSlab(fd, 100, slab, offsets, lengths, 6)).toBe(4 * 512);
    expect(sha256(gather(slab, offsets, lengths, 6))).toBe(sha256(content.subarray(100, 100 + 4 * 512)));
    expect(slab.subarray(offsets[7], offsets[7] + 512).every((byte) => byte === 0)).toBe(true);
    expect(io.fileReadSlab(fd, 0, slab, offsets, lengths, 0)).toBe(0);
  });

  it('loops past IOV_MAX spans per system call', () => {
    const count = 2500; // three preadv/pwritev calls of at most 1024 spans
    const { slab, offsets, lengths } = reversedSpans(count, 100, 3);
    expect(io.fileReadSlab(fd, 777, slab, offsets, lengths, count)).toBe(count * 100);
    expect(sha256(gather(slab, offsets, lengths, count))).toBe(sha256(content.subarray(777, 777 + count * 100)));
  });

  it('writes slab spans as one file range, then reads them back', () => {
    const count = 1500;
    const { slab, offsets, lengths } = reversedSpans(count, 64);
    for (let i = 0; i < count; i++) slab.set(randomBytes(64), offsets[i]);
    const expected = sha256(gather(slab, offsets, lengths, count));
    expect(io.fileWriteSlab(fd, 8192, slab, offsets, lengths, count)).toBe(count * 64);
    const onDisk = Buffer.alloc(count * 64);
    fs.readSync(fd, onDisk, 0, onDisk.length, 8192);
    expect(sha256(onDisk)).toBe(expected);
    const back = reversedSpans(count, 64);
    expect(io.fileReadSlab(fd, 8192, back.slab, back.offsets, back.lengths, count)).toBe(count * 64);
    expect(sha256(gather(back.slab, back.offsets, back.lengths, count))).toBe(expected);
  });

  it('returns a short count at end of file, with the bytes before it in place', () => {
    const { slab, offsets, lengths } = reversedSpans(4, 1024);
    const position = content.length - 1536; // the file ends in the middle of span 1
    expect(io.fileReadSlab(fd, position, slab, offsets, lengths, 4)).toBe(1536);
    expect(sha256(gather(slab, offsets, lengths, 4).subarray(0, 1536))).toBe(sha256(fs.readFileSync(file).subarray(position)));
    expect(io.fileReadSlab(fd, content.length + 4096, slab, offsets, lengths, 4)).toBe(0);
  });

  it('uses 64-bit file positions (beyond 4 GiB, sparse)', () => {
    const sparse = path.join(directory, 'sparse.img');
    const sparseFd = fs.openSync(sparse, 'w+');
    try {
      const position = 5 * 2 ** 30 + 512;
      const { slab, offsets, lengths } = reversedSpans(3, 512);
      slab.set(randomBytes(slab.length));
      expect(io.fileWriteSlab(sparseFd, position, slab, offsets, lengths, 3)).toBe(1536);
      expect(fs.fstatSync(sparseFd).size).toBe(position + 1536);
      const check = Buffer.alloc(1536);
      fs.readSync(sparseFd, check, 0, 1536, position);
      expect(sha256(check)).toBe(sha256(gather(slab, offsets, lengths, 3)));
    } finally {
      fs.closeSync(sparseFd);
      fs.rmSync(sparse, { force: true });
    }
  });

  it('checks every span against the slab before any I/O', () => {
    const { slab, offsets, lengths } = reversedSpans(4, 256);
    const before = sha256(slab);
    offsets[3] = slab.length - 255; // last span one byte past the end
    expectError(() => io.fileReadSlab(fd, 0, slab, offsets, lengths, 4), { name: 'RangeError', code: 'ERR_OUT_OF_RANGE' });
    expect(sha256(slab)).toBe(before); // spans 0..2 were valid but not read
    offsets[3] = 0xffffffff;
    lengths[3] = 0xffffffff; // the sum must not wrap around
    expectError(() => io.fileWriteSlab(fd, 0, slab, offsets, lengths, 4), { code: 'ERR_OUT_OF_RANGE' });
    expectError(() => io.fileReadSlab(fd, 0, slab, offsets, lengths, 5), { code: 'ERR_OUT_OF_RANGE' });
    expectError(() => io.fileReadSlab(fd, 0, slab, offsets.subarray(0, 2), lengths, 3), { code: 'ERR_OUT_OF_RANGE' });
  });

  it('rejects positions that are negative, fractional or above 2^53 - 1, and bad argument types', () => {
    const { slab, offsets, lengths } = reversedSpans(1, 16);
    for (const position of [-1, 0.5, 2 ** 53, Number.NaN, Number.POSITIVE_INFINITY]) {
      expectError(() => io.fileReadSlab(fd, position, slab, offsets, lengths, 1), { code: 'ERR_OUT_OF_RANGE' });
    }
    expectError(() => io.fileReadSlab(fd, 2 ** 53 - 8, slab, offsets, lengths, 1), { code: 'ERR_OUT_OF_RANGE' });
    const call = io.fileReadSlab as (...values: unknown[]) => number;
    expectError(() => call(fd, '0', slab, offsets, lengths, 1), { name: 'TypeError', code: 'ERR_INVALID_ARG_TYPE' });
    expectError(() => call(fd, 0, new Uint16Array(8), offsets, lengths, 1), { code: 'ERR_INVALID_ARG_TYPE' });
    expectError(() => call(fd, 0, slab, Array.from(offsets), lengths, 1), { code: 'ERR_INVALID_ARG_TYPE' });
    expectError(() => call('fd', 0, slab, offsets, lengths, 1), { code: 'ERR_INVALID_ARG_TYPE' });
    expectError(() => call(fd, 0, slab, offsets, lengths), { code: 'ERR_MISSING_ARGS' });
  });

  it('throws errno errors with code, errno and syscall', () => {
    const { slab, offsets, lengths } = reversedSpans(2, 512);
    expectError(() => io.fileReadSlab(-1, 0, slab, offsets, lengths, 2), {
      code: 'EBADF',
      errno: -os.constants.errno.EBADF,
      syscall: 'preadv',
    });
    const readOnly = fs.openSync(file, 'r');
    const directoryFd = fs.openSync(directory, 'r');
    try {
      expectError(() => io.fileWriteSlab(readOnly, 0, slab, offsets, lengths, 2), { code: 'EBADF', syscall: 'pwritev' });
      expectError(() => io.fileReadSlab(directoryFd, 0, slab, offsets, lengths, 2), { code: 'EISDIR', syscall: 'preadv' });
    } finally {
      fs.closeSync(readOnly);
      fs.closeSync(directoryFd);
    }
    const [readEnd, writeEnd] = pipeFds();
    try {
      expectError(() => io.fileReadSlab(readEnd, 0, slab, offsets, lengths, 2), { code: 'ESPIPE', syscall: 'preadv' });
      expectError(() => io.fileWriteSlab(writeEnd, 0, slab, offsets, lengths, 2), { code: 'ESPIPE', syscall: 'pwritev' });
    } finally {
      fs.closeSync(readEnd);
      fs.closeSync(writeEnd);
    }
  });
});

/** A pipe's two descriptors, through a FIFO (Node has no pipe(2)). */
function pipeFds(): [number, number] {
  const fifoDirectory = fs.mkdtempSync(path.join(os.tmpdir(), 'aoekit-fifo-'));
  try {
    const fifo = path.join(fifoDirectory, 'fifo');
    execFileSync('mkfifo', [fifo]);
    const readEnd = fs.openSync(fifo, fs.constants.O_RDONLY | fs.constants.O_NONBLOCK);
    return [readEnd, fs.openSync(fifo, fs.constants.O_WRONLY | fs.constants.O_NONBLOCK)];
  } finally {
    fs.rmSync(fifoDirectory, { recursive: true, force: true });
  }
}
