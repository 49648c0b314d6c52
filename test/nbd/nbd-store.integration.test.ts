// aoeblade (from dist/) serving NBD-backed exports over two real links: nbdkit memory/error/delay/file, kill -9, qemu-nbd qcow2 overlay.
import { execFile } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { chmod, mkdir, rm, writeFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { openDevice, type Device } from '../../src/initiator/index.js';
import { useLab } from '../helpers/lab.js';
import { startNbdkit, startNbdProcess, type NbdServerProcess } from '../helpers/nbd-servers.js';
import { runCli, sha256File, stopPids } from '../initiator/vblade-helpers.js';

const MiB = 1024 * 1024;
const run = promisify(execFile);
const aoeblade = fileURLToPath(new URL('../../dist/cli/aoeblade.js', import.meta.url));
const aoe = fileURLToPath(new URL('../../dist/cli/aoe.js', import.meta.url));
const sha = (data: Uint8Array) => createHash('sha256').update(data).digest('hex');

describe('aoeblade over NBD servers, 2 links [netlab]', () => {
  const net = useLab({ links: 2 });
  const dir = `/dev/shm/aoekit-nbdstore-${process.pid}`;
  let pids: number[] = [];
  let servers: NbdServerProcess[] = [];
  let devices: Device[] = [];

  beforeAll(async () => {
    if (!existsSync(aoeblade)) throw new Error(`${aoeblade} missing: run npm run build:ts first`);
    await mkdir(dir, { recursive: true });
  });
  afterEach(async () => {
    for (const device of devices) await device.close();
    stopPids(pids);
    await new Promise((resolve) => setTimeout(resolve, 300));
    for (const server of servers) await server.stop();
    devices = [];
    pids = [];
    servers = [];
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  async function nbdkit(args: string[], name: string, extra: string[] = []): Promise<NbdServerProcess> {
    const server = await startNbdkit(args, `${dir}/${name}.sock`, extra);
    servers.push(server);
    return server;
  }

  let bladeLog = '';

  /** aoeblade (or `aoe serve`) in the target namespace; resolves once the device answers on both paths. Its log: `bladeLog`. */
  async function blade(slot: number, argv: string[], options: { deadlineMs?: number } = {}): Promise<Device> {
    const child = net.lab.spawn(net.lab.targetNs, [process.execPath, ...argv], { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    bladeLog = '';
    child.stderr?.on('data', (chunk: Buffer) => {
      stderr = (stderr + chunk.toString()).slice(-4000);
      bladeLog += chunk.toString();
    });
    if (child.pid) pids.push(child.pid);
    const until = Date.now() + 15_000;
    for (;;) {
      try {
        const device = await openDevice(`e1.${slot}`, {
          interfaces: ['i0', 'i1'],
          netns: net.lab.initiatorNs,
          discoverTimeoutMs: 300,
          deadlineMs: options.deadlineMs,
        });
        if (device.paths.length === 2) {
          devices.push(device);
          return device;
        }
        await device.close();
      } catch (error) {
        if (child.exitCode !== null || Date.now() > until)
          throw new Error(`aoeblade did not come up: ${(error as Error).message}\n${stderr}`);
      }
      if (child.exitCode !== null) throw new Error(`aoeblade exited ${child.exitCode}: ${stderr}`);
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  }

  const bladeArgv = (slot: number, uri: string, extra: string[] = [], level = 'warn') => [
    aoeblade,
    '--log-level',
    level,
    ...extra,
    '1',
    String(slot),
    't0,t1',
    uri,
  ];
  const codeOf = async (promise: Promise<unknown>) => {
    try {
      await promise;
      return 'no error';
    } catch (error) {
      return (error as { code?: string }).code;
    }
  };

  it('nbdkit memory plugin: 256 MiB written and read back through AoE over two paths, sha256 equal', async () => {
    const server = await nbdkit(['memory', 'size=256M'], 'memory');
    const device = await blade(1, bladeArgv(1, server.uri, ['-b', '64']));
    await device.close();
    devices = [];
    const input = `${dir}/input.img`;
    const output = `${dir}/output.img`;
    await writeFile(input, randomBytes(256 * MiB));
    const ns = ['--netns', net.lab.initiatorNs, '-i', 'i0,i1', '--json'];
    const written = await runCli('aoe', ['copy', input, 'aoe:e1.1', ...ns]);
    expect(written.stderr).toBe('');
    const read = await runCli('aoe', ['copy', 'aoe:e1.1', output, ...ns]);
    expect(read.stderr).toBe('');
    const summary = JSON.parse(read.stdout);
    console.log(
      `[bench] aoeblade over nbdkit memory, 2x1500: write ${JSON.parse(written.stdout).megabytesPerSecond} MB/s, read ${summary.megabytesPerSecond} MB/s`,
    );
    expect(summary.paths.every((path: { frames: number }) => path.frames > 0)).toBe(true);
    expect(await sha256File(output)).toBe(await sha256File(input));
    await rm(input);
    await rm(output);
  }, 180_000);

  it('nbdkit error filter: reads fail with ATA UNC while errors are on and succeed after; a write error makes the flush fail', async () => {
    const errorFile = `${dir}/errors-on`;
    const server = await nbdkit(
      [
        '--filter=error',
        'memory',
        'size=64M',
        'error-pread=EIO',
        'error-pwrite=ENOSPC',
        'error-pread-rate=100%',
        'error-pwrite-rate=100%',
        `error-file=${errorFile}`,
      ],
      'error',
    );
    const device = await blade(2, bladeArgv(2, server.uri), { deadlineMs: 5000 });
    const data = randomBytes(MiB);
    await device.write(0, data);
    writeFileSync(errorFile, '');
    expect(await codeOf(device.read(0, 64 * 1024))).toBe('ERR_ATA_UNC');
    rmSync(errorFile);
    expect(sha(await device.read(0, MiB))).toBe(sha(data));
    await device.flush();
    writeFileSync(errorFile, '');
    expect(await codeOf(device.write(MiB, data.subarray(0, 64 * 1024)))).toBe('ERR_ATA_ABORT');
    rmSync(errorFile);
    // The store is healthy again, but a write failed since the last flush: the flush must not report success, and it
    // says UNC (an I/O error), never a bare ABRT that an initiator could take for "FLUSH CACHE EXT not supported".
    expect(await codeOf(device.flush())).toBe('ERR_ATA_UNC');
    expect(sha(await device.read(0, MiB))).toBe(sha(data));
  }, 60_000);

  it('nbdkit delay filter: data stays correct and no path is marked down for slow storage', async () => {
    const server = await nbdkit(['--filter=delay', 'memory', 'size=64M', 'rdelay=10ms', 'wdelay=10ms'], 'delay');
    const device = await blade(3, bladeArgv(3, server.uri, ['-b', '64']));
    const data = randomBytes(16 * MiB);
    await Promise.all(
      Array.from({ length: 4 }, (_, index) => device.write(index * 4 * MiB, data.subarray(index * 4 * MiB, (index + 1) * 4 * MiB))),
    );
    await device.flush();
    const back = await device.read(0, data.length);
    expect(sha(back)).toBe(sha(data));
    const stats = device.stats();
    expect(stats.paths.map((path) => path.downEvents)).toEqual([0, 0]);
    expect(stats.paths.every((path) => path.framesAcked > 0)).toBe(true);
  }, 120_000);

  it('kill -9 of nbdkit (file plugin on tmpfs) mid-copy, restarted 2 s later on the same socket: the copy completes intact', async () => {
    const backing = `${dir}/killed.img`;
    await run('truncate', ['-s', '128M', backing]);
    const args = ['file', `file=${backing}`];
    let server = await nbdkit(args, 'killed');
    const device = await blade(4, bladeArgv(4, server.uri, [], 'info'));
    const data = randomBytes(128 * MiB);
    const chunk = 4 * MiB;
    let restart: Promise<void> | undefined;
    const writeAll = async (from: number) => {
      for (let offset = from; offset < data.length; offset += chunk) {
        await device.write(offset, data.subarray(offset, offset + chunk));
        if (offset === 32 * MiB && restart === undefined) {
          await server.kill9();
          restart = (async () => {
            await new Promise((resolve) => setTimeout(resolve, 2000));
            server = await nbdkit(args, 'killed');
          })();
        }
      }
    };
    await writeAll(0);
    await restart;
    await device.flush();
    expect(await sha256File(backing)).toBe(sha(data));
    expect(bladeLog).toMatch(/NBD connection lost; reconnecting/);
    expect(bladeLog).toMatch(/NBD server reconnected/);
    expect(bladeLog).not.toMatch(/NBD write or flush failed/);
    // And a read copy across a second kill: delay, not errors.
    restart = undefined;
    const back = Buffer.alloc(data.length);
    for (let offset = 0; offset < data.length; offset += chunk) {
      await device.readInto(back.subarray(offset, offset + chunk), offset);
      if (offset === 48 * MiB) {
        await server.kill9();
        restart = (async () => {
          await new Promise((resolve) => setTimeout(resolve, 2000));
          server = await nbdkit(args, 'killed');
        })();
      }
    }
    await restart;
    expect(sha(back)).toBe(sha(data));
  }, 180_000);

  it('qemu-nbd on a qcow2 overlay over a read-only base: writes land in the overlay only, the base stays byte-identical', async () => {
    const base = `${dir}/base.raw`;
    const overlay = `${dir}/overlay.qcow2`;
    const flattened = `${dir}/flattened.raw`;
    const baseData = randomBytes(32 * MiB);
    await writeFile(base, baseData);
    await chmod(base, 0o444);
    const baseSha = sha(baseData);
    await run('qemu-img', ['create', '-q', '-f', 'qcow2', '-b', base, '-F', 'raw', overlay]);
    const socket = `${dir}/qemu.sock`;
    const qemu = await startNbdProcess(['qemu-nbd', '--format=qcow2', `--socket=${socket}`, '--persistent', '--shared=4', overlay], socket);
    servers.push(qemu);
    const device = await blade(5, bladeArgv(5, qemu.uri));
    const patch = randomBytes(4 * MiB);
    const tail = randomBytes(MiB);
    await device.write(8 * MiB, patch);
    await device.write(31 * MiB, tail);
    await device.flush();
    const expected = Buffer.from(baseData);
    patch.copy(expected, 8 * MiB);
    tail.copy(expected, 31 * MiB);
    expect(sha(await device.read(0, 32 * MiB))).toBe(sha(expected));
    await device.close();
    devices = [];
    stopPids(pids);
    pids = [];
    await new Promise((resolve) => setTimeout(resolve, 500));
    await qemu.stop();
    servers = servers.filter((item) => item !== qemu);
    expect(sha(readFileSync(base))).toBe(baseSha);
    await run('qemu-img', ['convert', '-f', 'qcow2', '-O', 'raw', overlay, flattened]);
    expect(await sha256File(flattened)).toBe(sha(expected));
  }, 120_000);

  it('aoe serve --config with an NBD path and an offset/length window serves that window', async () => {
    const backing = `${dir}/windowed.img`;
    await run('truncate', ['-s', '16M', backing]);
    const server = await nbdkit(['file', `file=${backing}`], 'windowed');
    const config = `${dir}/serve.json`;
    await writeFile(
      config,
      JSON.stringify({ exports: [{ shelf: 1, slot: 6, path: server.uri, interfaces: ['t0', 't1'], offset: 2048, length: 8192 }] }),
    );
    const device = await blade(6, [aoe, 'serve', '--config', config, '--log-level', 'warn']);
    expect(device.size).toBe(4 * MiB);
    const data = randomBytes(4 * MiB);
    await device.write(0, data);
    await device.flush();
    expect(await sha256File(backing, MiB, 4 * MiB)).toBe(sha(data));
    expect(await codeOf(device.read(4 * MiB, 512))).toMatch(/ERR_ATA_IDNF|ERR_AOE_RANGE/);
  }, 60_000);
});
