// NBD server: DISC and close() with requests in flight, --listen parsing, and garbage on one connection.
import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { parseListen } from '../../src/cli/commands/nbd.js';
import { MemoryBlockDevice } from '../../src/nbd/index.js';
import { Command } from '../../src/nbd/protocol.js';
import { RawClient } from './raw-client.js';
import { serveDevice } from './serve-memory.js';

const MiB = 1024 * 1024;
const serve = (options: { delay?: ConstructorParameters<typeof MemoryBlockDevice>[1] } = {}) =>
  serveDevice(new MemoryBlockDevice(4 * MiB, options.delay));

describe('listening and closing', () => {
  it('DISC waits for requests in flight to reply, then closes', async () => {
    const { connect } = await serve({ delay: (kind) => (kind === 'read' ? 50 : 0) });
    const client = await connect();
    await client.open();
    client.sendRequest(Command.Read, 1, 0, 4096);
    client.sendRequest(Command.Disc, 2, 0, 0);
    expect(await client.reply(() => 4096)).toMatchObject({ cookie: 1, error: 0 });
    await client.closed;
  });

  it('close() lets in-flight requests finish and stops accepting', async () => {
    const { connect, server, socket } = await serve({ delay: (kind) => (kind === 'read' ? 50 : 0) });
    const client = await connect();
    await client.open();
    client.sendRequest(Command.Read, 1, 0, 4096);
    await new Promise((resolve) => setTimeout(resolve, 10));
    const closing = server.close(1000);
    expect(await client.reply(() => 4096)).toMatchObject({ cookie: 1, error: 0 });
    await client.closed;
    await closing;
    await expect(RawClient.connect(socket)).rejects.toMatchObject({ code: 'ENOENT' });
  });

  it('parseListen: HOST:PORT, [v6]:PORT, PORT', () => {
    expect(parseListen('0.0.0.0:10809')).toEqual({ host: '0.0.0.0', port: 10809 });
    expect(parseListen('[::1]:99')).toEqual({ host: '::1', port: 99 });
    expect(parseListen('10810')).toEqual({ host: '127.0.0.1', port: 10810 });
    expect(() => parseListen('host:port')).toThrow(/--listen/);
  });
});

describe('protocol violations', () => {
  it('garbage closes only that connection; another keeps working', async () => {
    const { connect } = await serve();
    const good = await connect();
    await good.open();
    const bad = await connect();
    await bad.open();
    bad.write(Buffer.from('this is not an NBD request at all....'));
    await bad.closed;
    const badOption = await connect();
    await badOption.greet();
    badOption.write(Buffer.alloc(16, 0xff));
    await badOption.closed;
    const data = randomBytes(4096);
    good.sendRequest(Command.Write, 1, 0, 4096, 0, data);
    expect((await good.reply()).error).toBe(0);
    good.sendRequest(Command.Read, 2, 0, 4096);
    expect((await good.reply(() => 4096)).data.equals(data)).toBe(true);
  });
});
