// `aoe nbd`'s /metrics: the NBD server's requests and connections, and the AoE device's per-path figures, read at scrape time.
import type { DeviceStats, PathStats } from '../initiator/device-stats.js';
import { NBD_OPERATIONS } from '../nbd/counters.js';
import type { NbdServerStats } from '../nbd/server.js';
import { writeProcessMetrics } from './process-metrics.js';
import { MetricsText, type Sample } from './text-format.js';

type PathFamily = readonly [name: string, type: 'counter' | 'gauge', help: string, value: (path: PathStats) => number];

const PATH_FAMILIES: readonly PathFamily[] = [
  ['aoe_path_up', 'gauge', '1 when the path (local NIC to target MAC) is up, else 0.', (p) => (p.state === 'up' ? 1 : 0)],
  ['aoe_path_frames_sent_total', 'counter', 'Request frames sent on the path (retransmits included).', (p) => p.framesSent],
  ['aoe_path_frames_acked_total', 'counter', 'Request frames answered on the path.', (p) => p.framesAcked],
  ['aoe_path_bytes_total', 'counter', 'Data bytes carried by answered frames on the path.', (p) => p.bytesAcked],
  ['aoe_path_fast_retransmits_total', 'counter', 'Frames found lost by a later reply and sent again at once.', (p) => p.fastRetransmits],
  ['aoe_path_timeouts_total', 'counter', 'Frames sent again after their retransmit timeout expired.', (p) => p.timeouts],
  [
    'aoe_path_spurious_retransmits_total',
    'counter',
    'Fast retransmits whose original was answered after all.',
    (p) => p.spuriousRetransmits,
  ],
  ['aoe_path_down_events_total', 'counter', 'Times the path was marked down.', (p) => p.downEvents],
  ['aoe_path_in_flight', 'gauge', 'Frames sent on the path and not answered yet.', (p) => p.inflight],
  ['aoe_path_congestion_window', 'gauge', 'Congestion window of the path, in frames.', (p) => p.cwnd],
  ['aoe_path_rtt_seconds', 'gauge', 'Smoothed round-trip time of the path.', (p) => p.srttMs / 1000],
  ['aoe_path_rto_seconds', 'gauge', 'Retransmit timeout of the path.', (p) => p.rtoMs / 1000],
  ['aoe_path_payload_bytes', 'gauge', 'Data bytes per frame on the path (follows its MTU).', (p) => p.payloadBytes],
];

/** The AoE device's families (device-wide and per path); shared by every command that serves a device. */
export function writeDeviceMetrics(text: MetricsText, device: DeviceStats): void {
  const labels = { device: device.name };
  text
    .family('aoe_device_size_bytes', 'gauge', 'Size of the AoE device in bytes.', [[labels, device.size]])
    .family('aoe_device_requests_total', 'counter', 'Requests made of the AoE device, by operation.', [
      [{ ...labels, op: 'read' }, device.reads],
      [{ ...labels, op: 'write' }, device.writes],
    ])
    .family('aoe_device_bytes_total', 'counter', 'Bytes read from and written to the AoE device.', [
      [{ ...labels, op: 'read' }, device.bytesRead],
      [{ ...labels, op: 'write' }, device.bytesWritten],
    ])
    .family('aoe_device_ignored_replies_total', 'counter', 'Late, duplicate or stray replies ignored.', [[labels, device.ignoredReplies]]);
  for (const [name, type, help, value] of PATH_FAMILIES) {
    const samples = device.paths.map((path): Sample => [{ ...labels, interface: path.interface, target_mac: path.targetMac }, value(path)]);
    text.family(name, type, help, samples);
  }
}

/** The scrape body for `aoe nbd`: NBD requests by command, connections, memory held, then the device and its paths. */
export function renderNbdMetrics(server: NbdServerStats | undefined, device: DeviceStats | undefined): string {
  const text = new MetricsText();
  if (server) {
    const ops = server.operations;
    text
      .family(
        'aoe_nbd_requests_total',
        'counter',
        'NBD requests answered, by command.',
        NBD_OPERATIONS.map((op): Sample => [{ op }, ops[op].requests]),
      )
      .family(
        'aoe_nbd_errors_total',
        'counter',
        'NBD requests answered with an error, by command.',
        NBD_OPERATIONS.map((op): Sample => [{ op }, ops[op].errors]),
      )
      .family('aoe_nbd_bytes_total', 'counter', 'Bytes moved by successful NBD READs and WRITEs.', [
        [{ op: 'read' }, ops.read.bytes],
        [{ op: 'write' }, ops.write.bytes],
      ])
      .family('aoe_nbd_requests_in_flight', 'gauge', 'NBD requests at the device and not answered yet.', [[{}, server.requestsInFlight]])
      .family('aoe_nbd_connections', 'gauge', 'NBD client connections open now.', [[{}, server.connections]])
      .family('aoe_nbd_connections_total', 'counter', 'NBD client connections accepted.', [[{}, server.totalConnections]])
      .family('aoe_nbd_connections_refused_total', 'counter', 'NBD client connections refused (over --max-connections).', [
        [{}, server.refusedConnections],
      ])
      .family('aoe_nbd_buffered_bytes', 'gauge', 'Bytes held for requests in flight and replies not yet taken by clients.', [
        [{}, server.bytesInFlight],
      ])
      .family('aoe_nbd_device_queue_bytes', 'gauge', 'Bytes of request chunks at the AoE device now.', [[{}, server.deviceBytes]]);
  }
  if (device) writeDeviceMetrics(text, device);
  writeProcessMetrics(text);
  return text.text();
}
