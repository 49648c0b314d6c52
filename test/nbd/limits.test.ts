import { performance } from 'node:perf_hooks';
import { describe, expect, it } from 'vitest';
import { MemoryBlockDevice, NbdServer, resolveLimits, type NbdServerOptions } from '../../src/nbd/index.js';
import { Command, Info, NbdError, Option, Reply } from '../../src/nbd/protocol.js';
import type { RawClient } from './raw-client.js';
import { serveDevice } from './serve-memory.js';

const MiB = 1024 * 1024;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** A server over a RAM device that counts the bytes it was asked to read. */
async function serve(options: Omit<NbdServerOptions, 'device'> & { size?: number; readDelayMs?: number } = {}) {
  const { size, readDelayMs, ...serverOptions } = options;
  const device = new MemoryBlockDevice(size ?? 8 * MiB, (kind) => (kind === 'read' ? (readDelayMs ?? 0) : 0));
  const counted = { reads: 0, bytesRead: 0 };
  const readInto = device.readInto.bind(device);
  device.readInto = (buffer, offset) => {
    counted.reads += 1;
    counted.bytesRead += buffer.length;
    return readInto(buffer, offset);
  };
  const served = await serveDevice(device, serverOptions);
  return { ...served, counted };
}

describe('request size', () => {
  it('a READ or WRITE over the maximum request size gets EINVAL, the maximum is advertised, and the connection keeps working', async () => {
    const { connect, device } = await serve({ maxRequestBytes: MiB });
    const client = await connect();
    await client.greet();
    const replies = await client.infoOrGo(Option.Go, 'disk', [Info.BlockSize]);
    const blockSize = replies.find((reply) => reply.type === Reply.Info && reply.data.readUInt16BE(0) === Info.BlockSize);
    expect(blockSize?.data.readUInt32BE(10)).toBe(MiB);
    client.sendRequest(Command.Read, 1, 0, 2 * MiB);
    expect(await client.reply()).toMatchObject({ cookie: 1, error: NbdError.EINVAL });
    client.sendRequest(Command.Write, 2, 0, 2 * MiB, 0, Buffer.alloc(2 * MiB, 0x55));
    expect(await client.reply()).toMatchObject({ cookie: 2, error: NbdError.EINVAL });
    expect(device.data[0]).toBe(0);
    client.sendRequest(Command.Write, 3, 0, MiB, 0, Buffer.alloc(MiB, 0x66));
    expect(await client.reply()).toMatchObject({ cookie: 3, error: 0 });
    client.sendRequest(Command.Read, 4, 0, MiB);
    const read = await client.reply(() => MiB);
    expect(read.error).toBe(0);
    expect(read.data.every((byte) => byte === 0x66)).toBe(true);
  });

  it('limits are checked: a request maximum under 4 KiB, or budgets smaller than one request, are refused with ERR_NBD_OPTIONS', () => {
    expect(resolveLimits()).toMatchObject({
      maxRequestBytes: 32 * MiB,
      connectionBufferBytes: 64 * MiB,
      serverBufferBytes: 256 * MiB,
      maxConnections: 16,
    });
    expect(() => resolveLimits({ maxRequestBytes: 1024 })).toThrow(expect.objectContaining({ code: 'ERR_NBD_OPTIONS' }));
    expect(() => resolveLimits({ connectionBufferBytes: 16 * MiB })).toThrow(
      /connectionBufferBytes must be at least maxRequestBytes \(32 MiB\)/,
    );
    expect(() =>
      resolveLimits({ serverBufferBytes: 1 * MiB }, { serverBufferBytes: '--server-buffer', connectionBufferBytes: '--connection-buffer' }),
    ).toThrow(/--server-buffer must be at least --connection-buffer \(64 MiB\)/);
    expect(() => new NbdServer({ device: new MemoryBlockDevice(MiB), maxConnections: 0 })).toThrow(/maxConnections/);
  });
});

describe('connections', () => {
  it('connections past the limit are closed before the greeting; the ones inside it keep working', async () => {
    const { connect, server } = await serve({ maxConnections: 2 });
    const first = await connect();
    await first.open('disk');
    const second = await connect();
    await second.open('disk');
    const third = await connect();
    await expect(third.read(18)).rejects.toMatchObject({ code: 'ECLOSED' });
    expect(server.stats()).toMatchObject({ connections: 2, refusedConnections: 1 });
    first.sendRequest(Command.Read, 1, 0, 512);
    expect(await first.reply(() => 512)).toMatchObject({ cookie: 1, error: 0 });
    first.close();
    await first.closed;
    for (const until = Date.now() + 2000; server.activeConnections > 1 && Date.now() < until; ) await sleep(10);
    const fourth = await connect();
    await fourth.open('disk');
    fourth.sendRequest(Command.Read, 2, 0, 512);
    expect(await fourth.reply(() => 512)).toMatchObject({ cookie: 2, error: 0 });
  });

  it('requests of a closed connection that had not reached the device are never issued to it', async () => {
    // One 1 MiB chunk at the device at a time, each read taking 20 ms: 16 reads of 1 MiB queue up behind the first.
    const { connect, counted, server } = await serve({ deviceQueueBytes: MiB, readDelayMs: 20 });
    const client = await connect();
    await client.open('disk');
    for (let cookie = 1; cookie <= 16; cookie += 1) client.sendRequest(Command.Read, cookie, 0, MiB);
    await sleep(30);
    client.close();
    await client.closed;
    await sleep(300);
    expect(counted.reads).toBeLessThanOrEqual(3);
    expect(server.stats()).toMatchObject({ bytesInFlight: 0, deviceBytes: 0 });
    expect(server.stats().cancelledChunks).toBeGreaterThanOrEqual(13);
  });
});

describe('bytes in flight', () => {
  it('clients that never read their replies are held to the connection and server budgets, and another client is still answered', async () => {
    const { connect, counted, server } = await serve({ maxRequestBytes: MiB, connectionBufferBytes: 4 * MiB, serverBufferBytes: 8 * MiB });
    const abusers: RawClient[] = [];
    for (let index = 0; index < 3; index += 1) {
      const client = await connect();
      await client.open('disk');
      client.socket.pause();
      for (let cookie = 1; cookie <= 32; cookie += 1) client.sendRequest(Command.Read, cookie, (cookie % 8) * MiB, MiB);
      abusers.push(client);
    }
    await sleep(300);
    // 3 clients x 32 MiB asked; the server took in at most its 8 MiB budget (each client at most 4 MiB of it).
    expect(counted.bytesRead).toBeLessThanOrEqual(8 * MiB);
    expect(server.stats().bytesInFlight).toBeLessThanOrEqual(8 * MiB);
    const good = await connect();
    await good.open('disk');
    const started = performance.now();
    good.sendRequest(Command.Read, 1, 0, 4096);
    expect(await good.reply(() => 4096)).toMatchObject({ cookie: 1, error: 0 });
    expect(performance.now() - started).toBeLessThan(1000);
    for (const client of abusers) client.close();
    for (const until = Date.now() + 2000; server.stats().bytesInFlight > 0 && Date.now() < until; ) await sleep(10);
    expect(server.stats().bytesInFlight).toBe(0);
  });

  it('an NBD client that floods options without reading the replies is not read further', async () => {
    const { connect, server } = await serve();
    const client = await connect();
    await client.greet();
    client.socket.pause();
    const list = Buffer.alloc(16);
    list.writeBigUInt64BE(0x49484156454f5054n, 0);
    list.writeUInt32BE(Option.List, 8);
    client.write(Buffer.concat(Array.from({ length: 50_000 }, () => list)));
    await sleep(500);
    // 50,000 LISTs would be about 2.7 MB of replies; the server stops reading at 256 KiB waiting in the socket.
    expect(server.stats().bufferedReplyBytes).toBeLessThan(512 * 1024);
  });
});
