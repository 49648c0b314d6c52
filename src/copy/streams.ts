// Copy endpoints over streams: pipes, FIFOs, sockets, stdin/stdout and character devices, read and written strictly in order.
import fs from 'node:fs';
import net from 'node:net';
import type { Readable, Writable } from 'node:stream';
import { CopyError, type CopyDestination, type CopySource } from './endpoint.js';

/** Pipes, FIFOs and sockets get a non-blocking libuv handle; anything else (character devices) goes through the thread pool. */
function isPipeLike(stat: fs.Stats): boolean {
  return stat.isFIFO() || stat.isSocket();
}

/** Pulls exact byte counts out of a readable stream in paused mode (no 'data' flood, so memory stays at one chunk or so). */
export class StreamReader {
  private ended = false;
  private failure: Error | null = null;
  private wake: (() => void) | null = null;

  constructor(private readonly stream: Readable) {
    stream.on('readable', this.notify);
    stream.on('end', () => {
      this.ended = true;
      this.notify();
    });
    stream.on('error', (error: Error) => {
      this.failure = error;
      this.notify();
    });
  }

  private readonly notify = (): void => {
    const wake = this.wake;
    this.wake = null;
    wake?.();
  };

  /** Fill `buffer`; resolves with the bytes read, fewer than buffer.length only at the end of the stream. */
  async read(buffer: Buffer): Promise<number> {
    let filled = 0;
    while (filled < buffer.length) {
      if (this.failure !== null) throw this.failure;
      const chunk = this.stream.read() as Buffer | null;
      if (chunk === null) {
        if (this.ended || this.stream.readableEnded) break;
        await new Promise<void>((resolve) => {
          this.wake = resolve;
        });
        continue;
      }
      const take = Math.min(chunk.length, buffer.length - filled);
      chunk.copy(buffer, filled, 0, take);
      filled += take;
      if (take < chunk.length) this.stream.unshift(chunk.subarray(take));
    }
    return filled;
  }
}

/** A source read in order from file descriptor `fd` (stdin, a FIFO, /dev/urandom). */
export function streamSource(label: string, fd: number, stat: fs.Stats, ownsFd: boolean): CopySource {
  const stream: Readable = isPipeLike(stat)
    ? new net.Socket({ fd, readable: true, writable: false, allowHalfOpen: true })
    : fs.createReadStream('', { fd, autoClose: ownsFd, highWaterMark: 1 << 20 });
  if (stream instanceof net.Socket) stream.pause();
  const reader = new StreamReader(stream);
  return {
    label,
    size: undefined,
    sequential: true,
    read: (buffer, _position, length) =>
      reader.read(buffer.subarray(0, length)).catch((error: unknown) => {
        throw ioError(`cannot read ${label}`, error);
      }),
    // Destroying a socket closes its descriptor (libuv owns it); a file stream closes it only when it owns it.
    close: async () => {
      stream.destroy();
    },
  };
}

/** A destination written in order to file descriptor `fd` (stdout, a FIFO, /dev/null). */
export function streamDestination(label: string, fd: number, stat: fs.Stats, ownsFd: boolean): CopyDestination {
  const stream: Writable = isPipeLike(stat)
    ? new net.Socket({ fd, readable: false, writable: true })
    : fs.createWriteStream('', { fd, autoClose: ownsFd });
  let failure: Error | null = null;
  // A reader that went away (EPIPE) or any other error fails the copy with that error, once, as a value.
  stream.on('error', (error: Error) => {
    failure ??= error;
  });
  return {
    label,
    size: undefined,
    sequential: true,
    sectorAligned: false,
    // The callback runs once the bytes left our buffer, so the caller may reuse `data` afterwards.
    write: (data) =>
      new Promise<void>((resolve, reject) => {
        if (failure !== null) {
          reject(ioError(`cannot write ${label}`, failure));
          return;
        }
        stream.write(data, (error) => {
          if (error) reject(ioError(`cannot write ${label}`, error));
          else resolve();
        });
      }),
    finish: () =>
      new Promise<void>((resolve, reject) => {
        if (failure !== null) {
          reject(ioError(`cannot write ${label}`, failure));
          return;
        }
        stream.end(() => (failure !== null ? reject(ioError(`cannot write ${label}`, failure)) : resolve()));
      }),
    // Destroying a socket closes its descriptor (libuv owns it); a file stream closes it only when it owns it.
    close: async () => {
      stream.destroy();
    },
  };
}

/** An I/O error in the user's terms, keeping the errno code (EPIPE, EIO, ...). */
export function ioError(what: string, error: unknown): CopyError {
  const code = (error as { code?: unknown }).code;
  const name = typeof code === 'string' ? code : 'EIO';
  return new CopyError(name, `${what}: ${(error as Error).message ?? String(error)}`);
}
