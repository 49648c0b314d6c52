// The initiator's FLUSH: never turns an error into success; falls back to FLUSH CACHE only for a target that refused EXT from the start.
import { afterEach, describe, expect, it } from 'vitest';
import { openDevice, type Device } from '../../src/initiator/index.js';
import { createRig } from './rig.js';

const UNC = 0x40;
const ABRT = 0x04;
let cleanup: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const step of cleanup.reverse()) await step();
  cleanup = [];
});

/** One path to a fake target whose flush answers come from `answers` (0xEA and 0xE7 each get their own list, in order). */
async function deviceWithFlushAnswers(answers: { ext: number[]; legacy: number[] }) {
  const sent = { ext: 0, legacy: 0 };
  const rig = createRig({
    mtus: [1500],
    diskBytes: 1024 * 1024,
    target: {
      flushError: (command) => {
        if (command === 0xea) return answers.ext[sent.ext++] ?? 0;
        return answers.legacy[sent.legacy++] ?? 0;
      },
    },
  });
  cleanup.push(() => rig.close());
  const device: Device = await openDevice('e1.1', { links: rig.initiatorLinks, discoverTimeoutMs: 30 });
  cleanup.push(() => device.close());
  return { device, sent };
}

describe('FLUSH errors reach the caller', () => {
  it('a FLUSH EXT that fails with an I/O error (UNC) is an error and is never retried as FLUSH CACHE', async () => {
    const { device, sent } = await deviceWithFlushAnswers({ ext: [UNC], legacy: [] });
    await device.write(0, Buffer.alloc(4096, 1));
    const failure = await device.flush().then(
      () => undefined,
      (error: unknown) => error,
    );
    expect(failure).toMatchObject({ code: 'ERR_ATA_UNC' });
    expect((failure as Error).message).toMatch(/FLUSH failed.*I\/O error/);
    expect(sent).toEqual({ ext: 1, legacy: 0 });
  });

  it('a bare ABRT after a FLUSH EXT once succeeded is an error, not a reason to fall back to FLUSH CACHE', async () => {
    const { device, sent } = await deviceWithFlushAnswers({ ext: [0, ABRT], legacy: [] });
    await device.flush();
    await expect(device.flush()).rejects.toMatchObject({ code: 'ERR_ATA_ABORT' });
    expect(sent).toEqual({ ext: 2, legacy: 0 });
  });

  it('ABRT with UNC on a first FLUSH EXT is an I/O error, not "EXT not supported"', async () => {
    const { device, sent } = await deviceWithFlushAnswers({ ext: [ABRT | UNC], legacy: [] });
    await expect(device.flush()).rejects.toMatchObject({ code: 'ERR_ATA_UNC' });
    expect(sent).toEqual({ ext: 1, legacy: 0 });
  });

  it('a target that refuses FLUSH EXT from the start (vblade) gets FLUSH CACHE, and only FLUSH CACHE from then on', async () => {
    const { device, sent } = await deviceWithFlushAnswers({ ext: [ABRT, ABRT, ABRT], legacy: [] });
    await device.flush();
    await device.flush();
    expect(sent).toEqual({ ext: 1, legacy: 2 });
  });

  it('a FLUSH CACHE that fails after the fallback is reported, with what it means for the data', async () => {
    const { device } = await deviceWithFlushAnswers({ ext: [ABRT], legacy: [0, UNC] });
    await device.flush();
    await expect(device.flush()).rejects.toThrow(/may not be on its disk/);
  });
});
