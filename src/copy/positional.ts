// Positional copy endpoints: an AoE device at a byte offset, and a regular file or block device read and written at any offset.
import fs from 'node:fs';
import type { Device } from '../initiator/device.js';
import { blockDeviceSize } from '../store/file-store.js';
import { SECTOR_SIZE } from '../wire/constants.js';
import type { CopyDestination, CopySource } from './endpoint.js';
import { explainWriteError } from './messages.js';
import { ioError } from './streams.js';

/**
 * An AoE device from byte `base` on. Reads and writes cover whole sectors; the caller's buffer has room for the
 * round-up. A write the target refuses with ABRT says the export may be read-only.
 */
export function deviceEndpoint(label: string, device: Device, base: number): CopySource & CopyDestination {
  const size = device.size - base;
  return {
    label,
    size,
    sequential: false,
    sectorAligned: true,
    window: { offset: base, deviceSize: device.size },
    read: async (buffer, position, length) => {
      const bytes = Math.min(length, size - position);
      if (bytes <= 0) return 0;
      await device.readInto(buffer.subarray(0, roundUp(bytes)), base + position);
      return bytes;
    },
    write: (data, position) =>
      device.write(base + position, data).catch((error: unknown) => {
        throw explainWriteError(error, label);
      }),
    finish: () => device.flush(),
    close: () => device.close(),
  };
}

/** A regular file (unbounded when written) or a block device (its size) on descriptor `fd`, read and written at any offset. */
export function fileEndpoint(label: string, fd: number, stat: fs.Stats, forWrite: boolean): CopySource & CopyDestination {
  const size = stat.isBlockDevice() ? blockDeviceSize(label, stat.rdev) : forWrite ? undefined : stat.size;
  return {
    label,
    size,
    sequential: false,
    sectorAligned: false,
    read: async (buffer, position, length) => {
      let done = 0;
      while (done < length) {
        const bytesRead = await read(fd, buffer, done, length - done, position + done).catch((error: unknown) => {
          throw ioError(`cannot read ${label}`, error);
        });
        if (bytesRead === 0) break;
        done += bytesRead;
      }
      return done;
    },
    write: async (data, position) => {
      let done = 0;
      while (done < data.length) {
        done += await write(fd, data, done, data.length - done, position + done).catch((error: unknown) => {
          throw ioError(`cannot write ${label}`, error);
        });
      }
    },
    finish: () =>
      forWrite
        ? fsync(fd).catch((error: unknown) => {
            throw ioError(`cannot sync ${label}`, error);
          })
        : Promise.resolve(),
    close: () => close(fd),
  };
}

const read = (fd: number, buffer: Buffer, offset: number, length: number, position: number) =>
  new Promise<number>((resolve, reject) =>
    fs.read(fd, buffer, offset, length, position, (error, bytes) => (error ? reject(error) : resolve(bytes))),
  );
const write = (fd: number, buffer: Buffer, offset: number, length: number, position: number) =>
  new Promise<number>((resolve, reject) =>
    fs.write(fd, buffer, offset, length, position, (error, bytes) => (error ? reject(error) : resolve(bytes))),
  );
const fsync = (fd: number) => new Promise<void>((resolve, reject) => fs.fsync(fd, (error) => (error ? reject(error) : resolve())));
const close = (fd: number) => new Promise<void>((resolve, reject) => fs.close(fd, (error) => (error ? reject(error) : resolve())));

export function roundUp(bytes: number): number {
  return Math.ceil(bytes / SECTOR_SIZE) * SECTOR_SIZE;
}
