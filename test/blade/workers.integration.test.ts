// aoeblade with worker threads in the lab: data over NICs served by two threads, one control state for all, stats that add up at any moment.
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { formatMac } from '../../src/wire/mac.js';
import { controlStats } from '../reliability/blade.js';
import { runCli } from '../initiator/vblade-helpers.js';
import { MiB, sha256, useBladeLab } from './blade-lab.js';

describe('aoeblade --workers [netlab]', () => {
  const { handle, directory, links, startBlade, stopBlade, image, initiator } = useBladeLab();
  const aoe = (args: string[]) => runCli('aoe', [...args, '--netns', handle.lab.initiatorNs, '--json'], 60_000);

  it('two worker threads serve one RAM disk on two NICs: 32 MiB written and read back over both paths (sha256), stats add up', async () => {
    const socket = path.join(directory, 'workers.sock');
    const blade = await startBlade(['--workers', '2', '--control-socket', socket, '1', '1', 't0,t1', 'ram:64M']);
    expect(blade.output()).toMatch(/serving e1\.1: .* on t0 .*t1/);
    const input = path.join(directory, 'input.bin');
    const output = path.join(directory, 'output.bin');
    const data = randomBytes(32 * MiB);
    fs.writeFileSync(input, data);
    const written = await aoe(['copy', input, 'aoe:e1.1', '-i', 'i0,i1']);
    expect(written.stderr).toBe('');
    const read = await aoe(['copy', 'aoe:e1.1', output, '-i', 'i0,i1', '--length', String(32 * MiB)]);
    expect(read.stderr).toBe('');
    expect(sha256(fs.readFileSync(output))).toBe(sha256(data));
    const shares = (JSON.parse(read.stdout) as { paths: Array<{ frames: number }> }).paths.map((path) => path.frames);
    expect(shares.every((frames) => frames > 0)).toBe(true);
    // Asked right after the copy, with no wait: the main thread gets counters as of now from both threads
    // (their periodic reports come every 250 ms, and would miss the end of the copy).
    const stats = await controlStats(socket);
    expect(stats.nics.map((nic) => nic.name).sort()).toEqual(['t0', 't1']);
    const nicFrames = stats.nics.reduce((sum, nic) => sum + nic.framesIn, 0);
    expect(nicFrames).toBeGreaterThan((2 * 32 * MiB) / 1024);
    expect(stats.exports[0].framesIn).toBe(nicFrames);
    // Every byte written once, plus any frame the initiator sent again (a retransmit is written again).
    expect(stats.exports[0].bytesWritten).toBeGreaterThanOrEqual(32 * MiB);
    expect(stats.exports[0].bytesWritten).toBeLessThan(32 * MiB * 1.01);
    expect(stats.exports[0].bytesRead).toBeGreaterThanOrEqual(32 * MiB);
    expect(await stopBlade(blade)).toBe(0);
  }, 120_000);

  it('a mask edit through one thread is enforced on the other NIC at once, and saved to --state-dir by the main thread', async () => {
    const stateDir = path.join(directory, 'state');
    const file = image('masked.img', 4 * MiB);
    const blade = await startBlade(['--workers', '2', '--state-dir', stateDir, '2', '1', 't0,t1', file]);
    const other = initiator(1, 2, 1);
    const { mac } = await other.discover();
    expect((await other.request(other.ata(mac, { sectorCount: 1, ataCommand: 0xec })))?.raw[27]).toBe(0x40);
    const edited = await aoe(['mask', 'e2.1', '--add', formatMac(links[0].mac), '-i', 'i0']);
    expect(edited.stderr).toBe('');
    expect(await other.request(other.ata(mac, { sectorCount: 1, ataCommand: 0xec }), 800)).toBeUndefined();
    const deadline = Date.now() + 3000;
    const stateFile = path.join(stateDir, 'e2.1.json');
    while (Date.now() < deadline && !fs.readFileSync(stateFile, 'utf8').includes(formatMac(links[0].mac)))
      await new Promise((r) => setTimeout(r, 50));
    expect(JSON.parse(fs.readFileSync(stateFile, 'utf8')).macMask).toEqual([formatMac(links[0].mac)]);
    expect(await stopBlade(blade)).toBe(0);
  }, 60_000);

  it("a write that failed in one thread (ENOSPC) makes FLUSH fail on the other thread's NIC too (the failure is shared)", async () => {
    // A sparse 32 MiB file on a 4 MiB tmpfs: writes past the space fail at once (ENOSPC), without a write-back error
    // that the other thread's descriptor could see for itself: only the shared state can tell its FLUSH.
    const mountPoint = fs.mkdtempSync('/var/tmp/aoekit-workers-full-');
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=4M', 'aoekit-workers-full', mountPoint]);
    try {
      const file = path.join(mountPoint, 'disk.img');
      fs.writeFileSync(file, Buffer.alloc(0));
      fs.truncateSync(file, 32 * MiB);
      const blade = await startBlade(['--workers', '2', '3', '1', 't0,t1', file]);
      const input = path.join(directory, 'too-big.bin');
      fs.writeFileSync(input, randomBytes(8 * MiB));
      const copy = await aoe(['copy', input, 'aoe:e3.1', '-i', 'i1']);
      expect(copy.code).toBe(1);
      expect(copy.stderr).toMatch(/ERR_ATA_ABORT/);
      const flusher = initiator(0, 3, 1);
      const { mac } = await flusher.discover();
      const flush = await flusher.request(flusher.ata(mac, { sectorCount: 0, ataCommand: 0xea, aflags: 0x40 }), 5000);
      expect({ status: flush?.raw[27], error: flush?.raw[25] }).toEqual({ status: 0x41, error: 0x40 });
      expect(await stopBlade(blade)).toBe(0);
    } finally {
      execFileSync('umount', [mountPoint]);
      fs.rmSync(mountPoint, { recursive: true, force: true });
    }
  }, 90_000);
});
