// `aoe nbd`'s /metrics body: NBD requests, bytes and errors by command from a live NbdServer, the device's paths, promtool's check.
import { rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { DeviceStats } from '../../src/initiator/device-stats.js';
import { renderNbdMetrics } from '../../src/metrics/nbd-metrics.js';
import { MemoryBlockDevice, NbdServer } from '../../src/nbd/index.js';
import { Command, NbdError } from '../../src/nbd/protocol.js';
import { RawClient } from '../nbd/raw-client.js';
import { promtoolCheck, sampleValue } from './scrape.js';

const MiB = 1024 * 1024;
const cleanup: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const step of cleanup.splice(0).reverse()) await step();
});

function pathStats(index: number, state: 'up' | 'down') {
  return {
    index,
    interface: `i${index}`,
    targetMac: `02:00:00:00:00:0${index}`,
    mtu: 9000,
    payloadBytes: 8704,
    state,
    cwnd: 16.5,
    ssthresh: 64,
    inflight: 3,
    srttMs: 0.25,
    rtoMs: 10,
    framesSent: 100,
    framesAcked: 97,
    bytesAcked: 97 * 8704,
    retransmits: 3,
    fastRetransmits: 2,
    timeouts: 1,
    spuriousRetransmits: 0,
    reorderWindowMs: 1,
    downEvents: state === 'down' ? 1 : 0,
  };
}

const deviceStats: DeviceStats = {
  name: 'e1.1',
  size: 64 * MiB,
  policy: 'least-queue',
  reads: 10,
  writes: 4,
  bytesRead: 10 * MiB,
  bytesWritten: 4 * MiB,
  retransmits: 6,
  fastRetransmits: 4,
  timeoutRetransmits: 2,
  spuriousRetransmits: 0,
  ignoredReplies: 1,
  paths: [pathStats(0, 'up'), pathStats(1, 'down')],
};

describe('aoe nbd /metrics', () => {
  it('counts NBD requests, bytes and errors by command, connections, and every path of the device; promtool passes', async () => {
    const server = new NbdServer({ device: new MemoryBlockDevice(4 * MiB), name: 'disk' });
    const socket = join(tmpdir(), `aoekit-nbd-metrics-${process.pid}.sock`);
    await server.listen({ socket });
    cleanup.push(async () => {
      await server.close(100);
      rmSync(socket, { force: true });
    });
    const client = await RawClient.connect(socket);
    cleanup.push(() => client.close());
    await client.open('disk');
    client.sendRequest(Command.Write, 1, 0, 64 * 1024, 0, Buffer.alloc(64 * 1024, 7));
    expect((await client.reply()).error).toBe(0);
    client.sendRequest(Command.Read, 2, 0, 4096);
    expect((await client.reply(() => 4096)).error).toBe(0);
    client.sendRequest(Command.Read, 3, 8 * MiB, 512); // beyond the end: an error
    expect((await client.reply()).error).toBe(NbdError.EINVAL);
    client.sendRequest(Command.Flush, 4, 0, 0);
    expect((await client.reply()).error).toBe(0);

    const body = renderNbdMetrics(server.stats(), deviceStats);
    expect(sampleValue(body, 'aoe_nbd_requests_total{op="read"}')).toBe(2);
    expect(sampleValue(body, 'aoe_nbd_requests_total{op="write"}')).toBe(1);
    expect(sampleValue(body, 'aoe_nbd_requests_total{op="flush"}')).toBe(1);
    expect(sampleValue(body, 'aoe_nbd_errors_total{op="read"}')).toBe(1);
    expect(sampleValue(body, 'aoe_nbd_bytes_total{op="read"}')).toBe(4096);
    expect(sampleValue(body, 'aoe_nbd_bytes_total{op="write"}')).toBe(64 * 1024);
    expect(sampleValue(body, 'aoe_nbd_requests_in_flight')).toBe(0);
    expect(sampleValue(body, 'aoe_nbd_connections')).toBe(1);
    expect(sampleValue(body, 'aoe_device_bytes_total{device="e1.1",op="read"}')).toBe(10 * MiB);
    expect(sampleValue(body, 'aoe_path_up{device="e1.1",interface="i0",target_mac="02:00:00:00:00:00"}')).toBe(1);
    expect(sampleValue(body, 'aoe_path_up{device="e1.1",interface="i1",target_mac="02:00:00:00:00:01"}')).toBe(0);
    expect(sampleValue(body, 'aoe_path_rtt_seconds{device="e1.1",interface="i0",target_mac="02:00:00:00:00:00"}')).toBe(0.00025);
    const lint = promtoolCheck(body);
    expect(lint.output).toBe('');
    expect(lint.code).toBe(0);
  });

  it('before the device is open, only the process families are served', () => {
    const body = renderNbdMetrics(undefined, undefined);
    expect(body).not.toMatch(/^aoe_/m);
    expect(body).toMatch(/^process_cpu_seconds_total /m);
  });
});
