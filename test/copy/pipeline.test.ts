// The copy pipeline over in-memory endpoints: pipes read to their end and in order, byte counts that must add up, errors that stay errors.
import { createHash, randomBytes } from 'node:crypto';
import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { copy, type CopyDestination, type CopySource } from '../../src/copy/index.js';
import { StreamReader } from '../../src/copy/streams.js';

const sha256 = (data: Uint8Array) => createHash('sha256').update(data).digest('hex');
const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** A positional in-memory side; reads and writes take a random few ms, so they complete out of order. */
function memory(data: Buffer, options: { sectorAligned?: boolean; bounded?: boolean } = {}) {
  const state = { finished: 0, maxInFlight: 0, inFlight: 0 };
  const side: CopySource & CopyDestination = {
    label: 'memory',
    size: options.bounded === false ? undefined : data.length,
    sequential: false,
    sectorAligned: options.sectorAligned ?? false,
    read: async (buffer, position, length) => {
      await pause(Math.random() * 3);
      const bytes = Math.max(0, Math.min(length, data.length - position));
      data.copy(buffer, 0, position, position + bytes);
      return bytes;
    },
    write: async (chunk, position) => {
      state.inFlight += 1;
      state.maxInFlight = Math.max(state.maxInFlight, state.inFlight);
      await pause(Math.random() * 3);
      chunk.copy(data, position);
      state.inFlight -= 1;
    },
    finish: async () => {
      state.finished += 1;
    },
    close: async () => {},
  };
  return { side, state };
}

/** A pipe fed in odd-sized pieces, read through the same StreamReader the real stdin source uses. */
function pipeSource(content: Buffer): CopySource {
  const stream = new PassThrough();
  const reader = new StreamReader(stream);
  void (async () => {
    for (let at = 0; at < content.length; ) {
      const piece = 1 + Math.floor(Math.random() * 70_000);
      stream.write(content.subarray(at, at + piece));
      at += piece;
      await pause(0);
    }
    stream.end();
  })();
  return {
    label: 'pipe',
    size: undefined,
    sequential: true,
    read: (buffer, _position, length) => reader.read(buffer.subarray(0, length)),
    close: async () => {},
  };
}

/** A sink that must receive bytes in order (like stdout). */
function pipeDestination() {
  const received: Buffer[] = [];
  let finished = false;
  const side: CopyDestination = {
    label: 'pipe',
    size: undefined,
    sequential: true,
    sectorAligned: false,
    write: async (chunk) => {
      received.push(Buffer.from(chunk));
      await pause(Math.random() * 2);
    },
    finish: async () => {
      finished = true;
    },
    close: async () => {},
  };
  return { side, received: () => Buffer.concat(received), finished: () => finished };
}

describe('copy pipeline', () => {
  it('a pipe of unknown length is copied to its end, in order, and every byte arrives', async () => {
    const content = randomBytes(3 * 1024 * 1024 + 777);
    const target = memory(Buffer.alloc(8 * 1024 * 1024));
    const result = await copy(pipeSource(content), target.side, { chunkBytes: 64 * 1024, depth: 8 });
    expect(result.bytes).toBe(content.length);
    expect(sha256(await readBack(target.side, content.length))).toBe(sha256(content));
    expect(target.state.finished).toBe(1);
    expect(target.state.maxInFlight).toBeGreaterThan(1);
  });

  it('a positional source goes to a pipe in byte order although its reads finish out of order', async () => {
    const content = randomBytes(2 * 1024 * 1024 + 100);
    const sink = pipeDestination();
    const result = await copy(memory(content).side, sink.side, { chunkBytes: 32 * 1024, depth: 16 });
    expect(result.bytes).toBe(content.length);
    expect(sha256(sink.received())).toBe(sha256(content));
    expect(sink.finished()).toBe(true);
  });

  it('a source that ends before --length is a short copy (ERR_AOE_SHORT_COPY), and nothing is reported finished', async () => {
    const target = memory(Buffer.alloc(1024 * 1024));
    await expect(copy(pipeSource(randomBytes(1000)), target.side, { length: 4096, chunkBytes: 1024 })).rejects.toMatchObject({
      code: 'ERR_AOE_SHORT_COPY',
    });
    expect(target.state.finished).toBe(0);
  });

  it('a pipe holding more than the destination fails with ERR_AOE_RANGE instead of stopping silently', async () => {
    const target = memory(Buffer.alloc(64 * 1024));
    await expect(copy(pipeSource(randomBytes(100 * 1024)), target.side, { chunkBytes: 16 * 1024 })).rejects.toMatchObject({
      code: 'ERR_AOE_RANGE',
    });
    expect(target.state.finished).toBe(0);
  });

  it('a write error fails the copy with its own code and stops it', async () => {
    const target = memory(Buffer.alloc(1024 * 1024));
    let writes = 0;
    const failing: CopyDestination = {
      ...target.side,
      write: async () => {
        writes += 1;
        throw Object.assign(new Error('disk gone'), { code: 'EIO' });
      },
    };
    await expect(copy(memory(randomBytes(1024 * 1024)).side, failing, { chunkBytes: 4096, depth: 4 })).rejects.toMatchObject({
      code: 'EIO',
    });
    expect(writes).toBeLessThanOrEqual(4);
    expect(target.state.finished).toBe(0);
  });

  it('a failing finish (flush) fails the copy', async () => {
    const target = memory(Buffer.alloc(64 * 1024));
    const failing: CopyDestination = {
      ...target.side,
      finish: async () => {
        throw Object.assign(new Error('FLUSH failed'), { code: 'ERR_ATA_UNC' });
      },
    };
    await expect(copy(memory(randomBytes(64 * 1024)).side, failing, { chunkBytes: 4096 })).rejects.toMatchObject({ code: 'ERR_ATA_UNC' });
  });

  it('an unaligned tail to a sector device is padded with zeros, and only the real bytes count', async () => {
    const device = memory(Buffer.alloc(64 * 1024, 0xff), { sectorAligned: true });
    const notes: string[] = [];
    const result = await copy(pipeSource(randomBytes(1000)), device.side, { chunkBytes: 4096, onNote: (note) => notes.push(note) });
    expect(result.bytes).toBe(1000);
    const back = await readBack(device.side, 1024);
    expect(back.subarray(1000, 1024).every((byte) => byte === 0)).toBe(true);
    expect(notes[0]).toMatch(/padding the last 24 bytes/);
  });
});

async function readBack(side: CopySource, length: number): Promise<Buffer> {
  const buffer = Buffer.alloc(length);
  await side.read(buffer, 0, length);
  return buffer;
}
