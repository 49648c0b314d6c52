// NBD client and NBD store against nbdkit: structured replies, NBD_OPT_INFO, block size limits, error chunks, read-only, FUA.
import { createHash, randomBytes } from 'node:crypto';
import { rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { NbdClient } from '../../src/nbd/client.js';
import { probeNbdExport } from '../../src/nbd/client-handshake.js';
import { parseNbdUri } from '../../src/nbd/uri.js';
import { flushAsync, readAsync, writeAsync } from '../../src/store/block-store.js';
import { openStoreAsync } from '../../src/store/open-store.js';
import { NbdStore } from '../../src/store/nbd-store.js';
import { startNbdkit, startNbdProcess, type NbdServerProcess } from '../helpers/nbd-servers.js';
import { execFileSync } from 'node:child_process';

const MiB = 1024 * 1024;
const sha = (data: Uint8Array) => createHash('sha256').update(data).digest('hex');
let cleanup: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const step of cleanup.reverse()) await step();
  cleanup = [];
});

let counter = 0;
async function nbdkit(args: string[], extra: string[] = []): Promise<NbdServerProcess> {
  const socket = join(tmpdir(), `aoekit-nbdkit-${process.pid}-${counter++}.sock`);
  const server = await startNbdkit(args, socket, extra);
  cleanup.push(async () => {
    await server.stop();
    rmSync(socket, { force: true });
  });
  return server;
}

async function store(uri: string, options: Parameters<typeof NbdStore.open>[1] = {}): Promise<NbdStore> {
  const opened = await NbdStore.open(uri, options);
  cleanup.push(() => opened.close());
  return opened;
}

const codeOf = async (promise: Promise<unknown>) => {
  try {
    await promise;
    return 'no error';
  } catch (error) {
    return (error as { code?: string }).code;
  }
};

describe('NBD store over nbdkit', () => {
  it('memory plugin: structured replies and multi-conn negotiated, 32 MiB intact by sha256, INFO probe agrees', async () => {
    const server = await nbdkit(['memory', 'size=64M']);
    const info = await probeNbdExport(parseNbdUri(server.uri));
    expect(info).toMatchObject({ size: 64 * MiB, readOnly: false, canFlush: true, canMultiConn: true });
    const nbd = await store(server.uri);
    expect(nbd.client.details.structuredReplies).toBe(true);
    expect(nbd.client.connections.length).toBe(2);
    expect(nbd.description).toMatch(/^nbd nbd\+unix:.*multi-conn.*structured replies/);
    const data = randomBytes(32 * MiB);
    await Promise.all(Array.from({ length: 32 }, (_, index) => writeAsync(nbd, data, index * MiB, MiB, 16 * MiB + index * MiB)));
    await flushAsync(nbd);
    const back = Buffer.alloc(32 * MiB);
    // 8.5 KiB reads, all at once, as AoE frames arrive.
    const frame = 17 * 512;
    await Promise.all(
      Array.from({ length: Math.ceil(back.length / frame) }, (_, index) => {
        const offset = index * frame;
        const length = Math.min(frame, back.length - offset);
        return readAsync(nbd, back, offset, length, 16 * MiB + offset);
      }),
    );
    expect(sha(back)).toBe(sha(data));
    // Unwritten memory reads as zeros.
    const zeros = Buffer.alloc(MiB, 1);
    await readAsync(nbd, zeros, 0, MiB, 0);
    expect(zeros.every((byte) => byte === 0)).toBe(true);
  });

  it('read-only exports (nbdkit -r) become read-only stores; -s uses FUA; -d is refused', async () => {
    const readOnly = await nbdkit(['memory', 'size=1M'], ['-r']);
    const nbd = await store(readOnly.uri);
    expect(nbd.readOnly).toBe(true);
    expect(nbd.description).toMatch(/read-only export/);
    expect(await codeOf(writeAsync(nbd, Buffer.alloc(512), 0, 512, 0))).toBe('EROFS');
    const writable = await nbdkit(['memory', 'size=1M']);
    const synced = await store(writable.uri, { sync: true });
    expect(synced.description).toMatch(/FUA writes/);
    await writeAsync(synced, Buffer.alloc(4096, 5), 0, 4096, 0);
    expect(await codeOf(NbdStore.open(writable.uri, { direct: true }))).toBe('EINVAL');
  });

  it('honours block size limits: a 64 KiB maximum payload splits writes; a 4 KiB minimum is refused (AoE needs 512)', async () => {
    const limited = await nbdkit([
      '--filter=blocksize-policy',
      'memory',
      'size=8M',
      'blocksize-maximum=65536',
      'blocksize-error-policy=error',
    ]);
    const nbd = await store(limited.uri);
    expect(nbd.client.details.maximumPayload).toBe(65536);
    const data = randomBytes(MiB);
    await writeAsync(nbd, data, 0, MiB, MiB);
    const back = Buffer.alloc(MiB);
    await readAsync(nbd, back, 0, MiB, MiB);
    expect(sha(back)).toBe(sha(data));
    expect(nbd.client.stats().requests).toBe(32);
    const coarse = await nbdkit(['--filter=blocksize-policy', 'memory', 'size=8M', 'blocksize-minimum=4096', 'blocksize-preferred=4096']);
    expect(await codeOf(NbdStore.open(coarse.uri))).toBe('EINVAL');
  });

  it('error filter: reads fail with EIO while the error file exists and succeed after; a write error makes the next flushes fail', async () => {
    const errorFile = join(tmpdir(), `aoekit-nbdkit-errors-${process.pid}`);
    cleanup.push(() => rmSync(errorFile, { force: true }));
    const server = await nbdkit([
      '--filter=error',
      'memory',
      'size=8M',
      'error-pread=EIO',
      'error-pwrite=ENOSPC',
      'error-pread-rate=100%',
      'error-pwrite-rate=100%',
      `error-file=${errorFile}`,
    ]);
    const nbd = await store(server.uri);
    const buffer = Buffer.alloc(4096);
    await readAsync(nbd, buffer, 0, 4096, 0);
    writeFileSync(errorFile, '');
    expect(await codeOf(readAsync(nbd, buffer, 0, 4096, 0))).toBe('EIO');
    expect(await codeOf(writeAsync(nbd, buffer, 0, 4096, 0))).toBe('ENOSPC');
    rmSync(errorFile);
    await readAsync(nbd, buffer, 0, 4096, 0);
    await writeAsync(nbd, buffer, 0, 4096, 8192);
    // The server is healthy again, but a write failed: no flush may report success.
    expect(await codeOf(flushAsync(nbd))).toBe('ENOSPC');
    expect(await codeOf(flushAsync(nbd))).toBe('ENOSPC');
  });

  it('opens through openStoreAsync with a sector window, and fails with errno codes', async () => {
    const server = await nbdkit(['memory', 'size=4M']);
    const windowed = await openStoreAsync(server.uri, { offsetSectors: 2048, lengthSectors: 1024 });
    cleanup.push(() => windowed.close());
    expect(windowed.size).toBe(512 * 1024);
    expect(windowed.description).toMatch(/window 2048\+1024 sectors/);
    await writeAsync(windowed, Buffer.alloc(512, 9), 0, 512, 0);
    const direct = await NbdClient.open(server.uri, { connections: 1 });
    cleanup.push(() => direct.close());
    const check = Buffer.alloc(512);
    await new Promise<void>((resolve, reject) => direct.read(check, 0, 512, MiB, (error) => (error ? reject(error) : resolve())));
    expect(check.every((byte) => byte === 9)).toBe(true);
    expect(await codeOf(openStoreAsync(server.uri, { offsetSectors: 8192 }))).toBe('ERANGE');
    expect(await codeOf(openStoreAsync(`nbd+unix:///?socket=${server.socket}.missing`))).toBe('ENOENT');
  });

  it('qemu-nbd on a sparse qcow2: structured reads mix data and hole chunks, scattered into 8.5 KiB frames intact', async () => {
    const image = join(tmpdir(), `aoekit-sparse-${process.pid}.qcow2`);
    const socket = join(tmpdir(), `aoekit-qemu-${process.pid}.sock`);
    cleanup.push(() => {
      rmSync(image, { force: true });
      rmSync(socket, { force: true });
    });
    execFileSync('qemu-img', ['create', '-q', '-f', 'qcow2', image, '16M']);
    const qemu = await startNbdProcess(['qemu-nbd', '--format=qcow2', `--socket=${socket}`, '--persistent', '--shared=4', image], socket);
    cleanup.push(() => qemu.stop());
    const nbd = await store(qemu.uri);
    expect(nbd.client.details.structuredReplies).toBe(true);
    // Data islands in a sea of unallocated clusters.
    const expected = Buffer.alloc(4 * MiB);
    for (const at of [0, 200 * 1024, MiB + 4096, 3 * MiB + 65536]) {
      const island = randomBytes(12 * 1024);
      island.copy(expected, at);
      await writeAsync(nbd, island, 0, island.length, at);
    }
    await flushAsync(nbd);
    const frame = 17 * 512;
    const back = Buffer.alloc(expected.length, 0x5a);
    await Promise.all(
      Array.from({ length: Math.ceil(back.length / frame) }, (_, index) => {
        const offset = index * frame;
        return readAsync(nbd, back, offset, Math.min(frame, back.length - offset), offset);
      }),
    );
    expect(sha(back)).toBe(sha(expected));
  });

  it('a hung server (SIGSTOP) is dropped by the stall watchdog and reconnected once it runs again: delay, not errors', async () => {
    const server = await nbdkit(['memory', 'size=8M']);
    const client = await NbdClient.open(server.uri, { stallTimeoutMs: 800, handshakeTimeoutMs: 500, reconnectTimeoutMs: 20_000 });
    cleanup.push(() => client.close(200));
    const data = randomBytes(MiB);
    await new Promise<void>((resolve, reject) => client.write(data, 0, MiB, 0, false, (error) => (error ? reject(error) : resolve())));
    const pid = server.child.pid as number;
    process.kill(pid, 'SIGSTOP');
    const back = Buffer.alloc(MiB);
    const reading = new Promise<void>((resolve, reject) => client.read(back, 0, MiB, 0, (error) => (error ? reject(error) : resolve())));
    await new Promise((resolve) => setTimeout(resolve, 2500));
    process.kill(pid, 'SIGCONT');
    await reading;
    expect(sha(back)).toBe(sha(data));
    expect(client.stats().reconnects).toBeGreaterThanOrEqual(1);
    await new Promise<void>((resolve, reject) => client.flush((error) => (error ? reject(error) : resolve())));
  }, 30_000);
});
