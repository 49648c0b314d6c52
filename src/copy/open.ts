// Opens the two sides of a copy from what the user wrote: aoe:eX.Y, '-' (stdin/stdout), a file, a block device or a pipe.
import fs from 'node:fs';
import type { Device } from '../initiator/device.js';
import { openDevice, type OpenDeviceOptions } from '../initiator/open.js';
import { SECTOR_SIZE } from '../wire/constants.js';
import { CopyError, type CopyDestination, type CopySource } from './endpoint.js';
import { formatBytes } from './messages.js';
import { deviceEndpoint, fileEndpoint } from './positional.js';
import { streamDestination, streamSource } from './streams.js';

/** How devices are opened, and where on them the copy starts. */
export interface EndpointOptions extends OpenDeviceOptions {
  /** Byte offset on the AoE side (a multiple of 512). Default 0. */
  deviceOffset?: number;
}

/** An opened side; `device` is set for aoe:eX.Y (its per-path stats go into the summary). */
export type Opened<T> = T & { device?: Device };

/** True for 'aoe:eX.Y': copy tells devices from files by the prefix (elsewhere 'e1.1' alone names a device). */
export function isDeviceSpec(spec: string): boolean {
  return spec.startsWith('aoe:');
}

async function openAoe(spec: string, options: EndpointOptions): Promise<Opened<CopySource & CopyDestination>> {
  const base = options.deviceOffset ?? 0;
  if (base % SECTOR_SIZE !== 0) throw new CopyError('ERR_AOE_RANGE', `the offset ${base} on ${spec} is not a multiple of ${SECTOR_SIZE}`);
  const device = await openDevice(spec.slice(4), options);
  // Shown as the device's name (e1.1), as every command shows devices.
  const label = device.name;
  if (base > device.size) {
    await device.close();
    throw new CopyError('ERR_AOE_RANGE', `offset ${formatBytes(base)} is beyond the end of ${label} (${formatBytes(device.size)})`);
  }
  return Object.assign(deviceEndpoint(label, device, base), { device });
}

/** Open a path (in the thread pool: a FIFO's open waits for its other side without stalling anything else). */
async function openPath(spec: string, flags: number): Promise<{ fd: number; stat: fs.Stats }> {
  const fd = await new Promise<number>((resolve, reject) =>
    fs.open(spec, flags, 0o644, (error, opened) => (error ? reject(error) : resolve(opened))),
  ).catch((error: unknown) => {
    const code = (error as { code?: string }).code ?? 'EIO';
    throw new CopyError(code, `cannot open ${spec}: ${code}`);
  });
  const stat = fs.fstatSync(fd);
  if (stat.isDirectory()) {
    fs.closeSync(fd);
    throw new CopyError('EISDIR', `${spec} is a directory`);
  }
  return { fd, stat };
}

/** The source: aoe:eX.Y; '-' for stdin; a regular file or block device (read by position); a pipe or character device (in order). */
export async function openCopySource(spec: string, options: EndpointOptions = {}): Promise<Opened<CopySource>> {
  if (isDeviceSpec(spec)) return openAoe(spec, options);
  // stdin is read as a stream whatever it is: in order, and to its end.
  if (spec === '-') return streamSource('stdin', 0, fs.fstatSync(0), false);
  const { fd, stat } = await openPath(spec, fs.constants.O_RDONLY);
  if (stat.isFile() || stat.isBlockDevice()) return fileEndpoint(spec, fd, stat, false);
  return streamSource(spec, fd, stat, true);
}

/** The destination: aoe:eX.Y; '-' for stdout; a regular file (created or truncated) or block device; a pipe or character device. */
export async function openCopyDestination(spec: string, options: EndpointOptions = {}): Promise<Opened<CopyDestination>> {
  if (isDeviceSpec(spec)) return openAoe(spec, options);
  // stdout is written in order (a pipe, a terminal, or `> file` and `>> file` alike, which a positional write would break).
  if (spec === '-') return streamDestination('stdout', 1, fs.fstatSync(1), false);
  const { fd, stat } = await openPath(spec, fs.constants.O_WRONLY | fs.constants.O_CREAT);
  if (stat.isFile()) {
    // Truncate only now that it is known to be a regular file.
    fs.ftruncateSync(fd, 0);
    return fileEndpoint(spec, fd, stat, true);
  }
  if (stat.isBlockDevice()) return fileEndpoint(spec, fd, stat, true);
  return streamDestination(spec, fd, stat, true);
}
