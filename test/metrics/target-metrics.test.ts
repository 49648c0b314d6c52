// aoeblade's /metrics from a target on a MemoryHub: the families and values, promtool's check, and a port in use at start-up.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createTarget } from '../../src/blade/server.js';
import { MemoryHub } from '../../src/link/memory-link.js';
import { MemoryStore } from '../../src/store/memory-store.js';
import { ataFrame } from '../blade/aoe-test-client.js';
import { INITIATOR_MAC, OTHER_MAC, TARGET_MAC, startFixture, type Fixture } from '../blade/fixture.js';
import { promtoolCheck, sampleValue } from './scrape.js';

let fixture: Fixture | undefined;
const cleanup: Array<() => void> = [];
afterEach(async () => {
  await fixture?.close();
  fixture = undefined;
  for (const step of cleanup.splice(0)) step();
});

async function scrape(port: number): Promise<{ status: number; type: string | null; body: string }> {
  const response = await fetch(`http://127.0.0.1:${port}/metrics`);
  return { status: response.status, type: response.headers.get('content-type'), body: await response.text() };
}

describe('target /metrics', () => {
  it('serves per-export and per-NIC counters, denials and the latency histogram, and promtool check metrics passes', async () => {
    fixture = await startFixture({
      exportOptions: { macMask: [INITIATOR_MAC] },
      targetOptions: { metricsListen: { host: '127.0.0.1', port: 0 } },
    });
    const port = fixture.target.metricsAddress?.port as number;
    expect(port).toBeGreaterThan(0);
    const base = { source: INITIATOR_MAC, destination: TARGET_MAC, shelf: 1, slot: 2 };
    for (let tag = 1; tag <= 8; tag++)
      await fixture.initiator.request(ataFrame({ ...base, tag, sectorCount: 2, ataCommand: 0x20, lba: tag * 2 }));
    await fixture.other.expectSilence(ataFrame({ ...base, source: OTHER_MAC, tag: 20, sectorCount: 1, ataCommand: 0xec }));
    const { status, type, body } = await scrape(port);
    expect(status).toBe(200);
    expect(type).toBe('text/plain; version=0.0.4; charset=utf-8');
    expect(sampleValue(body, 'aoeblade_export_io_bytes_total{export="e1.2",op="read"}')).toBe(8 * 1024);
    expect(sampleValue(body, 'aoeblade_export_requests_total{export="e1.2",op="read"}')).toBe(8);
    expect(sampleValue(body, 'aoeblade_export_denied_total{export="e1.2",reason="mask"}')).toBe(1);
    expect(sampleValue(body, 'aoeblade_export_request_duration_seconds_count{export="e1.2"}')).toBe(8);
    expect(sampleValue(body, 'aoeblade_export_request_duration_seconds_bucket{export="e1.2",le="+Inf"}')).toBe(8);
    expect(sampleValue(body, 'aoeblade_export_in_flight{export="e1.2"}')).toBe(0);
    expect(sampleValue(body, 'aoeblade_nic_frames_total{nic="t0",direction="in"}')).toBe(9);
    expect(sampleValue(body, 'aoeblade_nic_up{nic="t0"}')).toBe(1);
    expect(sampleValue(body, 'aoeblade_nic_mtu_bytes{nic="t0"}')).toBe(1500);
    expect(sampleValue(body, 'aoeblade_nic_dropped_total{nic="t0",reason="kernel"}')).toBe(0);
    expect(body).toMatch(/^process_resident_memory_bytes \d+$/m);
    const lint = promtoolCheck(body);
    expect(lint.output).toBe('');
    expect(lint.code).toBe(0);
    // Counters are read at scrape time: more reads, higher numbers.
    await fixture.initiator.request(ataFrame({ ...base, tag: 9, sectorCount: 2, ataCommand: 0x20 }));
    expect(sampleValue((await scrape(port)).body, 'aoeblade_export_io_bytes_total{export="e1.2",op="read"}')).toBe(9 * 1024);
    expect((await fetch(`http://127.0.0.1:${port}/`)).status).toBe(404);
  });

  it('a metrics port in use fails the start with EADDRINUSE naming the address, and leaves no control socket or state directory', async () => {
    fixture = await startFixture({ targetOptions: { metricsListen: { host: '127.0.0.1', port: 0 } } });
    const port = fixture.target.metricsAddress?.port as number;
    const directory = fs.mkdtempSync(path.join(os.tmpdir(), 'aoekit-metrics-'));
    cleanup.push(() => fs.rmSync(directory, { recursive: true, force: true }));
    const hub = new MemoryHub({ seed: 1 });
    const link = hub.attach('t9', { mac: 0x02cc00000001, mtu: 1500 });
    cleanup.push(() => void link.close());
    const target = createTarget({
      exports: [{ shelf: 3, slot: 1, store: new MemoryStore(64 * 1024), interfaces: ['t9'] }],
      links: { t9: link },
      stateDir: path.join(directory, 'state', 'deeper'),
      controlSocket: path.join(directory, 'control.sock'),
      metricsListen: { host: '127.0.0.1', port },
      announce: false,
    });
    await expect(target.start()).rejects.toMatchObject({
      code: 'EADDRINUSE',
      message: `cannot listen for metrics on 127.0.0.1:${port}: the address is in use`,
    });
    expect(fs.readdirSync(directory)).toEqual([]);
  });
});
