// The export control state in shared memory: edits all or nothing, conditional sets, the sticky write failure, and no lost update across threads.
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { describe, expect, it } from 'vitest';
import { SharedExportState } from '../../src/blade/shared-state.js';

const built = fileURLToPath(new URL('../../dist/blade/shared-state.js', import.meta.url));

describe('SharedExportState', () => {
  it('an edit replaces the list as a whole or not at all, and readers see either list', () => {
    const state = new SharedExportState();
    expect(state.editMask(() => ({ list: [1, 2, 3] }))).toEqual({ changed: true });
    expect(state.editMask((current) => ({ list: [...current] }))).toEqual({ changed: false });
    expect(state.editMask(() => ({ refused: 'list full' }))).toEqual({ refused: 'list full' });
    expect(state.maskList()).toEqual([1, 2, 3]);
    expect(state.maskAllows(2)).toBe(true);
    expect(state.maskAllows(4)).toBe(false);
    expect(state.maskCount).toBe(3);
  });

  it('a config "set" only lands when no string is set; a write failure is recorded once, the first one wins', () => {
    const state = new SharedExportState();
    expect(state.setConfig(Buffer.from('first'), true)).toBe(true);
    expect(state.setConfig(Buffer.from('second'), true)).toBe(false);
    expect(state.configString().toString()).toBe('first');
    expect(state.setConfig(Buffer.from('forced'))).toBe(true);
    expect(state.configString().toString()).toBe('forced');
    expect(state.writeFailure()).toBeNull();
    expect(state.recordWriteFailure('ENOSPC')).toBe(true);
    expect(state.recordWriteFailure('EIO')).toBe(false);
    expect(state.writeFailure()?.code).toBe('ENOSPC');
  });

  it('two threads adding 32 MACs each to one reservation at the same time lose none (read-modify-write under the lock)', async () => {
    const state = new SharedExportState();
    const script = `
      const { workerData, parentPort } = require('node:worker_threads');
      import(${JSON.stringify(built)}).then(({ SharedExportState }) => {
        const state = new SharedExportState(workerData.buffer);
        for (let i = 0; i < 32; i++) {
          const mac = workerData.base + i;
          state.editReservation((current) => ({ list: [...current, mac] }));
          for (let spin = 0; spin < 1000; spin++) state.reservationAllows(mac);
        }
        parentPort.postMessage('done');
      });`;
    const run = (base: number) =>
      new Promise<void>((resolve, reject) => {
        const worker = new Worker(script, { eval: true, workerData: { buffer: state.buffer, base } });
        worker.once('message', () => resolve());
        worker.once('error', reject);
      });
    await Promise.all([run(0x020000000000), run(0x020000001000)]);
    const list = state.reservationList();
    expect(list).toHaveLength(64);
    expect(new Set(list).size).toBe(64);
  });
});
