// What a user reads when a copy cannot go on: sizes in binary units, the offset's effect on a device, a write the target refused.
import { CopyError } from './endpoint.js';

const UNITS: ReadonlyArray<readonly [string, number]> = [
  ['TiB', 2 ** 40],
  ['GiB', 2 ** 30],
  ['MiB', 2 ** 20],
  ['KiB', 2 ** 10],
];

/** '64 MiB', '1 GiB', '512 bytes'; a size that is not a whole number of its unit also gets its exact byte count. */
export function formatBytes(bytes: number): string {
  for (const [unit, scale] of UNITS) {
    if (bytes < scale) continue;
    if (bytes % scale === 0) return `${bytes / scale} ${unit}`;
    return `${(bytes / scale).toFixed(1)} ${unit} (${bytes} bytes)`;
  }
  return `${bytes} byte${bytes === 1 ? '' : 's'}`;
}

/** Where on its device an endpoint starts: set for AoE devices, so messages can say what the offset leaves. */
export interface DeviceWindow {
  /** Byte offset on the device (--offset). */
  offset: number;
  /** The whole device's size in bytes. */
  deviceSize: number;
}

/** 'e1.1, which holds 64 MiB', or with an offset: 'offset 63 MiB leaves 1 MiB of e1.1 (64 MiB)'. */
export function describeRoom(label: string, size: number, window: DeviceWindow | undefined): string {
  if (window === undefined || window.offset === 0) return `${label}, which holds ${formatBytes(size)}`;
  return `offset ${formatBytes(window.offset)} leaves ${formatBytes(size)} of ${label} (${formatBytes(window.deviceSize)})`;
}

/**
 * A WRITE the target answered with ATA ABRT: aoeblade and vblade do that for a read-only export (and for a
 * backing store out of space or permission). Said so, keeping the stable code ERR_ATA_ABORT; other errors pass.
 */
export function explainWriteError(error: unknown, label: string): unknown {
  if ((error as { code?: unknown } | null)?.code !== 'ERR_ATA_ABORT') return error;
  return new CopyError(
    'ERR_ATA_ABORT',
    `${label} refused the write (ATA ABRT): the export is read-only, or the target's disk is out of space or permission`,
  );
}
