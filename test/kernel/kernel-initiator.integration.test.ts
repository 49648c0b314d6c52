// The Linux kernel's own AoE initiator (aoe.ko, in a QEMU TCG guest on a lab guest port) against aoeblade, at MTU 1500 and 9000.
import { createHash, randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { GuestPort } from '../../tools/lab/netlab.js';
import { useLab } from '../helpers/lab.js';
import { sha256File } from '../initiator/vblade-helpers.js';
import { guestImageOrSkip, reportViews, runTool, startBlade } from './blade.js';
import { accelerator, aoeErrorLines, runGuest, type GuestReport } from './guest.js';

const MiB = 1024 * 1024;
const EXPORT_BYTES = 64 * MiB;
/** Sparse, past the 2^28-sector reach of LBA28: only right LBA48 IDENTIFY words and commands get to its end. */
const BIG_BYTES = 256 * 1024 * MiB;
const WRITE_MIB = 4;
const WRITE_AT_MIB = 8;
const FILE_KIB = 2048;
const GUEST_TIMEOUT_MS = 120_000;
const sha256 = (data: Uint8Array) => createHash('sha256').update(data).digest('hex');

const raw = { shelf: 1, slot: 1, name: 'e1.1' };
const ext4 = { shelf: 1, slot: 2, name: 'e1.2' };
const big = { shelf: 1, slot: 3, name: 'e1.3' };

for (const mtu of [1500, 9000]) {
  describe(`Linux aoe.ko in a QEMU guest (${accelerator()}) against aoeblade, MTU ${mtu} [netlab]`, () => {
    const net = useLab({ links: 1, mtu });
    // O_DIRECT-capable and sparse-capable: /var/tmp. Made in beforeAll, so a filtered-out suite leaves nothing.
    let directory = '';
    let rawFile = '';
    let ext4File = '';
    let bigFile = '';
    let original = Buffer.alloc(0);
    let report: GuestReport | undefined;
    let guestSkipReason: string | undefined;
    let bladeOutput = '';
    let port: GuestPort | undefined;

    const startExport = (target: { shelf: number; slot: number }, file: string) =>
      startBlade(net.lab, target, file, (text) => {
        bladeOutput += text;
      });

    beforeAll(async () => {
      if (net.skipReason !== undefined) return; // AOEKIT_SKIP_NET=1 and no lab: useLab skips every test
      const image = await guestImageOrSkip('kernel-initiator tests');
      if ('skipReason' in image) {
        guestSkipReason = image.skipReason;
        return;
      }
      directory = fs.mkdtempSync(`/var/tmp/aoekit-kernel-${mtu}-`);
      [rawFile, ext4File, bigFile] = ['raw.img', 'ext4.img', 'big.img'].map((name) => path.join(directory, name));
      original = randomBytes(EXPORT_BYTES);
      fs.writeFileSync(rawFile, original);
      fs.writeFileSync(ext4File, Buffer.alloc(0));
      fs.truncateSync(ext4File, EXPORT_BYTES);
      fs.writeFileSync(bigFile, Buffer.alloc(0));
      fs.truncateSync(bigFile, BIG_BYTES);
      await startExport(raw, rawFile);
      await startExport(ext4, ext4File);
      await startExport(big, bigFile);
      port = await net.lab.addGuestPort(0);
      report = await runGuest(net.lab, port, image, {
        mtu,
        parameters: {
          raw: raw.name,
          fs: ext4.name,
          big: big.name,
          write_mib: WRITE_MIB,
          write_at_mib: WRITE_AT_MIB,
          file_kib: FILE_KIB,
          deadsecs: 30,
        },
        timeoutMs: GUEST_TIMEOUT_MS,
      });
      const steps = [...report.steps].map(([name, seconds]) => `${name} ${seconds.toFixed(2)} s`).join(', ');
      console.log(
        `[kernel-initiator] MTU ${mtu} (${accelerator()}): /init ${report.initWallSeconds.toFixed(1)} s after QEMU started ` +
          `(${report.bootSeconds.toFixed(2)} s of guest uptime), QEMU ran ${report.wallSeconds.toFixed(1)} s; ${steps}`,
      );
    }, 600_000 + GUEST_TIMEOUT_MS);

    beforeEach((context) => {
      if (guestSkipReason !== undefined) context.skip(guestSkipReason);
    });

    afterAll(async () => {
      if (port !== undefined && net.skipReason === undefined) await net.lab.removeGuestPort(0);
      if (directory !== '') fs.rmSync(directory, { recursive: true, force: true });
    });

    /** The report, with the guest console attached to any failure. */
    const { guest, context } = reportViews(
      () => report,
      () => bladeOutput,
    );

    it('boots, loads aoe.ko, finds every export and runs every step', () => {
      expect(guest().failures, context()).toEqual([]);
      expect(guest().done, context()).toBe('ok');
      expect([...guest().steps.keys()]).toEqual(['modules', 'network', 'aoe-up', 'size', 'read', 'write', 'big-write', 'ext4']);
      expect(guest().values('eth0')[0]?.[1], context()).toBe(String(mtu));
    });

    it('sees each export at its exact size (IDENTIFY capacity words)', () => {
      const sizes = Object.fromEntries(
        guest()
          .values('size')
          .map(([device, bytes]) => [device, Number(bytes)]),
      );
      expect(sizes, context()).toEqual({ [raw.name]: EXPORT_BYTES, [ext4.name]: EXPORT_BYTES, [big.name]: BIG_BYTES });
    });

    it('uses the frame size the MTU allows, as aoeblade advertises it', () => {
      const expected = Math.floor((mtu - 36) / 512) * 512; // 1024 at 1500, 8704 at 9000
      for (const device of [raw.name, ext4.name, big.name]) {
        expect(
          guest().dmesg.some((line) => line.includes(`aoe: ${device}: setting ${expected} byte data frames`)),
          context(),
        ).toBe(true);
      }
    });

    it('reads the whole export with O_DIRECT exactly as the backing file holds it (sha256)', () => {
      expect(guest().values('read-sha256'), context()).toEqual([[raw.name, sha256(original)]]);
    });

    it('lands an O_DIRECT write in the backing file, and nowhere else (sha256 of the region on the host)', async () => {
      const [write, readback] = [guest().values('write'), guest().values('write-readback')];
      const offset = WRITE_AT_MIB * MiB;
      const length = WRITE_MIB * MiB;
      expect(write[0], context()).toEqual([raw.name, String(offset), String(length), expect.stringMatching(/^[0-9a-f]{64}$/)]);
      const hash = write[0][3];
      expect(readback[0], context()).toEqual([raw.name, hash]);
      expect(await sha256File(rawFile, offset, length)).toBe(hash);
      const after = fs.readFileSync(rawFile);
      expect(after.length).toBe(EXPORT_BYTES);
      expect(sha256(after.subarray(0, offset))).toBe(sha256(original.subarray(0, offset)));
      expect(sha256(after.subarray(offset + length))).toBe(sha256(original.subarray(offset + length)));
    });

    it('writes and reads the last MiBs of a 256 GiB export (LBA48 only)', async () => {
      const offset = BIG_BYTES - WRITE_MIB * MiB;
      const [write, readback] = [guest().values('write'), guest().values('write-readback')];
      expect(write[1], context()).toEqual([big.name, String(offset), String(WRITE_MIB * MiB), expect.stringMatching(/^[0-9a-f]{64}$/)]);
      expect(readback[1], context()).toEqual([big.name, write[1][3]]);
      expect(await sha256File(bigFile, offset, WRITE_MIB * MiB)).toBe(write[1][3]);
    });

    it('carries ext4: mkfs, a file, umount, mount again, same checksum; the host sees a clean filesystem with that file', async () => {
      const files = new Map(
        guest()
          .values('fs-file')
          .map(([when, hash]) => [when, hash]),
      );
      expect(files.get('written'), context()).toMatch(/^[0-9a-f]{64}$/);
      expect(files.get('remounted'), context()).toBe(files.get('written'));
      const check = await runTool('e2fsck', ['-f', '-n', ext4File]);
      expect(check.code, `e2fsck -fn: ${check.stdout.toString()}${check.stderr}`).toBe(0);
      const file = await runTool('debugfs', ['-R', 'cat /data.bin', ext4File]);
      expect(file.code, file.stderr).toBe(0);
      expect(file.stdout.length).toBe(FILE_KIB * 1024);
      expect(sha256(file.stdout)).toBe(files.get('written'));
    });

    it('logs no aoe, block-layer or ext4 errors in the guest kernel', () => {
      expect(
        guest().dmesg.some((line) => line.includes('aoe: AoE v')),
        context(),
      ).toBe(true);
      expect(guest().dmesgLines, context()).toBe(guest().dmesg.length); // nothing cut off unseen
      expect(aoeErrorLines(guest().dmesg), context()).toEqual([]);
    });
  });
}
