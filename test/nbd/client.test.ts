// NBD client against the project's own NBD server: data by sha256, merging, multi-conn flush, errors, latching, bounds, reconnect.
import { createHash, randomBytes } from 'node:crypto';
import { rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { MemoryBlockDevice, NbdServer } from '../../src/nbd/index.js';
import { NbdClient, type NbdClientOptions } from '../../src/nbd/client.js';
import type { NbdClientError } from '../../src/nbd/client-errors.js';

const MiB = 1024 * 1024;
const sha = (data: Uint8Array) => createHash('sha256').update(data).digest('hex');
let cleanup: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const step of cleanup.reverse()) await step();
  cleanup = [];
});

let counter = 0;
function socketPath(): string {
  const path = join(tmpdir(), `aoekit-nbd-client-${process.pid}-${counter++}.sock`);
  cleanup.push(() => rmSync(path, { force: true }));
  return path;
}

async function serve(socket: string, device: MemoryBlockDevice, readOnly = false): Promise<NbdServer> {
  const server = new NbdServer({ device, name: 'disk', readOnly });
  await server.listen({ socket });
  cleanup.push(() => server.close(50));
  return server;
}

async function open(socket: string, options: NbdClientOptions = {}): Promise<NbdClient> {
  const client = await NbdClient.open(`nbd+unix:///disk?socket=${socket}`, options);
  cleanup.push(() => client.close(200));
  return client;
}

const read = (client: NbdClient, buffer: Buffer, position: number) =>
  new Promise<number>((resolve, reject) =>
    client.read(buffer, 0, buffer.length, position, (error, bytes) => (error ? reject(error) : resolve(bytes))),
  );
const write = (client: NbdClient, data: Uint8Array, position: number, fua = false) =>
  new Promise<number>((resolve, reject) =>
    client.write(data, 0, data.length, position, fua, (error, bytes) => (error ? reject(error) : resolve(bytes))),
  );
const flush = (client: NbdClient) => new Promise<void>((resolve, reject) => client.flush((error) => (error ? reject(error) : resolve())));
const codeOf = async (promise: Promise<unknown>) => {
  try {
    await promise;
    return 'no error';
  } catch (error) {
    return (error as NbdClientError).code;
  }
};

describe("NBD client against aoekit's NBD server", () => {
  it('negotiates GO with block sizes and multi-conn, writes and reads 8 MiB intact (sha256), FUA and flush', async () => {
    const socket = socketPath();
    const device = new MemoryBlockDevice(16 * MiB);
    await serve(socket, device);
    const client = await open(socket, { connections: 3 });
    expect(client.details).toMatchObject({
      size: 16 * MiB,
      readOnly: false,
      canFlush: true,
      canFua: true,
      canMultiConn: true,
      minimumBlock: 512,
    });
    expect(client.connections).toHaveLength(3);
    const data = randomBytes(8 * MiB);
    await Promise.all(
      Array.from({ length: 8 }, (_, index) =>
        write(client, data.subarray(index * MiB, (index + 1) * MiB), 4 * MiB + index * MiB, index === 0),
      ),
    );
    const flushesBefore = device.flushes; // the FUA write made the server flush once
    await flush(client);
    // One FLUSH per connection: every connection's flush must succeed.
    expect(device.flushes - flushesBefore).toBe(3);
    expect(sha(device.data.subarray(4 * MiB, 12 * MiB))).toBe(sha(data));
    const back = Buffer.alloc(8 * MiB);
    expect(await read(client, back, 4 * MiB)).toBe(8 * MiB);
    expect(sha(back)).toBe(sha(data));
    expect(client.stats().unflushedBytes).toBe(0);
  });

  it('merges contiguous 8.5 KiB operations submitted together into few requests and scatters reads back', async () => {
    const socket = socketPath();
    const device = new MemoryBlockDevice(8 * MiB);
    await serve(socket, device);
    const client = await open(socket, { connections: 1 });
    const frame = 17 * 512;
    const data = randomBytes(frame * 64);
    const frames = Array.from({ length: 64 }, (_, index) => data.subarray(index * frame, (index + 1) * frame));
    await Promise.all(frames.map((chunk, index) => write(client, chunk, index * frame)));
    const afterWrites = client.stats();
    expect(afterWrites.requests + afterWrites.mergedOperations).toBe(64);
    expect(afterWrites.requests).toBeLessThanOrEqual(2);
    const buffers = frames.map(() => Buffer.alloc(frame));
    await Promise.all(buffers.map((buffer, index) => read(client, buffer, index * frame)));
    expect(sha(Buffer.concat(buffers))).toBe(sha(data));
    expect(client.stats().requests).toBeLessThanOrEqual(4);
  });

  it('a failed write is reported with its errno code and every later flush fails, even after the device recovers', async () => {
    const socket = socketPath();
    const device = new MemoryBlockDevice(4 * MiB);
    await serve(socket, device);
    const client = await open(socket);
    device.failNext = { code: 'ENOSPC' };
    expect(await codeOf(write(client, Buffer.alloc(4096, 1), 0))).toBe('ENOSPC');
    expect(await codeOf(flush(client))).toBe('ENOSPC');
    await write(client, Buffer.alloc(4096, 2), 8192);
    expect(await codeOf(flush(client))).toBe('ENOSPC');
    expect(client.writeBackError?.code).toBe('ENOSPC');
  });

  it('a failed read is EIO and does not latch; a failed flush latches', async () => {
    const socket = socketPath();
    const device = new MemoryBlockDevice(4 * MiB);
    await serve(socket, device);
    const client = await open(socket);
    device.failNext = { code: 'EIO' };
    expect(await codeOf(read(client, Buffer.alloc(4096), 0))).toBe('EIO');
    await flush(client);
    await write(client, Buffer.alloc(512, 3), 0);
    device.failNext = { code: 'EIO' };
    expect(await codeOf(flush(client))).toBe('EIO');
    expect(await codeOf(flush(client))).toBe('EIO');
  });

  it('connects over TCP (nbd://host:port/export) as well', async () => {
    const device = new MemoryBlockDevice(MiB);
    const server = new NbdServer({ device, name: 'disk' });
    const address = await server.listen({ host: '127.0.0.1', port: 0 });
    cleanup.push(() => server.close(50));
    const client = await NbdClient.open(`nbd://127.0.0.1:${address.port}/disk`);
    cleanup.push(() => client.close(200));
    const data = randomBytes(64 * 1024);
    await write(client, data, 4096);
    await flush(client);
    expect(sha(device.data.subarray(4096, 4096 + data.length))).toBe(sha(data));
  });

  it('read-only exports: the client says so and refuses writes with EPERM; out-of-range requests are EINVAL', async () => {
    const socket = socketPath();
    await serve(socket, new MemoryBlockDevice(MiB), true);
    const client = await open(socket);
    expect(client.readOnly).toBe(true);
    expect(await codeOf(write(client, Buffer.alloc(512), 0))).toBe('EPERM');
    expect(await codeOf(read(client, Buffer.alloc(1024), MiB - 512))).toBe('EINVAL');
  });

  it('keeps bytes in flight under the bound: requests wait, none fail', async () => {
    const socket = socketPath();
    const device = new MemoryBlockDevice(8 * MiB, () => 2);
    await serve(socket, device);
    const client = await open(socket, { maxBytesInFlight: 256 * 1024 });
    let peak = 0;
    const data = randomBytes(4 * MiB);
    const writes: Promise<number>[] = [];
    for (let index = 0; index < 64; index += 1) {
      // Not contiguous, so nothing merges: 64 separate 64 KiB writes.
      writes.push(write(client, data.subarray(index * 65536, (index + 1) * 65536), (63 - index) * 65536 * 2));
      peak = Math.max(peak, client.bytesInFlight);
    }
    const sampler = setInterval(() => {
      peak = Math.max(peak, client.bytesInFlight);
    }, 1);
    await Promise.all(writes);
    clearInterval(sampler);
    expect(peak).toBeLessThanOrEqual(256 * 1024);
    expect(client.stats().waiting).toBe(0);
    for (let index = 0; index < 64; index += 1) {
      expect(sha(device.data.subarray((63 - index) * 131072, (63 - index) * 131072 + 65536))).toBe(
        sha(data.subarray(index * 65536, (index + 1) * 65536)),
      );
    }
  });

  it('a full journal flushes itself: 8 MiB of unflushed writes through a 1 MiB journal', async () => {
    const socket = socketPath();
    const device = new MemoryBlockDevice(16 * MiB);
    await serve(socket, device);
    const client = await open(socket, { journalBytes: MiB });
    const data = randomBytes(8 * MiB);
    for (let offset = 0; offset < data.length; offset += 128 * 1024)
      await write(client, data.subarray(offset, offset + 128 * 1024), offset);
    expect(client.stats().journalFlushes).toBeGreaterThan(0);
    expect(device.flushes).toBeGreaterThan(0);
    expect(sha(device.data.subarray(0, 8 * MiB))).toBe(sha(data));
  });

  it('one operation larger than the journal and the in-flight bound goes out piece by piece', async () => {
    const socket = socketPath();
    const device = new MemoryBlockDevice(16 * MiB);
    await serve(socket, device);
    const client = await open(socket, { journalBytes: MiB, maxBytesInFlight: 128 * 1024 });
    const data = randomBytes(6 * MiB);
    await write(client, data, MiB);
    const back = Buffer.alloc(6 * MiB);
    await read(client, back, MiB);
    expect(sha(back)).toBe(sha(data));
    expect(sha(device.data.subarray(MiB, 7 * MiB))).toBe(sha(data));
    await flush(client);
    expect(client.stats().unflushedBytes).toBe(0);
  });
});

describe('NBD client reconnects', () => {
  it('replays acknowledged, unflushed writes into a restarted server, retries requests in flight, and the flush then vouches', async () => {
    const socket = socketPath();
    const first = new MemoryBlockDevice(8 * MiB);
    const server = await serve(socket, first);
    const client = await open(socket, { connections: 2 });
    const flushed = randomBytes(MiB);
    await write(client, flushed, 0);
    await flush(client);
    const unflushed = randomBytes(2 * MiB);
    await write(client, unflushed, 2 * MiB);
    // The server dies and comes back with a fresh device (as a server that lost its write-back cache would).
    await server.close(0);
    const second = new MemoryBlockDevice(8 * MiB);
    second.data.set(first.data.subarray(0, MiB), 0);
    const late = randomBytes(MiB);
    const pending = write(client, late, 6 * MiB);
    await new Promise((resolve) => setTimeout(resolve, 300));
    await serve(socket, second);
    await pending;
    await flush(client);
    expect(sha(second.data.subarray(2 * MiB, 4 * MiB))).toBe(sha(unflushed));
    expect(sha(second.data.subarray(6 * MiB, 7 * MiB))).toBe(sha(late));
    expect(sha(second.data.subarray(0, MiB))).toBe(sha(flushed));
    const stats = client.stats();
    expect(stats.reconnects).toBeGreaterThanOrEqual(1);
    expect(stats.replayedWrites).toBeGreaterThanOrEqual(1);
    expect(stats.state).toBe('ready');
    expect(client.writeBackError).toBeNull();
  });

  it('gives up after the reconnect timeout: requests fail with EIO, the flush fails and stays failed', async () => {
    const socket = socketPath();
    const server = await serve(socket, new MemoryBlockDevice(4 * MiB));
    const client = await open(socket, { reconnectTimeoutMs: 600 });
    await write(client, Buffer.alloc(4096, 7), 0);
    await server.close(0);
    const started = Date.now();
    const results = await Promise.all([codeOf(read(client, Buffer.alloc(4096), 0)), codeOf(flush(client))]);
    expect(results).toEqual(['EIO', 'EIO']);
    expect(Date.now() - started).toBeGreaterThanOrEqual(500);
    expect(client.stats().state).toBe('offline');
    expect(await codeOf(read(client, Buffer.alloc(512), 0))).toBe('EIO');
    // The server comes back: reads work again, the journal is replayed, but the flush failure stays.
    await serve(socket, new MemoryBlockDevice(4 * MiB));
    const until = Date.now() + 10_000;
    while (client.stats().state !== 'ready' && Date.now() < until) await new Promise((resolve) => setTimeout(resolve, 50));
    expect(client.stats().state).toBe('ready');
    const back = Buffer.alloc(4096);
    await read(client, back, 0);
    expect(back.every((byte) => byte === 7)).toBe(true);
    expect(await codeOf(flush(client))).toBe('EIO');
  }, 20_000);

  it('giving up on a half-started large operation completes it only after its started pieces answer', async () => {
    const socket = socketPath();
    const device = new MemoryBlockDevice(16 * MiB, (kind) => (kind === 'write' ? 300 : 0));
    const server = await serve(socket, device);
    const client = await open(socket, { journalBytes: MiB, maxBytesInFlight: 256 * 1024, reconnectTimeoutMs: 300, connections: 1 });
    const calls: string[] = [];
    const big = new Promise<void>((resolve) =>
      client.write(Buffer.alloc(4 * MiB, 1), 0, 4 * MiB, 0, false, (error) => {
        calls.push(error?.code ?? 'ok');
        resolve();
      }),
    );
    await new Promise((resolve) => setTimeout(resolve, 50));
    await server.close(0);
    await big;
    expect(calls).toEqual(['EIO']);
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(calls).toEqual(['EIO']);
    expect(client.stats().state).toBe('offline');
  });

  it('fails to open with the errno of the problem: ENOENT socket, unknown export', async () => {
    const socket = socketPath();
    expect(await codeOf(NbdClient.open(`nbd+unix:///disk?socket=${socket}`))).toBe('ENOENT');
    await serve(socket, new MemoryBlockDevice(MiB));
    expect(await codeOf(NbdClient.open(`nbd+unix:///nothere?socket=${socket}`))).toBe('ENOENT');
  });
});
