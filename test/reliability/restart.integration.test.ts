// Scenario 4: kill -9 aoeblade during a write stream, restart it with the same state directory; data and control state survive.
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { maskList, openDevice, queryConfig, reserve, setConfig } from '../../src/initiator/index.js';
import { fullRun, recordFigures } from '../../tools/reliability/figures.js';
import { useLab } from '../helpers/lab.js';
import { hashFileRange, killBlades, MiB, requireBuild, sha256, sleep, sparseFile, startBlade, type Blade } from './blade.js';

const CHUNKS = fullRun ? 192 : 64;
const CHUNK = MiB;
const FLUSH_EVERY = 8;

describe('target restart (kill -9) [netlab]', () => {
  const net = useLab({ links: 2 });
  const directory = fs.mkdtempSync('/var/tmp/aoekit-rel-restart-');
  const file = path.join(directory, 'disk.img');
  const stateDir = path.join(directory, 'state');
  const blades: Blade[] = [];

  beforeAll(async () => {
    requireBuild();
    sparseFile(file, CHUNKS * CHUNK);
  }, 60_000);
  afterAll(async () => {
    await killBlades(blades);
    fs.rmSync(directory, { recursive: true, force: true });
  });

  it('the initiator resumes; everything acknowledged before the last completed flush is intact; config, mask and reservation survive', async () => {
    const lab = net.lab;
    const args = ['--no-announce', '--state-dir', stateDir, '1', '1', 't0,t1', file];
    const first = await startBlade(lab, args, blades);
    const device = await openDevice('e1.1', { interfaces: ['i0', 'i1'], netns: lab.initiatorNs, deadlineMs: 30_000 });
    try {
      const control = { port: device.paths[0].port, mac: device.paths[0].targetMac, shelf: 1, slot: 1 };
      const ourMacs = device.paths.map((item) => item.link.mac);
      await setConfig(control, 'rack7 restart-test', true);
      await maskList(
        control,
        ourMacs.map((mac) => ({ command: 'add' as const, mac })),
      );
      await reserve(control, ourMacs, true);

      const chunks = Array.from({ length: CHUNKS }, () => randomBytes(CHUNK));
      let acknowledged = 0;
      let flushedThrough = 0; // chunks acknowledged before the last completed flush
      let killAt = -1;
      let restartedAt = -1;
      let firstAckAfterRestart = -1;
      let flushing = false;
      const stream = (async () => {
        for (let index = 0; index < CHUNKS; index++) {
          await device.write(index * CHUNK, chunks[index]);
          acknowledged = index + 1;
          if (restartedAt > 0 && firstAckAfterRestart < 0) firstAckAfterRestart = performance.now();
          if (acknowledged % FLUSH_EVERY === 0) {
            const through = acknowledged;
            flushing = true;
            await device.flush();
            flushing = false;
            flushedThrough = through;
          }
        }
      })();
      // Kill while data writes (not a flush) are in flight, so the device's own retransmission has to carry the stream over.
      while (acknowledged < CHUNKS / 4 || flushing) await new Promise((resolve) => setImmediate(resolve));
      first.child.kill('SIGKILL');
      killAt = performance.now();
      expect(await first.exited).toBe(-1);
      const ackedAtKill = acknowledged;
      const killedDuring = flushing
        ? 'a FLUSH CACHE EXT (control request, retried by flush())'
        : 'data writes (retransmitted by the device)';
      const flushedAtKill = flushedThrough;
      // Everything acknowledged before the last completed flush is on disk while the target is dead.
      const intactAtKill = chunks
        .slice(0, flushedAtKill)
        .every((chunk, index) => hashFileRange(file, index * CHUNK, CHUNK) === sha256(chunk));
      await sleep(500);
      await startBlade(lab, args, blades);
      restartedAt = performance.now();
      await stream;
      await device.flush();
      const done = performance.now();
      const intactAtEnd = chunks.every((chunk, index) => hashFileRange(file, index * CHUNK, CHUNK) === sha256(chunk));
      const config = await queryConfig(control);
      const mask = await maskList(control);
      const reservation = await reserve(control);
      recordFigures(
        4,
        'target restart (kill -9)',
        'aoeblade is killed with SIGKILL during a write stream with a flush every 8 MiB, then restarted with the same --state-dir: the still-open device resumes, data flushed before the kill is intact, everything written ends up intact, and the config string, mask list and reservation are back.',
        {
          'MiB streamed': (CHUNKS * CHUNK) / MiB,
          'the kill landed during': killedDuring,
          'MiB acknowledged at kill': (ackedAtKill * CHUNK) / MiB,
          'MiB flushed at kill (checked intact)': (flushedAtKill * CHUNK) / MiB,
          'target down ms (kill to serving again)': Math.round(restartedAt - killAt),
          'ms from restart to first acknowledged write': Math.round(firstAckAfterRestart - restartedAt),
          'initiator retransmits': device.stats().retransmits,
          'path down events': device.stats().paths.reduce((sum, item) => sum + item.downEvents, 0),
          'config string after restart': config.configString,
          'mask entries after restart': mask.length,
          'reservation entries after restart': reservation.length,
          'seconds from kill to stream done': Math.round((done - killAt) / 100) / 10,
        },
      );
      expect(flushedAtKill).toBeGreaterThan(0);
      expect(intactAtKill).toBe(true);
      expect(intactAtEnd).toBe(true);
      expect(config.configString).toBe('rack7 restart-test');
      expect([...mask].sort()).toEqual([...ourMacs].sort());
      expect([...reservation].sort()).toEqual([...ourMacs].sort());
    } finally {
      await device.close();
    }
  }, 120_000);
});
