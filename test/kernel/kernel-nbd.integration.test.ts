// The Linux kernel's aoe.ko (QEMU TCG guest) reading, writing and carrying ext4 on aoeblade exports backed by qemu-nbd qcow2 overlays: the diskless-client pattern.
import type { ChildProcess } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { GuestPort } from '../../tools/lab/netlab.js';
import { useLab } from '../helpers/lab.js';
import { type NbdServerProcess, startNbdProcess } from '../helpers/nbd-servers.js';
import { sha256File } from '../initiator/vblade-helpers.js';
import { guestImageOrSkip, reportViews, runTool, startBlade, stopChild } from './blade.js';
import { accelerator, aoeErrorLines, runGuest, type GuestReport } from './guest.js';

const MiB = 1024 * 1024;
const EXPORT_BYTES = 64 * MiB;
const WRITE_MIB = 4;
const WRITE_AT_MIB = 8;
const FILE_KIB = 2048;
const GUEST_TIMEOUT_MS = 120_000;
const MTU = 9000;
const sha256 = (data: Uint8Array) => createHash('sha256').update(data).digest('hex');

// Shelf 2, so a glance at a guest log tells this suite from the file-backed one.
const raw = { shelf: 2, slot: 1, name: 'e2.1' };
const ext4 = { shelf: 2, slot: 2, name: 'e2.2' };

describe(`Linux aoe.ko in a QEMU guest (${accelerator()}) against aoeblade on qemu-nbd qcow2 overlays, MTU ${MTU} [netlab]`, () => {
  const net = useLab({ links: 1, mtu: MTU });
  let directory = '';
  /** Per export: the read-only raw base, the qcow2 overlay over it, the overlay flattened after the guest ran. */
  const images = {
    raw: { base: '', overlay: '', flattened: '' },
    ext4: { base: '', overlay: '', flattened: '' },
  };
  let original = Buffer.alloc(0);
  let baseHashes = { raw: '', ext4: '' };
  let report: GuestReport | undefined;
  let guestSkipReason: string | undefined;
  let bladeOutput = '';
  let port: GuestPort | undefined;
  const servers: NbdServerProcess[] = [];
  const blades: ChildProcess[] = [];

  /** A read-only raw base holding `content`, and an empty qcow2 overlay over it served by qemu-nbd on a unix socket. */
  async function overlayServer(name: 'raw' | 'ext4', content: Buffer): Promise<NbdServerProcess> {
    const image = images[name];
    image.base = path.join(directory, `${name}-base.raw`);
    image.overlay = path.join(directory, `${name}-overlay.qcow2`);
    image.flattened = path.join(directory, `${name}-flattened.raw`);
    fs.writeFileSync(image.base, content);
    fs.chmodSync(image.base, 0o444);
    const created = await runTool('qemu-img', ['create', '-q', '-f', 'qcow2', '-b', image.base, '-F', 'raw', image.overlay]);
    if (created.code !== 0) throw new Error(`qemu-img create: ${created.stderr}`);
    const socket = path.join(directory, `${name}.sock`);
    const server = await startNbdProcess(
      ['qemu-nbd', '--format=qcow2', `--socket=${socket}`, '--persistent', '--shared=4', image.overlay],
      socket,
    );
    servers.push(server);
    return server;
  }

  beforeAll(async () => {
    if (net.skipReason !== undefined) return;
    const image = await guestImageOrSkip('kernel-initiator NBD tests');
    if ('skipReason' in image) {
      guestSkipReason = image.skipReason;
      return;
    }
    directory = fs.mkdtempSync('/var/tmp/aoekit-kernel-nbd-');
    original = randomBytes(EXPORT_BYTES);
    const rawServer = await overlayServer('raw', original);
    const ext4Server = await overlayServer('ext4', Buffer.alloc(EXPORT_BYTES));
    baseHashes = { raw: await sha256File(images.raw.base), ext4: await sha256File(images.ext4.base) };
    const collect = (text: string) => {
      bladeOutput += text;
    };
    blades.push(await startBlade(net.lab, raw, rawServer.uri, collect));
    blades.push(await startBlade(net.lab, ext4, ext4Server.uri, collect));
    port = await net.lab.addGuestPort(0);
    report = await runGuest(net.lab, port, image, {
      mtu: MTU,
      parameters: { raw: raw.name, fs: ext4.name, write_mib: WRITE_MIB, write_at_mib: WRITE_AT_MIB, file_kib: FILE_KIB, deadsecs: 30 },
      timeoutMs: GUEST_TIMEOUT_MS,
    });
    // aoeblade stops cleanly (NBD FLUSH), then qemu-nbd (qcow2 metadata to disk): only then are the overlays complete files.
    for (const blade of blades) await stopChild(blade);
    for (const server of servers) await server.stop();
    for (const name of ['raw', 'ext4'] as const) {
      const flattened = await runTool('qemu-img', ['convert', '-f', 'qcow2', '-O', 'raw', images[name].overlay, images[name].flattened]);
      if (flattened.code !== 0) throw new Error(`qemu-img convert ${name}: ${flattened.stderr}`);
    }
  }, 600_000 + GUEST_TIMEOUT_MS);

  beforeEach((context) => {
    if (guestSkipReason !== undefined) context.skip(guestSkipReason);
  });

  afterAll(async () => {
    for (const blade of blades) await stopChild(blade);
    for (const server of servers) await server.stop();
    if (port !== undefined && net.skipReason === undefined) await net.lab.removeGuestPort(0);
    if (directory !== '') fs.rmSync(directory, { recursive: true, force: true });
  });

  /** The report, with the guest console attached to any failure. */
  const { guest, context } = reportViews(
    () => report,
    () => bladeOutput,
  );

  it('boots, finds both NBD-backed exports at their size and runs every step', () => {
    expect(guest().failures, context()).toEqual([]);
    expect(guest().done, context()).toBe('ok');
    expect([...guest().steps.keys()]).toEqual(['modules', 'network', 'aoe-up', 'size', 'read', 'write', 'ext4']);
    const sizes = Object.fromEntries(
      guest()
        .values('size')
        .map(([device, bytes]) => [device, Number(bytes)]),
    );
    expect(sizes, context()).toEqual({ [raw.name]: EXPORT_BYTES, [ext4.name]: EXPORT_BYTES });
  });

  it('reads the whole export as the qcow2 base holds it, through the overlay (sha256)', () => {
    expect(guest().values('read-sha256'), context()).toEqual([[raw.name, sha256(original)]]);
  });

  it('lands an O_DIRECT write in the overlay only: the flattened overlay has it, the base is byte-identical', async () => {
    const [write, readback] = [guest().values('write'), guest().values('write-readback')];
    const offset = WRITE_AT_MIB * MiB;
    const length = WRITE_MIB * MiB;
    expect(write[0], context()).toEqual([raw.name, String(offset), String(length), expect.stringMatching(/^[0-9a-f]{64}$/)]);
    expect(readback[0], context()).toEqual([raw.name, write[0][3]]);
    expect(await sha256File(images.raw.base)).toBe(baseHashes.raw);
    const flattened = fs.readFileSync(images.raw.flattened);
    expect(flattened.length).toBe(EXPORT_BYTES);
    expect(sha256(flattened.subarray(offset, offset + length))).toBe(write[0][3]);
    expect(sha256(flattened.subarray(0, offset))).toBe(sha256(original.subarray(0, offset)));
    expect(sha256(flattened.subarray(offset + length))).toBe(sha256(original.subarray(offset + length)));
  });

  it('carries ext4 on an overlay of an empty base: the host finds a clean filesystem with the file, the base is still zeros', async () => {
    const files = new Map(
      guest()
        .values('fs-file')
        .map(([when, hash]) => [when, hash]),
    );
    expect(files.get('written'), context()).toMatch(/^[0-9a-f]{64}$/);
    expect(files.get('remounted'), context()).toBe(files.get('written'));
    const check = await runTool('e2fsck', ['-f', '-n', images.ext4.flattened]);
    expect(check.code, `e2fsck -fn: ${check.stdout.toString()}${check.stderr}`).toBe(0);
    const file = await runTool('debugfs', ['-R', 'cat /data.bin', images.ext4.flattened]);
    expect(file.code, file.stderr).toBe(0);
    expect(sha256(file.stdout)).toBe(files.get('written'));
    expect(await sha256File(images.ext4.base)).toBe(baseHashes.ext4);
    expect(baseHashes.ext4).toBe(sha256(Buffer.alloc(EXPORT_BYTES)));
  });

  it('logs no aoe, block-layer or ext4 errors in the guest kernel', () => {
    expect(guest().dmesgLines, context()).toBe(guest().dmesg.length);
    expect(aoeErrorLines(guest().dmesg), context()).toEqual([]);
  });
});
