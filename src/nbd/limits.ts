// The NBD server's resource limits: defaults, validation, and what one request costs against the byte budgets.
import { pooledSize } from './buffer-pool.js';
import { Command } from './protocol.js';

const MiB = 1024 * 1024;

export interface NbdLimits {
  /** Largest READ or WRITE payload (advertised as the maximum block size); larger ones get EINVAL. Default 32 MiB (nbdkit's). */
  maxRequestBytes: number;
  /** Bytes one connection may hold in flight: WRITE payloads being written, READ buffers, replies the client has not taken yet. Default 64 MiB. */
  connectionBufferBytes: number;
  /** The same, summed over every connection. Default 256 MiB. */
  serverBufferBytes: number;
  /** Connections served at once; more are closed at once (before the greeting). Default 16. */
  maxConnections: number;
  /** Requests in flight per connection. Default 32. */
  queueDepth: number;
  /** Bytes issued to the device at once, over all connections (requests go in 1 MiB chunks, round robin). Default 16 MiB. */
  deviceQueueBytes: number;
}

export const DEFAULT_LIMITS: Readonly<NbdLimits> = {
  maxRequestBytes: 32 * MiB,
  connectionBufferBytes: 64 * MiB,
  serverBufferBytes: 256 * MiB,
  maxConnections: 16,
  queueDepth: 32,
  deviceQueueBytes: 16 * MiB,
};

/** What every request costs on top of its payload: header, reply and bookkeeping, so that empty requests are bounded too. */
export const REQUEST_COST_BYTES = 1024;
/** A connection with nothing in flight may always start one request this small, even when the server's budget is spent. */
export const SMALL_REQUEST_BYTES = 1 * MiB;
/** Requests reach the device in pieces this long. */
export const CHUNK_BYTES = 1 * MiB;

export class NbdOptionsError extends Error {
  readonly code = 'ERR_NBD_OPTIONS';
  constructor(message: string) {
    super(message);
    this.name = 'NbdOptionsError';
  }
}

/** 33554432 -> '32 MiB', 1000 -> '1000 bytes'. */
function formatBytes(bytes: number): string {
  for (const [unit, size] of [
    ['GiB', 2 ** 30],
    ['MiB', 2 ** 20],
    ['KiB', 2 ** 10],
  ] as const) {
    if (bytes >= size && bytes % size === 0) return `${bytes / size} ${unit}`;
  }
  return `${bytes} bytes`;
}

/**
 * Defaults filled in and every limit checked (ERR_NBD_OPTIONS). `names` says what to call each limit in messages
 * (the CLI passes its flag names).
 */
export function resolveLimits(given: Partial<NbdLimits> = {}, names: Partial<Record<keyof NbdLimits, string>> = {}): NbdLimits {
  const limits = {
    ...DEFAULT_LIMITS,
    ...Object.fromEntries(Object.entries(given).filter(([, value]) => value !== undefined)),
  } as NbdLimits;
  const check = (key: keyof NbdLimits, min: number, max: number, bytes: boolean, minName?: keyof NbdLimits) => {
    const value = limits[key];
    if (Number.isSafeInteger(value) && value >= min && value <= max) return;
    const shown = (amount: number) => (bytes ? formatBytes(amount) : String(amount));
    const lower = minName ? `${names[minName] ?? minName} (${shown(min)})` : shown(min);
    throw new NbdOptionsError(`${names[key] ?? key} must be at least ${lower} and at most ${shown(max)}, got ${shown(value)}`);
  };
  check('maxRequestBytes', 4096, 2 ** 31, true);
  check('connectionBufferBytes', limits.maxRequestBytes, 2 ** 48, true, 'maxRequestBytes');
  check('serverBufferBytes', limits.connectionBufferBytes, 2 ** 48, true, 'connectionBufferBytes');
  check('maxConnections', 1, 65536, false);
  check('queueDepth', 1, 1024, false);
  check('deviceQueueBytes', CHUNK_BYTES, 2 ** 48, true);
  return limits;
}

/**
 * Bytes a request may hold while in flight: its READ buffer or WRITE payload (plus scratch for unaligned edges)
 * and the fixed cost. Requests refused before they touch memory (too long, beyond the end) cost the fixed part only.
 */
export function requestCost(type: number, offset: number, length: number, limits: NbdLimits, exportSize: number): number {
  const payload =
    (type === Command.Read || type === Command.Write) && length > 0 && length <= limits.maxRequestBytes && offset + length <= exportSize;
  if (!payload) return REQUEST_COST_BYTES;
  const unaligned = offset % 512 !== 0 || length % 512 !== 0;
  const scratch = unaligned ? 2 * pooledSize(Math.min(length, CHUNK_BYTES) + 1024) : 0;
  const buffer = type === Command.Read ? pooledSize(length) : length;
  return buffer + scratch + REQUEST_COST_BYTES;
}
