// A BlockStore over a regular file or a block device, with O_SYNC (-s), O_DIRECT (-d) and real fdatasync flushes.
import fs from 'node:fs';
import { StoreError, type BlockStore, type FlushCallback, type IoCallback, type SlabTransfer } from './block-store.js';
import { slabTransfers } from './slab-io.js';
import { BouncePool, scratchFileProbe, type ProbeTransfer } from './direct-io.js';

export interface FileStoreOptions {
  readOnly?: boolean;
  /** O_SYNC: every write is durable before it completes (vblade -s). */
  sync?: boolean;
  /** O_DIRECT: bypass the page cache (vblade -d). Offsets and lengths are multiples of 512 on the AoE path. */
  direct?: boolean;
  /**
   * 'sync': pread/pwrite on the event loop (like vblade). Page-cache hits take microseconds, far less than
   * a libuv thread-pool round trip, so this is the fast mode for buffered files (the default without -s/-d).
   * 'async': fs.read/fs.write on the thread pool, so many slow device I/Os overlap (the default with -s or -d,
   * where every request waits for the device).
   */
  ioMode?: 'sync' | 'async';
}

/** Linux dev_t split as glibc's gnu_dev_major/gnu_dev_minor do. */
function deviceNumbers(rdev: number): { major: number; minor: number } {
  const high = Math.floor(rdev / 2 ** 32);
  const low = rdev >>> 0;
  return {
    major: ((low >>> 8) & 0xfff) | ((high & ~0xfff) >>> 0),
    minor: (low & 0xff) | ((low >>> 12) & ~0xff),
  };
}

/**
 * Size of a block device in bytes. Node has no BLKGETSIZE64 ioctl and fstat reports 0 for block
 * devices, so read sysfs: /sys/dev/block/MAJOR:MINOR/size counts 512-byte units whatever the
 * device's logical block size. Falls back to /sys/class/block/<basename>/size.
 */
export function blockDeviceSize(path: string, rdev: number): number {
  const { major, minor } = deviceNumbers(rdev);
  const candidates = [`/sys/dev/block/${major}:${minor}/size`, `/sys/class/block/${fs.realpathSync(path).split('/').pop()}/size`];
  for (const candidate of candidates) {
    try {
      return Number(fs.readFileSync(candidate, 'utf8').trim()) * 512;
    } catch {
      // try the next one
    }
  }
  throw new StoreError(`cannot determine the size of block device ${path}`, 'ENODEV');
}

function kindOf(stat: fs.Stats): string {
  if (stat.isDirectory()) return 'a directory';
  if (stat.isFIFO()) return 'a FIFO';
  if (stat.isSocket()) return 'a socket';
  if (stat.isCharacterDevice()) return 'a character device';
  if (stat.isSymbolicLink()) return 'a symbolic link';
  return 'not a regular file';
}

function notExportable(path: string, stat: fs.Stats): StoreError {
  return new StoreError(
    `cannot export ${path}: it is ${kindOf(stat)} (give a regular file, a block device or ram:SIZE)`,
    stat.isDirectory() ? 'EISDIR' : 'EINVAL',
  );
}

/** Refuse directories, FIFOs, sockets and character devices before open() (which could block on a FIFO). */
function checkExportable(path: string): void {
  let stat: fs.Stats;
  try {
    stat = fs.statSync(path);
  } catch (error) {
    throw new StoreError(`cannot open ${path}: ${(error as Error).message}`, (error as NodeJS.ErrnoException).code ?? 'EIO');
  }
  if (!stat.isFile() && !stat.isBlockDevice()) throw notExportable(path, stat);
}

export class FileStore implements BlockStore {
  readonly size: number;
  readonly readOnly: boolean;
  readonly synchronous: boolean;
  readonly description: string;
  readonly path: string;
  readonly flags: number;
  private descriptor: number;
  /** O_DIRECT only: aligned bounce chunks (see direct-io.ts). */
  private bounce: BouncePool | null = null;
  /** Merged I/O for the target (buffered files on the event loop only): one preadv/pwritev per run of requests. */
  readonly readSlab: SlabTransfer | undefined;
  readonly writeSlab: SlabTransfer | undefined;

  private constructor(path: string, fd: number, flags: number, size: number, readOnly: boolean, description: string, synchronous: boolean) {
    this.synchronous = synchronous;
    this.path = path;
    this.descriptor = fd;
    this.flags = flags;
    this.size = size;
    this.readOnly = readOnly;
    this.description = description;
    if (synchronous) {
      const transfers = slabTransfers(() => this.descriptor, FileStore.nativeSlabIo);
      this.readSlab = transfers.readSlab;
      this.writeSlab = readOnly ? undefined : transfers.writeSlab;
    }
  }

  /** False makes new stores use fs.readvSync/writevSync for merged I/O instead of the addon (tests of the fallback). */
  static nativeSlabIo = true;

  /**
   * Open synchronously (startup only). Throws errors with errno codes (ENOENT, EACCES, EISDIR, EINVAL for anything
   * but a regular file or a block device, EINVAL for O_DIRECT on tmpfs). Never blocks in open(): the path is looked
   * at first and opened with O_NONBLOCK (a FIFO would otherwise wait for a writer forever).
   */
  static open(path: string, options: FileStoreOptions = {}): FileStore {
    const { O_RDONLY, O_RDWR, O_SYNC, O_DIRECT, O_NONBLOCK } = fs.constants;
    checkExportable(path);
    const readOnly = options.readOnly ?? false;
    let flags = readOnly ? O_RDONLY : O_RDWR;
    if (options.sync) flags |= O_SYNC;
    if (options.direct) {
      if (O_DIRECT === undefined) throw new StoreError('O_DIRECT is not supported on this platform', 'ENOSYS');
      flags |= O_DIRECT;
    }
    let fd: number;
    try {
      // O_NONBLOCK changes nothing for regular files and block devices; it only keeps open() from blocking.
      fd = fs.openSync(path, flags | (O_NONBLOCK ?? 0));
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code ?? 'EIO';
      const hint = code === 'EINVAL' && options.direct ? ' (this filesystem does not support O_DIRECT, e.g. tmpfs)' : '';
      throw new StoreError(`cannot open ${path}: ${(error as Error).message}${hint}`, code);
    }
    try {
      const stat = fs.fstatSync(fd);
      let size: number;
      if (stat.isBlockDevice()) size = blockDeviceSize(path, stat.rdev);
      else if (stat.isFile()) size = stat.size;
      else throw notExportable(path, stat);
      const ioMode = options.ioMode ?? (options.sync || options.direct ? 'async' : 'sync');
      const modes = [
        readOnly ? 'read-only' : 'read-write',
        options.sync ? 'O_SYNC' : '',
        options.direct ? 'O_DIRECT' : '',
        `${ioMode} I/O`,
      ].filter(Boolean);
      const description = `${stat.isBlockDevice() ? 'device' : 'file'} ${path} (${modes.join(', ')})`;
      const store = new FileStore(path, fd, flags, size, readOnly, description, ioMode === 'sync' && !options.direct);
      if (options.direct) store.bounce = FileStore.directBounce(path, fd, stat.isBlockDevice(), readOnly, size, () => store.descriptor);
      return store;
    } catch (error) {
      fs.closeSync(fd);
      throw error;
    }
  }

  /** The open file descriptor (-1 after close); /proc/self/fdinfo/<fd> shows the O_SYNC/O_DIRECT flags. */
  get fd(): number {
    return this.descriptor;
  }

  /** Probe for an aligned buffer: a scratch O_DIRECT file beside a writable file, else reads from the export itself. */
  private static directBounce(
    path: string,
    fd: number,
    isDevice: boolean,
    readOnly: boolean,
    size: number,
    currentFd: () => number,
  ): BouncePool {
    if (!isDevice && !readOnly) {
      const scratch = scratchFileProbe(path);
      try {
        return BouncePool.create(currentFd, scratch.probe);
      } finally {
        scratch.done();
      }
    }
    if (size < 8192) throw new StoreError(`${path}: O_DIRECT needs at least 8 KiB to probe alignment`, 'EINVAL');
    const probe: ProbeTransfer = (buf, offset, length) => void fs.readSync(fd, buf, offset, length, 0);
    return BouncePool.create(currentFd, probe);
  }

  read(buf: Uint8Array, bufOffset: number, length: number, position: number, callback: IoCallback): void {
    if (this.bounce !== null) {
      this.bounce.submit(true, buf, bufOffset, length, position, callback);
      return;
    }
    if (this.synchronous) {
      let bytes: number;
      try {
        bytes = fs.readSync(this.descriptor, buf, bufOffset, length, position);
      } catch (error) {
        callback(error as Error, 0);
        return;
      }
      callback(null, bytes);
      return;
    }
    fs.read(this.descriptor, buf, bufOffset, length, position, callback);
  }

  write(buf: Uint8Array, bufOffset: number, length: number, position: number, callback: IoCallback): void {
    if (this.readOnly) {
      callback(new StoreError('store is read-only', 'EROFS'), 0);
      return;
    }
    if (this.bounce !== null) {
      this.bounce.submit(false, buf, bufOffset, length, position, callback);
      return;
    }
    if (this.synchronous) {
      let bytes: number;
      try {
        bytes = fs.writeSync(this.descriptor, buf, bufOffset, length, position);
      } catch (error) {
        callback(error as Error, 0);
        return;
      }
      callback(null, bytes);
      return;
    }
    fs.write(this.descriptor, buf, bufOffset, length, position, callback);
  }

  flush(callback: FlushCallback): void {
    if (this.readOnly) {
      process.nextTick(callback, null);
      return;
    }
    fs.fdatasync(this.descriptor, callback);
  }

  async close(): Promise<void> {
    if (this.descriptor < 0) return;
    const fd = this.descriptor;
    this.descriptor = -1;
    await new Promise<void>((resolve, reject) => fs.close(fd, (error) => (error ? reject(error) : resolve())));
  }
}
