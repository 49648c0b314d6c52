// Target server behaviour: state persistence, pool exhaustion, send refusal retry, window bounds, announce, link state, control socket.
import { createHash, randomBytes } from 'node:crypto';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { MemoryHub } from '../../src/link/memory-link.js';
import type { BlockStore, FlushCallback, IoCallback } from '../../src/store/block-store.js';
import { MemoryStore } from '../../src/store/memory-store.js';
import { WindowStore } from '../../src/store/window-store.js';
import { createTarget } from '../../src/blade/server.js';
import { ataFrame, configFrame, maskFrame, reserveFrame, TestInitiator } from './aoe-test-client.js';
import { INITIATOR_MAC, OTHER_MAC, TARGET_MAC, startFixture, type Fixture } from './fixture.js';

const sha256 = (data: Uint8Array) => createHash('sha256').update(data).digest('hex');
const base = { source: INITIATOR_MAC, destination: TARGET_MAC, shelf: 1, slot: 2 };

let fixture: Fixture | undefined;
afterEach(async () => {
  await fixture?.close();
  fixture = undefined;
});

/** A store that defers completions until release() (to hold requests in flight). */
function heldStore(size: number): BlockStore & { release(): void; held: number } {
  const inner = new MemoryStore(size);
  const queue: Array<() => void> = [];
  return {
    size,
    readOnly: false,
    synchronous: false,
    description: 'held',
    get held() {
      return queue.length;
    },
    read: (b, o, l, p, cb: IoCallback) => void queue.push(() => inner.read(b, o, l, p, cb)),
    write: (b, o, l, p, cb: IoCallback) => void queue.push(() => inner.write(b, o, l, p, cb)),
    flush: (cb: FlushCallback) => cb(null),
    close: () => inner.close(),
    release() {
      for (const run of queue.splice(0)) run();
    },
  };
}

describe('target server', () => {
  it('persists config string, mask list and reservation across two target instances', async () => {
    const parent = fs.mkdtempSync(path.join(os.tmpdir(), 'aoeblade-state-'));
    const stateDir = path.join(parent, 'created-on-start');
    try {
      fixture = await startFixture({ targetOptions: { stateDir } });
      await fixture.initiator.request(configFrame({ ...base, tag: 1, configCommand: 3, configString: 'persist me' }));
      await fixture.initiator.request(
        maskFrame({
          ...base,
          tag: 2,
          maskCommand: 1,
          directives: [
            [1, INITIATOR_MAC],
            [1, OTHER_MAC],
          ],
        }),
      );
      await fixture.initiator.request(reserveFrame({ ...base, tag: 3, reserveCommand: 1, macs: [INITIATOR_MAC] }));
      await fixture.close();
      fixture = undefined;
      const saved = JSON.parse(fs.readFileSync(path.join(stateDir, 'e1.2.json'), 'utf8'));
      expect(saved.configStringText).toBe('persist me');
      expect(saved.macMask).toEqual(['02:bb:00:00:00:01', '02:bb:00:00:00:02']);
      expect(fs.readdirSync(stateDir)).toEqual(['e1.2.json']); // no temporary files left

      fixture = await startFixture({ targetOptions: { stateDir } });
      const runtime = fixture.target.exports[0];
      expect(Buffer.from(runtime.configString.subarray(0, runtime.configLength)).toString()).toBe('persist me');
      expect(runtime.macMask).toEqual([INITIATOR_MAC, OTHER_MAC]);
      expect(runtime.reservation).toEqual([INITIATOR_MAC]);
      const denied = await fixture.other.request(ataFrame({ ...base, source: OTHER_MAC, tag: 4, sectorCount: 1, ataCommand: 0x24 }));
      expect(denied.error).toBe(6);
    } finally {
      fs.rmSync(parent, { recursive: true, force: true });
    }
  });

  it('counts pool-exhausted drops and still answers what it accepted', async () => {
    const store = heldStore(64 * 1024);
    fixture = await startFixture({ store, targetOptions: { poolSize: 4 } });
    const frames = Array.from({ length: 10 }, (_, index) =>
      ataFrame({ ...base, tag: 100 + index, sectorCount: 1, ataCommand: 0x24, lba: index }),
    );
    fixture.initiator.send(...frames);
    await new Promise((resolve) => setTimeout(resolve, 30));
    expect(store.held).toBe(4);
    expect(fixture.target.stats().nics[0].poolExhausted).toBe(6);
    expect(fixture.target.stats().nics[0].inFlight).toBe(4);
    store.release();
    const replies = await fixture.initiator.waitTag(103);
    expect(replies).toHaveLength(1);
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(fixture.initiator.received.filter((reply) => reply.tag >= 100)).toHaveLength(4);
    expect(fixture.target.stats().nics[0].inFlight).toBe(0);
  });

  it('keeps refused replies queued and retries them (sendCapacity 3), losing none', async () => {
    fixture = await startFixture({ sendCapacity: 3 });
    const frames = Array.from({ length: 20 }, (_, index) =>
      ataFrame({ ...base, tag: 200 + index, sectorCount: 1, ataCommand: 0x24, lba: index }),
    );
    fixture.initiator.send(...frames);
    for (let index = 0; index < 20; index++) expect(await fixture.initiator.waitTag(200 + index)).toHaveLength(1);
    const nic = fixture.target.stats().nics[0];
    expect(nic.sendRetries).toBeGreaterThan(0);
    expect(nic.framesOut).toBe(20);
    expect(nic.link.sendBlocked).toBeGreaterThan(0);
  });

  it('carrier down then up: replies queued meanwhile are retried, service resumes, the export is re-announced', async () => {
    fixture = await startFixture({ targetOptions: { announce: true } });
    await new Promise((resolve) => setTimeout(resolve, 20));
    const announced = fixture.initiator.received.filter((reply) => reply.tag === 0 && reply.command === 1);
    expect(announced).toHaveLength(1);
    expect(announced[0].destination).toBe(0xffffffffffff);
    fixture.targetLink.setCarrier(false);
    await new Promise((resolve) => setTimeout(resolve, 20));
    fixture.targetLink.setCarrier(true);
    const reply = await fixture.initiator.request(ataFrame({ ...base, tag: 5, sectorCount: 1, ataCommand: 0xec }));
    expect(reply.raw[27]).toBe(0x40);
    expect(fixture.initiator.received.filter((item) => item.tag === 0 && item.command === 1).length).toBe(2);
  });

  it('the -o/-l window never touches the store outside it (IDNF instead)', async () => {
    const inner = new MemoryStore(64 * 512);
    const guard = (position: number, length: number) => {
      if (position < 8 * 512 || position + length > 24 * 512) throw new Error(`touched outside the window: ${position}+${length}`);
    };
    const guarded: BlockStore = {
      size: inner.size,
      readOnly: false,
      synchronous: true,
      description: 'guarded',
      read: (b, o, l, p, cb) => {
        guard(p, l);
        inner.read(b, o, l, p, cb);
      },
      write: (b, o, l, p, cb) => {
        guard(p, l);
        inner.write(b, o, l, p, cb);
      },
      flush: (cb) => cb(null),
      close: () => inner.close(),
    };
    const window = new WindowStore(guarded, 8, 16);
    fixture = await startFixture({ store: window });
    const data = randomBytes(1024);
    const write = await fixture.initiator.request(
      ataFrame({ ...base, tag: 1, aflags: 0x41, sectorCount: 2, ataCommand: 0x34, lba: 14, data }),
    );
    expect(write.raw[27]).toBe(0x40);
    const beyond = await fixture.initiator.request(
      ataFrame({ ...base, tag: 2, aflags: 0x41, sectorCount: 2, ataCommand: 0x34, lba: 15, data }),
    );
    expect(beyond.raw[25]).toBe(0x10);
    const check = Buffer.alloc(1024);
    inner.read(check, 0, 1024, (8 + 14) * 512, () => {});
    expect(sha256(check)).toBe(sha256(data));
    const identify = await fixture.initiator.request(ataFrame({ ...base, tag: 3, sectorCount: 1, ataCommand: 0xec }));
    expect(identify.raw.readUInt32LE(36 + 100 * 2)).toBe(16);
  });

  it('stop() finishes requests in flight before returning', async () => {
    const store = heldStore(64 * 1024);
    fixture = await startFixture({ store });
    fixture.initiator.send(ataFrame({ ...base, tag: 7, sectorCount: 1, ataCommand: 0x24 }));
    await new Promise((resolve) => setTimeout(resolve, 20));
    const stopping = fixture.target.stop();
    setTimeout(() => store.release(), 30);
    await stopping;
    expect(await fixture.initiator.waitTag(7)).toHaveLength(1);
  });

  it('serves one export on two NICs and answers each NIC from its own MAC', async () => {
    const hub0 = new MemoryHub();
    const hub1 = new MemoryHub();
    const t0 = hub0.attach('t0', { mac: 0x02aa00000010 });
    const t1 = hub1.attach('t1', { mac: 0x02aa00000011, mtu: 9000 });
    const i0 = new TestInitiator(hub0.attach('i0', { mac: INITIATOR_MAC }));
    const i1 = new TestInitiator(hub1.attach('i1', { mac: INITIATOR_MAC, mtu: 9000 }));
    const target = createTarget({
      exports: [{ shelf: 3, slot: 1, store: new MemoryStore(1 << 20), interfaces: ['t0', 't1'] }],
      links: { t0, t1 },
      announce: false,
      closeLinks: true,
    });
    await target.start();
    try {
      const a = await i0.request(configFrame({ source: INITIATOR_MAC, shelf: 3, slot: 1, tag: 1, configCommand: 0 }));
      const b = await i1.request(configFrame({ source: INITIATOR_MAC, shelf: 3, slot: 1, tag: 2, configCommand: 0 }));
      expect([a.source, a.raw[28]]).toEqual([0x02aa00000010, 2]);
      expect([b.source, b.raw[28]]).toEqual([0x02aa00000011, 17]);
      expect(target.stats().nics.map((nic) => nic.name)).toEqual(['t0', 't1']);
    } finally {
      await target.stop();
    }
  });

  it('logs a stats line every --stats-interval seconds', async () => {
    const lines: string[] = [];
    const logger = pino({ level: 'info' }, { write: (line: string) => void lines.push(line) });
    fixture = await startFixture({ targetOptions: { statsIntervalSeconds: 0.05, logger } });
    await fixture.initiator.request(ataFrame({ ...base, tag: 1, sectorCount: 1, ataCommand: 0xec }));
    await new Promise((resolve) => setTimeout(resolve, 150));
    const stats = lines.map((line) => JSON.parse(line)).filter((entry) => entry.msg === 'stats');
    expect(stats.length).toBeGreaterThanOrEqual(2);
    expect(stats.at(-1).stats.exports[0].framesOut).toBe(1);
  });

  it('answers {"cmd":"stats"} on the control socket', async () => {
    const socketPath = path.join(os.tmpdir(), `aoeblade-test-${process.pid}.sock`);
    fixture = await startFixture({ targetOptions: { controlSocket: socketPath } });
    await fixture.initiator.request(ataFrame({ ...base, tag: 1, sectorCount: 1, ataCommand: 0xec }));
    const answer = await new Promise<string>((resolve, reject) => {
      const socket = net.createConnection(socketPath, () => socket.write('{"cmd":"stats"}\n'));
      let text = '';
      socket.on('data', (chunk) => {
        text += chunk;
        if (text.includes('\n')) {
          socket.end();
          resolve(text);
        }
      });
      socket.on('error', reject);
    });
    const parsed = JSON.parse(answer);
    expect(parsed.ok).toBe(true);
    expect(parsed.stats.exports[0].target).toBe('e1.2');
    expect(parsed.stats.exports[0].framesIn).toBe(1);
    expect(parsed.stats.nics[0].name).toBe('t0');
    await fixture.close();
    fixture = undefined;
    expect(fs.existsSync(socketPath)).toBe(false);
  });
});
