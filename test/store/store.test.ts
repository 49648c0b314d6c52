// BlockStore implementations: file store flags (O_SYNC/O_DIRECT via /proc fdinfo), memory store, window bounds, openStore specs.
import { createHash, randomBytes } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { flushAsync, readAsync, writeAsync } from '../../src/store/block-store.js';
import { FileStore } from '../../src/store/file-store.js';
import { MemoryStore } from '../../src/store/memory-store.js';
import { openStore, parseRamSpec } from '../../src/store/open-store.js';
import { WindowStore } from '../../src/store/window-store.js';

const sha256 = (data: Uint8Array) => createHash('sha256').update(data).digest('hex');
const O_SYNC = 0o4010000;
const O_DIRECT = 0o40000;
// O_DIRECT needs a filesystem that supports it: tmpfs does not, so use /var/tmp (ext4 here).
let directory: string;

function fdFlags(fd: number): number {
  const text = fs.readFileSync(`/proc/self/fdinfo/${fd}`, 'utf8');
  return parseInt(/^flags:\s+([0-7]+)/m.exec(text)![1], 8);
}

beforeAll(() => {
  directory = fs.mkdtempSync('/var/tmp/aoekit-store-');
});
afterAll(() => fs.rmSync(directory, { recursive: true, force: true }));

describe('FileStore', () => {
  it('opens with O_SYNC and O_DIRECT, round-trips data through unaligned buffer offsets, flushes with fdatasync', async () => {
    const file = path.join(directory, 'direct.img');
    fs.writeFileSync(file, Buffer.alloc(1 << 20));
    const store = FileStore.open(file, { sync: true, direct: true });
    try {
      const flags = fdFlags(store.fd);
      expect(store.synchronous).toBe(false); // -s/-d go through the thread pool
      expect(flags & O_DIRECT).toBe(O_DIRECT);
      expect(flags & O_SYNC).toBe(O_SYNC);
      expect(store.size).toBe(1 << 20);
      // AoE data sits at frame offset 36: exercise exactly that layout.
      const frame = Buffer.alloc(36 + 8192);
      const data = randomBytes(8192);
      data.copy(frame, 36);
      expect(await writeAsync(store, frame, 36, 8192, 4096)).toBe(8192);
      await flushAsync(store);
      const back = Buffer.alloc(36 + 8192);
      expect(await readAsync(store, back, 36, 8192, 4096)).toBe(8192);
      expect(sha256(back.subarray(36))).toBe(sha256(data));
    } finally {
      await store.close();
    }
    expect(sha256(fs.readFileSync(file).subarray(4096, 4096 + 8192))).not.toBe(sha256(Buffer.alloc(8192)));
  });

  it('O_DIRECT bounce path keeps 100 concurrent requests (more than its 32 chunks) in order and intact', async () => {
    const file = path.join(directory, 'concurrent.img');
    fs.writeFileSync(file, Buffer.alloc(4 << 20));
    const store = FileStore.open(file, { direct: true });
    try {
      const data = randomBytes(100 * 8192);
      await Promise.all(Array.from({ length: 100 }, (_, index) => writeAsync(store, data, index * 8192 + 0, 8192, index * 8192)));
      const back = Buffer.alloc(data.length + 36);
      await Promise.all(Array.from({ length: 100 }, (_, index) => readAsync(store, back, 36 + index * 8192, 8192, index * 8192)));
      expect(sha256(back.subarray(36))).toBe(sha256(data));
    } finally {
      await store.close();
    }
  });

  it('exports a block device (loop device): size from sysfs, O_DIRECT through the read probe', async () => {
    const file = path.join(directory, 'loop.img');
    fs.writeFileSync(file, Buffer.alloc(3 << 20));
    const device = execFileSync('losetup', ['--find', '--show', file], { encoding: 'utf8' }).trim();
    try {
      const store = FileStore.open(device, { direct: true });
      try {
        expect(store.size).toBe(3 << 20);
        expect(store.description).toMatch(/^device /);
        const data = randomBytes(4096);
        await writeAsync(store, data, 0, 4096, 512 * 7);
        const back = Buffer.alloc(4096 + 36);
        await readAsync(store, back, 36, 4096, 512 * 7);
        expect(sha256(back.subarray(36))).toBe(sha256(data));
        await flushAsync(store);
      } finally {
        await store.close();
      }
    } finally {
      execFileSync('losetup', ['-d', device]);
    }
    expect(sha256(fs.readFileSync(file).subarray(512 * 7, 512 * 7 + 4096))).not.toBe(sha256(Buffer.alloc(4096)));
  });

  it('plain mode sets neither flag; read-only refuses writes with EROFS', async () => {
    const file = path.join(directory, 'plain.img');
    fs.writeFileSync(file, Buffer.alloc(4096, 7));
    const store = FileStore.open(file, { readOnly: true });
    try {
      expect(fdFlags(store.fd) & (O_DIRECT | O_SYNC)).toBe(0);
      expect(store.synchronous).toBe(true); // buffered files use event-loop pread/pwrite by default
      expect(store.readOnly).toBe(true);
      await expect(writeAsync(store, Buffer.alloc(512), 0, 512, 0)).rejects.toMatchObject({ code: 'EROFS' });
    } finally {
      await store.close();
    }
    expect(fs.readFileSync(file).every((byte) => byte === 7)).toBe(true);
  });

  it('reports ENOENT for a missing file', () => {
    expect(() => FileStore.open(path.join(directory, 'missing.img'))).toThrow(expect.objectContaining({ code: 'ENOENT' }));
  });
});

describe('MemoryStore and windows', () => {
  it('round-trips data and calls back synchronously', () => {
    const store = new MemoryStore(1 << 16);
    const data = randomBytes(4096);
    let called = false;
    store.write(data, 0, 4096, 512, (error, bytes) => {
      called = error === null && bytes === 4096;
    });
    expect(called).toBe(true);
    const back = Buffer.alloc(4096);
    store.read(back, 0, 4096, 512, () => {});
    expect(sha256(back)).toBe(sha256(data));
  });

  it('rejects access beyond its size with ERANGE', async () => {
    const store = new MemoryStore(4096);
    await expect(readAsync(store, Buffer.alloc(1024), 0, 1024, 3584)).rejects.toMatchObject({ code: 'ERANGE' });
  });

  it('a window maps offsets and refuses anything outside it', async () => {
    const inner = new MemoryStore(64 * 512);
    const window = new WindowStore(inner, 10, 4);
    expect(window.size).toBe(4 * 512);
    const data = randomBytes(512);
    await writeAsync(window, data, 0, 512, 3 * 512);
    const back = Buffer.alloc(512);
    await readAsync(inner, back, 0, 512, 13 * 512);
    expect(sha256(back)).toBe(sha256(data));
    await expect(writeAsync(window, data, 0, 512, 4 * 512)).rejects.toMatchObject({ code: 'ERANGE' });
    expect(() => new WindowStore(inner, 60, 8)).toThrow(expect.objectContaining({ code: 'ERANGE' }));
  });

  it('openStore understands ram:SIZE and windows', () => {
    expect(parseRamSpec('ram:64M')).toBe(64 << 20);
    expect(parseRamSpec('/dev/sdb')).toBeUndefined();
    expect(() => parseRamSpec('ram:lots')).toThrow(expect.objectContaining({ code: 'EINVAL' }));
    const store = openStore('ram:1M', { offsetSectors: 8, lengthSectors: 16 });
    expect(store.size).toBe(16 * 512);
  });

  it('a RAM disk larger than the memory available is refused with ENOMEM at once, before anything is allocated', () => {
    const started = Date.now();
    expect(() => new MemoryStore(100 * 2 ** 40)).toThrow(
      expect.objectContaining({ code: 'ENOMEM', message: expect.stringMatching(/100 TiB does not fit in memory/) }),
    );
    expect(() => openStore('ram:100T')).toThrow(expect.objectContaining({ code: 'ENOMEM' }));
    expect(Date.now() - started).toBeLessThan(1000);
  });

  it('a directory, a FIFO or a character device is refused before open() (a FIFO would block it), with EISDIR or EINVAL', () => {
    const fifo = path.join(directory, 'a-fifo');
    execFileSync('mkfifo', [fifo]);
    try {
      expect(() => FileStore.open(directory)).toThrow(
        expect.objectContaining({ code: 'EISDIR', message: expect.stringMatching(/is a directory/) }),
      );
      expect(() => FileStore.open(fifo, { readOnly: true })).toThrow(
        expect.objectContaining({ code: 'EINVAL', message: expect.stringMatching(/is a FIFO/) }),
      );
      expect(() => FileStore.open('/dev/null', { readOnly: true })).toThrow(
        expect.objectContaining({ code: 'EINVAL', message: expect.stringMatching(/character device/) }),
      );
    } finally {
      fs.rmSync(fifo, { force: true });
    }
  });
});
