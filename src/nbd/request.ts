// One NBD transmission request: its parsed fields, and how it runs against the device (in chunks, through the shared scheduler).
import type { Logger } from '../log.js';
import { nbdErrorFor } from './block-device.js';
import type { BlockIo } from './block-io.js';
import type { BufferPool } from './buffer-pool.js';
import type { ExportInfo } from './handshake.js';
import type { IoScheduler } from './io-scheduler.js';
import { Command, CommandFlag, NbdError } from './protocol.js';

export interface Request {
  flags: number;
  type: number;
  offset: number;
  length: number;
  /** The simple reply header, cookie already copied in. */
  reply: Buffer;
  /** Bytes charged to the connection's and the server's budgets until the reply has left (0 once refunded). */
  charge: number;
  /** True from the start of its device work until its outcome is known. */
  running: boolean;
}

export interface RequestContext {
  exported: ExportInfo;
  io: BlockIo;
  pool: BufferPool;
  scheduler: IoScheduler;
  /** Whose queue the request's chunks join (the connection). */
  owner: object;
  maxRequestBytes: number;
  /** WRITEs of this connection still running: a FLUSH waits for them. */
  writes: ReadonlySet<Promise<unknown>>;
  logger: Logger;
}

export interface Outcome {
  /** NBD error (0 = success). */
  error: number;
  /** READ data (a pool buffer, `length` bytes used); the caller releases it. */
  data?: Buffer;
}

/** Run one request; never rejects. */
export async function executeRequest(context: RequestContext, request: Request, payload: Buffer | undefined): Promise<Outcome> {
  const { type, offset, length, flags } = request;
  const { exported, io, scheduler, owner } = context;
  const writing = type === Command.Write || type === Command.WriteZeroes || type === Command.Trim;
  let data: Buffer | undefined;
  try {
    if (type !== Command.Flush && length === 0) return { error: NbdError.EINVAL };
    if (type !== Command.Flush && offset + length > exported.size) return { error: writing ? NbdError.ENOSPC : NbdError.EINVAL };
    if (writing && exported.readOnly) return { error: NbdError.EPERM };
    switch (type) {
      case Command.Read: {
        // The spec wants EINVAL (not EOVERFLOW) for a READ over the advertised maximum payload.
        if (length > context.maxRequestBytes) return { error: NbdError.EINVAL };
        const buffer = context.pool.acquire(length);
        data = buffer;
        await scheduler.runChunked(owner, offset, length, (at, bytes) => io.read(buffer.subarray(at - offset, at - offset + bytes), at));
        return { error: 0, data: buffer };
      }
      case Command.Write: {
        const source = payload as Buffer;
        await scheduler.runChunked(owner, offset, length, (at, bytes) => io.write(at, source.subarray(at - offset, at - offset + bytes)));
        if (flags & CommandFlag.Fua) await io.device.flush();
        return { error: 0 };
      }
      case Command.WriteZeroes:
        if (flags & CommandFlag.FastZero) return { error: NbdError.ENOTSUP };
        await scheduler.runChunked(owner, offset, length, (at, bytes) => io.writeZeroes(at, bytes));
        if (flags & CommandFlag.Fua) await io.device.flush();
        return { error: 0 };
      case Command.Trim:
        // Accepted and ignored: AoE has no discard. FUA still means "durable before the reply".
        if (flags & CommandFlag.Fua) await io.device.flush();
        return { error: 0 };
      case Command.Flush:
        await Promise.allSettled([...context.writes]);
        await io.device.flush();
        return { error: 0 };
      case Command.Cache:
        // A hint; nothing to prefetch into.
        return { error: 0 };
      default:
        return { error: NbdError.EINVAL };
    }
  } catch (failure) {
    if (data) context.pool.release(data);
    if ((failure as { code?: unknown }).code !== 'ERR_NBD_CANCELLED')
      context.logger.debug({ err: failure, type, offset, length }, 'nbd request failed');
    return { error: nbdErrorFor(failure, writing || type === Command.Flush) };
  }
}
