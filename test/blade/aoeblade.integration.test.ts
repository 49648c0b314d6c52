// aoeblade end to end in the network lab: aoetools, raw-frame data transfer on 1 and 2 NICs, flags, window, mask, reserve, crash.
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { formatMac } from '../../src/wire/mac.js';
import { reserveFrame } from './aoe-test-client.js';
import { MiB, sha256, useBladeLab } from './blade-lab.js';

const O_SYNC = 0o4010000;
const O_DIRECT = 0o40000;

describe('aoeblade [netlab]', () => {
  const { handle, directory, links, startBlade, stopBlade, image, initiator } = useBladeLab();

  it('answers aoeping (config + IDENTIFY) and aoecfg read/test/prefix/set/fset, then exits 0 on SIGTERM', async () => {
    const lab = handle.lab;
    const blade = await startBlade(['--serial', 'AOEKITSER', '--model', 'aoekit test disk', '1', '1', 't0,t1', image('ping.img', 8 * MiB)]);
    const ping = await lab.exec(lab.initiatorNs, ['aoeping', '-v', '-s', '3', '1', '1', 'i0']);
    expect(ping.code).toBe(0);
    expect(ping.stdout).toMatch(/found e1\.1 with mac/);
    const identify = await lab.exec(lab.initiatorNs, ['aoeping', '-I', '-s', '3', '1', '1', 'i1']);
    expect(identify.code).toBe(0);
    expect(identify.stdout).toMatch(/serial_number: AOEKITSER/);
    expect(identify.stdout).toMatch(/model: aoekit test disk/);
    const cfg = (...args: string[]) => lab.exec(lab.initiatorNs, ['aoecfg', '-t', '1', ...args, '1', '1', 'i0']);
    expect((await cfg('-c', 'read')).stdout.trim()).toBe('');
    expect((await cfg('-c', 'set', '-s', 'rack1 disk1')).stdout.trim()).toBe('rack1 disk1');
    expect((await cfg('-c', 'test', '-s', 'rack1')).stdout.trim()).toBe('');
    expect((await cfg('-c', 'test', '-s', 'rack1 disk1')).stdout.trim()).toBe('rack1 disk1');
    expect((await cfg('-c', 'prefix', '-s', 'rack1')).stdout.trim()).toBe('rack1 disk1');
    expect((await cfg('-c', 'prefix', '-s', 'rack2')).stdout.trim()).toBe('');
    expect((await cfg('-c', 'set', '-s', 'other')).stdout.trim()).toBe('*badcfg*'); // error 4: a string is present
    expect((await cfg('-c', 'fset', '-s', 'other')).stdout.trim()).toBe('other');
    blade.child.kill('SIGUSR1');
    const deadline = Date.now() + 3000;
    while (!blade.output().includes('"msg":"stats"') && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 50));
    expect(blade.output()).toMatch(/"configSilent":2/); // test + prefix mismatches went unanswered
    expect(await stopBlade(blade)).toBe(0);
  }, 60_000);

  it('writes and reads back 256 MiB of random data on one NIC, then on two NICs at once (sha256), FLUSH makes it durable', async () => {
    const size = 256 * MiB;
    const file = image('data.img', size);
    const socketPath = path.join(directory, 'control.sock');
    const blade = await startBlade(['--control-socket', socketPath, '1', '2', 't0,t1', file]);
    const first = initiator(0, 1, 2);
    const second = initiator(1, 1, 2);
    const { mac: mac0, sectors } = await first.discover();
    const { mac: mac1 } = await second.discover();
    expect(sectors).toBe(2);
    expect(mac1).not.toBe(mac0);
    const flush = async () => (await first.request(first.ata(mac0, { sectorCount: 0, ataCommand: 0xea })))?.raw[27];
    const rate = (seconds: number) => `${(size / MiB / seconds).toFixed(0)} MB/s`;
    const timed = async (work: () => Promise<unknown>) => {
      const started = Date.now();
      await work();
      return (Date.now() - started) / 1000;
    };

    // One NIC: write everything, flush, check the file; read everything back.
    const data = randomBytes(size);
    const writeOne = await timed(() => first.transfer(mac0, 'write', data, 0, sectors, 16));
    expect(await flush()).toBe(0x40);
    expect(sha256(fs.readFileSync(file))).toBe(sha256(data));
    const back = Buffer.alloc(size);
    const readOne = await timed(() => first.transfer(mac0, 'read', back, 0, sectors, 16));
    expect(sha256(back)).toBe(sha256(data));

    // Two NICs at once: a new pattern written half per NIC concurrently, then read back the same way.
    const pattern = randomBytes(size);
    const half = size / 2;
    const writeTwo = await timed(() =>
      Promise.all([
        first.transfer(mac0, 'write', pattern.subarray(0, half), 0, sectors, 16),
        second.transfer(mac1, 'write', pattern.subarray(half), half / 512, sectors, 16),
      ]),
    );
    expect(await flush()).toBe(0x40);
    expect(sha256(fs.readFileSync(file))).toBe(sha256(pattern));
    back.fill(0);
    const readTwo = await timed(() =>
      Promise.all([
        first.transfer(mac0, 'read', back.subarray(0, half), 0, sectors, 16),
        second.transfer(mac1, 'read', back.subarray(half), half / 512, sectors, 16),
      ]),
    );
    expect(sha256(back)).toBe(sha256(pattern));
    console.log(
      `[aoeblade] 256 MiB, MTU 1500, 16 in flight, JS test client: 1 NIC write ${rate(writeOne)} read ${rate(readOne)}; 2 NICs write ${rate(writeTwo)} read ${rate(readTwo)}`,
    );

    const stats = await new Promise<{
      ok: boolean;
      stats: { exports: Array<{ bytesWritten: number; bytesRead: number }>; nics: Array<{ name: string; framesOut: number }> };
    }>((resolve, reject) => {
      const socket = net.createConnection(socketPath, () => socket.write('{"cmd":"stats"}\n'));
      let text = '';
      socket.on('data', (chunk) => {
        text += chunk;
        if (text.includes('\n')) {
          socket.end();
          resolve(JSON.parse(text));
        }
      });
      socket.on('error', reject);
    });
    expect(stats.ok).toBe(true);
    expect(stats.stats.exports[0].bytesWritten).toBeGreaterThanOrEqual(2 * size);
    expect(stats.stats.exports[0].bytesRead).toBeGreaterThanOrEqual(2 * size);
    expect(stats.stats.nics.map((nic) => nic.name)).toEqual(['t0', 't1']);
    expect(stats.stats.nics.every((nic) => nic.framesOut > 1000)).toBe(true);
    expect(await stopBlade(blade)).toBe(0);
  }, 120_000);

  it('-s -d open the file with O_SYNC and O_DIRECT, and data still round-trips', async () => {
    const file = image('direct.img', 4 * MiB);
    const blade = await startBlade(['-s', '-d', '2', '1', 't0', file]);
    const fd = fs.readdirSync(`/proc/${blade.pid}/fd`).find((entry) => {
      try {
        return fs.readlinkSync(`/proc/${blade.pid}/fd/${entry}`) === file;
      } catch {
        return false;
      }
    });
    expect(fd).toBeDefined();
    const flags = parseInt(/^flags:\s+([0-7]+)/m.exec(fs.readFileSync(`/proc/${blade.pid}/fdinfo/${fd}`, 'utf8'))![1], 8);
    expect(flags & O_DIRECT).toBe(O_DIRECT);
    expect(flags & O_SYNC).toBe(O_SYNC);
    const client = initiator(0, 2, 1);
    const { mac } = await client.discover();
    const data = randomBytes(MiB);
    await client.transfer(mac, 'write', data, 100, 2, 16);
    const back = Buffer.alloc(MiB);
    await client.transfer(mac, 'read', back, 100, 2, 16);
    expect(sha256(back)).toBe(sha256(data));
    expect(sha256(fs.readFileSync(file).subarray(100 * 512, 100 * 512 + MiB))).toBe(sha256(data));
    expect(await stopBlade(blade)).toBe(0);
  }, 60_000);

  it('-r refuses writes with ABRT and leaves the file unchanged; -o/-l window is honoured', async () => {
    const original = randomBytes(MiB);
    const readOnlyFile = image('ro.img', MiB, original);
    const readOnly = await startBlade(['-r', '3', '1', 't0', readOnlyFile]);
    const client = initiator(0, 3, 1);
    const { mac } = await client.discover();
    const refused = await client.request(client.ata(mac, { sectorCount: 1, ataCommand: 0x34, lba: 0, data: randomBytes(512) }));
    expect(refused?.raw[27]).toBe(0x41);
    expect(refused?.raw[25]).toBe(0x04);
    const read = await client.request(client.ata(mac, { sectorCount: 1, ataCommand: 0x24, lba: 1 }));
    expect(sha256(read!.raw.subarray(36, 548))).toBe(sha256(original.subarray(512, 1024)));
    expect(sha256(fs.readFileSync(readOnlyFile))).toBe(sha256(original));
    expect(await stopBlade(readOnly)).toBe(0);

    const windowFile = image('window.img', MiB);
    const windowed = await startBlade(['-o', '100', '-l', '50', '4', '1', 't0', windowFile]);
    const windowClient = initiator(0, 4, 1);
    const { mac: windowMac } = await windowClient.discover();
    const sector = randomBytes(512);
    const last = await windowClient.request(windowClient.ata(windowMac, { sectorCount: 1, ataCommand: 0x34, lba: 49, data: sector }));
    expect(last?.raw[27]).toBe(0x40);
    const beyond = await windowClient.request(windowClient.ata(windowMac, { sectorCount: 1, ataCommand: 0x34, lba: 50, data: sector }));
    expect(beyond?.raw[27]).toBe(0x41);
    expect(beyond?.raw[25]).toBe(0x10);
    const flushed = await windowClient.request(windowClient.ata(windowMac, { sectorCount: 0, ataCommand: 0xe7 }));
    expect(flushed?.raw[27]).toBe(0x40);
    const content = fs.readFileSync(windowFile);
    expect(sha256(content.subarray(149 * 512, 150 * 512))).toBe(sha256(sector));
    const outside = Buffer.concat([content.subarray(0, 149 * 512), content.subarray(150 * 512)]);
    expect(outside.every((byte) => byte === 0)).toBe(true);
    expect(await stopBlade(windowed)).toBe(0);
  }, 60_000);

  it('enforces the -m mask list (an unlisted NIC gets no answer at all, the listed one is served) and reservations (error 6, IDENTIFY passes)', async () => {
    const masked = await startBlade(['-m', formatMac(links[1].mac), '5', '1', 't0,t1', image('mask.img', MiB)]);
    const listed = initiator(1, 5, 1);
    const { mac: listedMac } = await listed.discover();
    expect((await listed.request(listed.ata(listedMac, { sectorCount: 1, ataCommand: 0xec })))?.raw[27]).toBe(0x40);
    const unlisted = initiator(0, 5, 1);
    await expect(unlisted.discover(800)).rejects.toThrow(/no Query Config answer/);
    expect(await unlisted.request(unlisted.ata(0xffffffffffff, { sectorCount: 1, ataCommand: 0xec }), 800)).toBeUndefined();
    expect(await stopBlade(masked)).toBe(0);

    const reserved = await startBlade(['5', '2', 't0', image('reserve.img', MiB)]);
    const owner = initiator(0, 5, 2);
    const { mac: reservedMac } = await owner.discover();
    const foreign = 0x02000000abcd;
    const take = await owner.request(
      reserveFrame({
        source: links[0].mac,
        destination: reservedMac,
        shelf: 5,
        slot: 2,
        tag: owner.tag(),
        reserveCommand: 1,
        macs: [foreign],
      }),
    );
    expect(take?.error).toBe(0);
    const denied = await owner.request(owner.ata(reservedMac, { sectorCount: 1, ataCommand: 0x24 }));
    expect(denied?.flags).toBe(0xc);
    expect(denied?.error).toBe(6);
    expect((await owner.request(owner.ata(reservedMac, { sectorCount: 1, ataCommand: 0xec })))?.raw[27]).toBe(0x40);
    const steal = await owner.request(
      reserveFrame({
        source: links[0].mac,
        destination: reservedMac,
        shelf: 5,
        slot: 2,
        tag: owner.tag(),
        reserveCommand: 1,
        macs: [links[0].mac],
      }),
    );
    expect(steal?.error).toBe(6);
    const release = await owner.request(
      reserveFrame({ source: links[0].mac, destination: reservedMac, shelf: 5, slot: 2, tag: owner.tag(), reserveCommand: 2, macs: [] }),
    );
    expect(release?.raw[25]).toBe(0);
    expect((await owner.request(owner.ata(reservedMac, { sectorCount: 1, ataCommand: 0x24 })))?.raw[27]).toBe(0x40);
    expect(await stopBlade(reserved)).toBe(0);
  }, 60_000);

  it('data written and flushed survives kill -9', async () => {
    const file = image('crash.img', 4 * MiB);
    const blade = await startBlade(['6', '1', 't0', file]);
    const client = initiator(0, 6, 1);
    const { mac } = await client.discover();
    const data = randomBytes(MiB);
    await client.transfer(mac, 'write', data, 2048, 2, 16);
    expect((await client.request(client.ata(mac, { sectorCount: 0, ataCommand: 0xea })))?.raw[27]).toBe(0x40);
    blade.child.kill('SIGKILL');
    await blade.exited;
    expect(sha256(fs.readFileSync(file).subarray(2048 * 512, 2048 * 512 + MiB))).toBe(sha256(data));
  }, 60_000);
});
