// The block device the NBD server exports (an initiator Device fits it), an in-memory one, and device-error -> NBD errno.
import { NbdError } from './protocol.js';

/** What the NBD server needs from a device. Offsets and lengths it passes are multiples of `sectorSize`. */
export interface BlockDevice {
  readonly size: number;
  /** Fill `buffer` from byte `offset`. */
  readInto(buffer: Uint8Array, offset: number): Promise<void>;
  /** Write `data` at byte `offset`; `data` is not touched until the promise settles. */
  write(offset: number, data: Uint8Array): Promise<void>;
  /** Make every completed write durable. */
  flush(): Promise<void>;
}

/** A device over a Buffer, for tests and demos. `delay(kind, offset)` lets tests reorder completions. */
export class MemoryBlockDevice implements BlockDevice {
  readonly data: Buffer;
  flushes = 0;
  failNext: { code: string } | undefined;
  constructor(
    size: number,
    private readonly delay?: (kind: 'read' | 'write' | 'flush', offset: number) => number,
  ) {
    this.data = Buffer.alloc(size);
  }
  get size(): number {
    return this.data.length;
  }

  async readInto(buffer: Uint8Array, offset: number): Promise<void> {
    await this.wait('read', offset);
    this.check(offset, buffer.length);
    buffer.set(this.data.subarray(offset, offset + buffer.length));
  }

  async write(offset: number, data: Uint8Array): Promise<void> {
    await this.wait('write', offset);
    this.check(offset, data.length);
    this.data.set(data, offset);
  }

  async flush(): Promise<void> {
    await this.wait('flush', 0);
    this.flushes += 1;
  }

  private async wait(kind: 'read' | 'write' | 'flush', offset: number): Promise<void> {
    const ms = this.delay?.(kind, offset) ?? 0;
    if (ms > 0) await new Promise((resolve) => setTimeout(resolve, ms));
    if (this.failNext) {
      const { code } = this.failNext;
      this.failNext = undefined;
      throw Object.assign(new Error(`injected ${code}`), { code });
    }
  }

  private check(offset: number, length: number): void {
    if (offset % 512 !== 0 || length % 512 !== 0) throw Object.assign(new Error('unaligned'), { code: 'ERR_AOE_ALIGNMENT' });
    if (offset + length > this.data.length) throw Object.assign(new Error('beyond the end'), { code: 'ERR_AOE_RANGE' });
  }
}

/**
 * A device error -> the NBD error to reply with. Out of range is EINVAL for reads and ENOSPC for writes
 * (the spec's advice); a closed device is ESHUTDOWN; a WRITE the target refused with ATA ABRT (what
 * aoeblade and vblade answer for a read-only export) is EPERM; anything else from the wire or the disk is EIO.
 */
export function nbdErrorFor(error: unknown, writing: boolean): number {
  const code = (error as { code?: unknown } | null)?.code;
  switch (code) {
    case 'ERR_AOE_RANGE':
    case 'ERR_ATA_IDNF':
      return writing ? NbdError.ENOSPC : NbdError.EINVAL;
    case 'ERR_AOE_ALIGNMENT':
    case 'EINVAL':
      return NbdError.EINVAL;
    case 'ERR_AOE_CLOSED':
      return NbdError.ESHUTDOWN;
    case 'EPERM':
    case 'EROFS':
      return NbdError.EPERM;
    case 'ERR_ATA_ABORT':
      return writing ? NbdError.EPERM : NbdError.EIO;
    case 'ENOSPC':
      return NbdError.ENOSPC;
    case 'ENOMEM':
      return NbdError.ENOMEM;
    default:
      return NbdError.EIO;
  }
}
