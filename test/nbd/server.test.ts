// NBD server over an in-memory device: handshake variants, every command, errors, concurrency, read-only.
import { createHash, randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { MemoryBlockDevice, nbdErrorFor } from '../../src/nbd/index.js';
import { Command, CommandFlag, HandshakeFlag, Info, NbdError, Option, Reply, TransmissionFlag } from '../../src/nbd/protocol.js';
import { serveDevice } from './serve-memory.js';

const MiB = 1024 * 1024;
/** A server over a RAM device of `size` (default 4 MiB), with an optional per-operation delay. */
async function serve(
  options: {
    size?: number;
    readOnly?: boolean;
    name?: string;
    queueDepth?: number;
    delay?: ConstructorParameters<typeof MemoryBlockDevice>[1];
  } = {},
) {
  const device = new MemoryBlockDevice(options.size ?? 4 * MiB, options.delay);
  return serveDevice(device, { name: options.name ?? 'disk', readOnly: options.readOnly, queueDepth: options.queueDepth });
}

const sha = (data: Uint8Array) => createHash('sha256').update(data).digest('hex');

describe('handshake', () => {
  it('greets with fixed newstyle + no zeroes, and GO returns size, flags and block sizes', async () => {
    const { connect } = await serve();
    const client = await connect();
    expect(await client.greet()).toBe(HandshakeFlag.FixedNewstyle | HandshakeFlag.NoZeroes);
    const replies = await client.infoOrGo(Option.Go, 'disk', [Info.BlockSize, Info.Name, Info.Description]);
    expect(replies.map((reply) => reply.type)).toEqual([Reply.Info, Reply.Info, Reply.Info, Reply.Info, Reply.Ack]);
    const byInfo = new Map(replies.slice(0, -1).map((reply) => [reply.data.readUInt16BE(0), reply.data]));
    const exported = byInfo.get(Info.Export) as Buffer;
    expect(Number(exported.readBigUInt64BE(2))).toBe(4 * MiB);
    const flags = exported.readUInt16BE(10);
    for (const flag of [
      TransmissionFlag.HasFlags,
      TransmissionFlag.SendFlush,
      TransmissionFlag.SendFua,
      TransmissionFlag.SendTrim,
      TransmissionFlag.SendWriteZeroes,
    ]) {
      expect(flags & flag).toBe(flag);
    }
    expect(flags & TransmissionFlag.ReadOnly).toBe(0);
    const blockSize = byInfo.get(Info.BlockSize) as Buffer;
    expect([blockSize.readUInt32BE(2), blockSize.readUInt32BE(6), blockSize.readUInt32BE(10)]).toEqual([512, 4096, 32 * MiB]);
    expect((byInfo.get(Info.Name) as Buffer).toString('utf8', 2)).toBe('disk');
    // Transmission works right after the ACK.
    client.sendRequest(Command.Read, 7, 0, 512);
    expect((await client.reply(() => 512)).error).toBe(0);
  });

  it('INFO answers and keeps haggling; an unknown export is NBD_REP_ERR_UNKNOWN', async () => {
    const { connect } = await serve();
    const client = await connect();
    await client.greet();
    const info = await client.infoOrGo(Option.Info, 'disk');
    expect(info[info.length - 1].type).toBe(Reply.Ack);
    const unknown = await client.infoOrGo(Option.Go, 'nope');
    expect(unknown).toHaveLength(1);
    expect(unknown[0].type).toBe(Reply.ErrUnknown);
    // The empty name is the default export.
    const go = await client.infoOrGo(Option.Go, '');
    expect(go[go.length - 1].type).toBe(Reply.Ack);
  });

  it('EXPORT_NAME (old style) replies size + flags, with 124 zeros unless NO_ZEROES', async () => {
    const { connect } = await serve();
    for (const [clientFlags, length] of [
      [1, 134],
      [3, 10],
    ]) {
      const client = await connect();
      await client.greet(clientFlags);
      client.sendOption(Option.ExportName, Buffer.from('disk'));
      const reply = await client.read(length);
      expect(Number(reply.readBigUInt64BE(0))).toBe(4 * MiB);
      expect(reply.readUInt16BE(8) & TransmissionFlag.HasFlags).toBe(1);
      client.sendRequest(Command.Flush, 1, 0, 0);
      expect(await client.reply()).toMatchObject({ error: 0, cookie: 1 });
    }
  });

  it('EXPORT_NAME with an unknown name closes the connection', async () => {
    const { connect } = await serve();
    const client = await connect();
    await client.greet();
    client.sendOption(Option.ExportName, Buffer.from('nope'));
    await client.closed;
    expect(client.ended).toBe(true);
  });

  it('LIST lists the export, ABORT acks and closes, unknown options are NBD_REP_ERR_UNSUP', async () => {
    const { connect } = await serve();
    const client = await connect();
    await client.greet();
    client.sendOption(Option.List);
    const server = await client.optionReply();
    expect(server.type).toBe(Reply.Server);
    expect(server.data.readUInt32BE(0)).toBe(4);
    expect(server.data.toString('utf8', 4, 8)).toBe('disk');
    expect((await client.optionReply()).type).toBe(Reply.Ack);
    client.sendOption(Option.List, Buffer.from('x'));
    expect((await client.optionReply()).type).toBe(Reply.ErrInvalid);
    for (const option of [Option.StructuredReply, Option.StartTls, 4242]) {
      client.sendOption(option);
      expect(await client.optionReply()).toMatchObject({ option, type: Reply.ErrUnsup });
    }
    client.sendOption(Option.Abort);
    expect((await client.optionReply()).type).toBe(Reply.Ack);
    await client.closed;
  });

  it('a malformed GO is NBD_REP_ERR_INVALID; unknown client flags close the connection', async () => {
    const { connect } = await serve();
    const client = await connect();
    await client.greet();
    client.sendOption(Option.Go, Buffer.from([0, 0, 0, 9, 1]));
    expect((await client.optionReply()).type).toBe(Reply.ErrInvalid);
    const rude = await connect();
    await rude.greet(0x80);
    await rude.closed;
  });
});

describe('transmission', () => {
  it('WRITE, READ, FUA, FLUSH, WRITE_ZEROES, TRIM and DISC', async () => {
    const { connect, device } = await serve();
    const client = await connect();
    await client.open('disk');
    const data = randomBytes(MiB);
    client.sendRequest(Command.Write, 1, MiB, MiB, 0, data);
    expect(await client.reply()).toMatchObject({ error: 0, cookie: 1 });
    expect(sha(device.data.subarray(MiB, 2 * MiB))).toBe(sha(data));
    client.sendRequest(Command.Read, 2, MiB, MiB);
    expect(sha((await client.reply(() => MiB)).data)).toBe(sha(data));
    const flushes = device.flushes;
    client.sendRequest(Command.Write, 3, 0, 4096, CommandFlag.Fua, data.subarray(0, 4096));
    expect((await client.reply()).error).toBe(0);
    expect(device.flushes).toBe(flushes + 1);
    client.sendRequest(Command.Flush, 4, 0, 0);
    expect((await client.reply()).error).toBe(0);
    expect(device.flushes).toBe(flushes + 2);
    client.sendRequest(Command.WriteZeroes, 5, MiB + 100, 3 * 512 * 1024, CommandFlag.NoHole);
    expect((await client.reply()).error).toBe(0);
    expect(device.data.subarray(MiB, MiB + 100).equals(data.subarray(0, 100))).toBe(true);
    expect(device.data.subarray(MiB + 100, 2 * MiB).every((byte) => byte === 0)).toBe(true);
    client.sendRequest(Command.Trim, 6, 0, MiB);
    expect((await client.reply()).error).toBe(0);
    client.sendRequest(Command.Disc, 7, 0, 0);
    await client.closed;
  });

  it('unaligned reads and writes are byte-exact (read-modify-write of the edge sectors)', async () => {
    const { connect, device } = await serve();
    const before = Buffer.from(device.data.subarray(0, 8192));
    const client = await connect();
    await client.open();
    const data = randomBytes(1000);
    client.sendRequest(Command.Write, 1, 300, 1000, 0, data);
    client.sendRequest(Command.Write, 2, 1300, 10, 0, Buffer.alloc(10, 0xaa));
    expect((await client.reply()).error).toBe(0);
    expect((await client.reply()).error).toBe(0);
    const expected = Buffer.from(before);
    data.copy(expected, 300);
    expected.fill(0xaa, 1300, 1310);
    expect(device.data.subarray(0, 8192).equals(expected)).toBe(true);
    client.sendRequest(Command.Read, 3, 299, 1013);
    expect((await client.reply(() => 1013)).data.equals(expected.subarray(299, 1312))).toBe(true);
  });

  it('maps errors: beyond the end (EINVAL read, ENOSPC write), zero length, too long, unknown command, device EIO', async () => {
    const { connect, device } = await serve();
    const client = await connect();
    await client.open();
    const size = 4 * MiB;
    client.sendRequest(Command.Read, 1, size - 512, 1024);
    expect(await client.reply()).toMatchObject({ cookie: 1, error: NbdError.EINVAL });
    client.sendRequest(Command.Write, 2, size, 512, 0, Buffer.alloc(512));
    expect(await client.reply()).toMatchObject({ cookie: 2, error: NbdError.ENOSPC });
    client.sendRequest(Command.WriteZeroes, 3, size - 512, 4096);
    expect(await client.reply()).toMatchObject({ cookie: 3, error: NbdError.ENOSPC });
    client.sendRequest(Command.Read, 4, 0, 0);
    expect(await client.reply()).toMatchObject({ cookie: 4, error: NbdError.EINVAL });
    client.sendRequest(Command.Read, 5, 0, 33 * MiB);
    expect(await client.reply()).toMatchObject({ cookie: 5, error: NbdError.EINVAL });
    client.sendRequest(Command.BlockStatus, 6, 0, 512);
    expect(await client.reply()).toMatchObject({ cookie: 6, error: NbdError.EINVAL });
    device.failNext = { code: 'ERR_AOE_DEADLINE' };
    client.sendRequest(Command.Read, 7, 0, 512);
    expect(await client.reply()).toMatchObject({ cookie: 7, error: NbdError.EIO });
    // A WRITE longer than the maximum block size: payload dropped, EINVAL, connection still usable.
    const huge = 33 * MiB;
    client.sendRequest(Command.Write, 8, 0, huge, 0, Buffer.alloc(huge, 0x55));
    expect(await client.reply()).toMatchObject({ cookie: 8, error: NbdError.EINVAL });
    expect(device.data[0]).toBe(0);
    client.sendRequest(Command.Read, 9, 0, 512);
    expect(await client.reply(() => 512)).toMatchObject({ cookie: 9, error: 0 });
  });

  it('nbdErrorFor maps device codes', () => {
    expect(nbdErrorFor({ code: 'ERR_ATA_IDNF' }, true)).toBe(NbdError.ENOSPC);
    expect(nbdErrorFor({ code: 'ERR_ATA_IDNF' }, false)).toBe(NbdError.EINVAL);
    expect(nbdErrorFor({ code: 'ERR_AOE_ALIGNMENT' }, false)).toBe(NbdError.EINVAL);
    expect(nbdErrorFor({ code: 'ERR_AOE_CLOSED' }, false)).toBe(NbdError.ESHUTDOWN);
    expect(nbdErrorFor({ code: 'ERR_ATA_UNC' }, false)).toBe(NbdError.EIO);
    expect(nbdErrorFor(new Error('no code'), true)).toBe(NbdError.EIO);
  });

  it('read-only: READ_ONLY flag, no TRIM/WRITE_ZEROES flags, EPERM on writes', async () => {
    const { connect, device } = await serve({ readOnly: true });
    const client = await connect();
    const { flags } = await client.open();
    expect(flags & TransmissionFlag.ReadOnly).toBe(TransmissionFlag.ReadOnly);
    expect(flags & (TransmissionFlag.SendTrim | TransmissionFlag.SendWriteZeroes)).toBe(0);
    client.sendRequest(Command.Write, 1, 0, 512, 0, Buffer.alloc(512, 1));
    client.sendRequest(Command.WriteZeroes, 2, 0, 512);
    client.sendRequest(Command.Trim, 3, 0, 512);
    for (const cookie of [1, 2, 3]) expect(await client.reply()).toMatchObject({ cookie, error: NbdError.EPERM });
    expect(device.data[0]).toBe(0);
    client.sendRequest(Command.Read, 4, 0, 512);
    expect((await client.reply(() => 512)).error).toBe(0);
  });

  it('replies out of order when later requests finish first, with up to the queue depth in flight', async () => {
    // Reads at offset 0 take 60 ms, others 5 ms: cookie 1 must come back last.
    const { connect, device } = await serve({ queueDepth: 4, delay: (kind, offset) => (kind === 'read' ? (offset === 0 ? 60 : 5) : 0) });
    let concurrent = 0;
    let peak = 0;
    const readInto = device.readInto.bind(device);
    device.readInto = async (buffer, offset) => {
      concurrent += 1;
      peak = Math.max(peak, concurrent);
      try {
        await readInto(buffer, offset);
      } finally {
        concurrent -= 1;
      }
    };
    const client = await connect();
    await client.open();
    for (let cookie = 1; cookie <= 8; cookie += 1) client.sendRequest(Command.Read, cookie, (cookie - 1) * 4096, 4096);
    const order: number[] = [];
    for (let index = 0; index < 8; index += 1) {
      const reply = await client.reply(() => 4096);
      expect(reply.error).toBe(0);
      order.push(reply.cookie);
    }
    expect(order[order.length - 1]).toBe(1);
    expect([...order].sort((a, b) => a - b)).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
    expect(peak).toBe(4);
  });
});
