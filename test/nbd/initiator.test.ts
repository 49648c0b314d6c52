// NBD server over the real initiator Device (MemoryHub + fake target, 2 paths), driven by libnbd's nbdcopy and nbdinfo.
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterEach, describe, expect, it } from 'vitest';
import { openDevice } from '../../src/initiator/index.js';
import { NbdServer } from '../../src/nbd/index.js';
import { createRig, sha256 } from '../initiator/rig.js';

const run = promisify(execFile);
const MiB = 1024 * 1024;
let cleanup: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const step of cleanup.reverse()) await step();
  cleanup = [];
});

describe('NBD over a multipath initiator device (memory links)', () => {
  it('nbdinfo sees the device size; nbdcopy writes and reads back 8 MiB intact, landing on the target disk', async () => {
    const rig = createRig({ diskBytes: 8 * MiB });
    cleanup.push(() => rig.close());
    const device = await openDevice('e1.1', { links: rig.initiatorLinks, discoverTimeoutMs: 30 });
    cleanup.push(() => device.close());
    const server = new NbdServer({ device, name: 'e1.1' });
    const socket = join(tmpdir(), `aoekit-nbd-ini-${process.pid}.sock`);
    await server.listen({ socket });
    cleanup.push(() => server.close(100));
    const uri = `nbd+unix:///e1.1?socket=${socket}`;

    const info = JSON.parse((await run('nbdinfo', ['--json', uri])).stdout);
    expect(info.exports[0]['export-size']).toBe(8 * MiB);

    const image = join(tmpdir(), `aoekit-nbd-ini-${process.pid}.img`);
    const back = `${image}.back`;
    cleanup.push(async () => {
      await rm(image, { force: true });
      await rm(back, { force: true });
    });
    const data = randomBytes(8 * MiB);
    await writeFile(image, data);
    await run('nbdcopy', ['--flush', image, uri]);
    expect(sha256(rig.disk)).toBe(sha256(data));
    expect(rig.targets.reduce((sum, target) => sum + target.counters.flushes, 0)).toBeGreaterThan(0);
    await run('nbdcopy', [uri, back]);
    expect(sha256(await readFile(back))).toBe(sha256(data));
    expect(device.stats().paths.every((path) => path.framesAcked > 0)).toBe(true);
  }, 30_000);

  it('a FLUSH the target fails with an I/O error reaches the NBD client as EIO: nbdcopy --flush exits non-zero', async () => {
    const rig = createRig({ diskBytes: 2 * MiB, target: { flushError: (command) => (command === 0xea ? 0x40 : 0) } });
    cleanup.push(() => rig.close());
    const device = await openDevice('e1.1', { links: rig.initiatorLinks, discoverTimeoutMs: 30 });
    cleanup.push(() => device.close());
    const server = new NbdServer({ device, name: 'e1.1' });
    const socket = join(tmpdir(), `aoekit-nbd-flush-${process.pid}.sock`);
    await server.listen({ socket });
    cleanup.push(() => server.close(100));
    const image = join(tmpdir(), `aoekit-nbd-flush-${process.pid}.img`);
    cleanup.push(() => rm(image, { force: true }));
    await writeFile(image, randomBytes(2 * MiB));
    const failure = await run('nbdcopy', ['--flush', image, `nbd+unix:///e1.1?socket=${socket}`]).then(
      () => undefined,
      (error: unknown) => error,
    );
    expect(failure).toBeDefined();
    expect(String((failure as { stderr?: string }).stderr)).toMatch(/flush.*(Input\/output error|EIO)/i);
  }, 30_000);
});
