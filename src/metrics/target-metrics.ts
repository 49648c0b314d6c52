// aoeblade's /metrics: every export's and NIC's counters from target.stats() (taken at scrape time) as Prometheus families.
import type { ExportStatsSnapshot, NicStatsSnapshot, TargetStats } from '../blade/stats.js';
import { writeProcessMetrics } from './process-metrics.js';
import { MetricsText, type Sample } from './text-format.js';

type Family<T> = readonly [
  name: string,
  type: 'counter' | 'gauge',
  help: string,
  samples: (item: T) => Array<[Record<string, string>, number]>,
];

const EXPORT_FAMILIES: ReadonlyArray<Family<ExportStatsSnapshot>> = [
  ['aoeblade_export_size_bytes', 'gauge', 'Size of the export (its window) in bytes.', (e) => [[{}, e.sizeBytes]]],
  [
    'aoeblade_export_frames_total',
    'counter',
    'AoE frames received for the export (in) and replies sent (out).',
    (e) => [
      [{ direction: 'in' }, e.framesIn],
      [{ direction: 'out' }, e.framesOut],
    ],
  ],
  [
    'aoeblade_export_bytes_total',
    'counter',
    'Bytes of AoE frames received for the export (in) and of replies sent (out).',
    (e) => [
      [{ direction: 'in' }, e.bytesIn],
      [{ direction: 'out' }, e.bytesOut],
    ],
  ],
  [
    'aoeblade_export_requests_total',
    'counter',
    'ATA requests executed, by operation (read, write, flush).',
    (e) => [
      [{ op: 'read' }, e.readCommands],
      [{ op: 'write' }, e.writeCommands],
      [{ op: 'flush' }, e.flushes],
    ],
  ],
  [
    'aoeblade_export_io_bytes_total',
    'counter',
    'Data bytes read from and written to the backing store.',
    (e) => [
      [{ op: 'read' }, e.bytesRead],
      [{ op: 'write' }, e.bytesWritten],
    ],
  ],
  [
    'aoeblade_export_errors_total',
    'counter',
    'Error replies by kind: aoe (AoE error in the header), ata (ATA status ERR), io (store failures, also counted as ata).',
    (e) => [
      [{ kind: 'aoe' }, e.aoeErrors],
      [{ kind: 'ata' }, e.ataErrors],
      [{ kind: 'io' }, e.ioErrors],
    ],
  ],
  [
    'aoeblade_export_denied_total',
    'counter',
    'Requests refused by access control: mask (sender not on the Mac Mask List: no answer), reservation (AoE error 6).',
    (e) => [
      [{ reason: 'mask' }, e.maskDenied],
      [{ reason: 'reservation' }, e.reservedDenied],
    ],
  ],
  [
    'aoeblade_export_config_silent_total',
    'counter',
    'Query Config test/prefix requests that did not match and got no answer.',
    (e) => [[{}, e.configSilent]],
  ],
  ['aoeblade_export_in_flight', 'gauge', 'Requests of the export being served right now.', (e) => [[{}, e.inFlight]]],
  [
    'aoeblade_export_write_failed',
    'gauge',
    '1 once a write or flush failed (every FLUSH fails until the export is reopened), else 0.',
    (e) => [[{}, e.writeFailure === null ? 0 : 1]],
  ],
];

const NIC_FAMILIES: ReadonlyArray<Family<NicStatsSnapshot>> = [
  [
    'aoeblade_nic_frames_total',
    'counter',
    'Frames received (in) and sent (out) on the NIC.',
    (n) => [
      [{ direction: 'in' }, n.framesIn],
      [{ direction: 'out' }, n.framesOut],
    ],
  ],
  [
    'aoeblade_nic_bytes_total',
    'counter',
    'Bytes received (in) and sent (out) on the NIC.',
    (n) => [
      [{ direction: 'in' }, n.bytesIn],
      [{ direction: 'out' }, n.bytesOut],
    ],
  ],
  [
    'aoeblade_nic_ignored_total',
    'counter',
    'Frames received and not served: malformed, response (an AoE reply), not_for_us (a shelf.slot not served here).',
    (n) => [
      [{ reason: 'malformed' }, n.malformed],
      [{ reason: 'response' }, n.responsesIgnored],
      [{ reason: 'not_for_us' }, n.notForUs],
    ],
  ],
  [
    'aoeblade_nic_dropped_total',
    'counter',
    'Frames lost: pool_exhausted (no reply frame free), send_failed (given up after retrying), stopping, kernel (before we read them).',
    (n) => [
      [{ reason: 'pool_exhausted' }, n.poolExhausted],
      [{ reason: 'send_failed' }, n.sendDropped],
      [{ reason: 'stopping' }, n.droppedStopping],
      [{ reason: 'kernel' }, n.link.kernelDrops],
    ],
  ],
  [
    'aoeblade_nic_send_retries_total',
    'counter',
    'Sends the kernel accepted only in part (EAGAIN/ENOBUFS); the rest was retried.',
    (n) => [[{}, n.sendRetries]],
  ],
  ['aoeblade_nic_send_errors_total', 'counter', 'Send errors other than EAGAIN/ENOBUFS (ENETDOWN, ...).', (n) => [[{}, n.link.sendErrors]]],
  [
    'aoeblade_nic_receive_batches_total',
    'counter',
    'Receive batches (framesIn / batches = frames per wakeup).',
    (n) => [[{}, n.link.batchesIn]],
  ],
  ['aoeblade_nic_announces_total', 'counter', 'Unsolicited Query Config broadcasts sent.', (n) => [[{}, n.announces]]],
  ['aoeblade_nic_in_flight', 'gauge', 'Requests received on the NIC and not answered yet.', (n) => [[{}, n.inFlight]]],
  ['aoeblade_nic_up', 'gauge', '1 when the NIC is up and has carrier, else 0.', (n) => [[{}, n.up && n.carrier ? 1 : 0]]],
  ['aoeblade_nic_mtu_bytes', 'gauge', 'MTU of the NIC.', (n) => [[{}, n.mtu]]],
  [
    'aoeblade_nic_sectors_per_frame',
    'gauge',
    'Sectors per ATA frame advertised on the NIC (follows its MTU).',
    (n) => [[{}, n.sectorCount]],
  ],
  [
    'aoeblade_nic_reply_frames',
    'gauge',
    'Pooled reply frames of the NIC: total and free.',
    (n) => [
      [{ state: 'total' }, n.poolSize],
      [{ state: 'free' }, n.poolFree],
    ],
  ],
];

function samples<T>(items: readonly T[], labelsOf: (item: T) => Record<string, string>, family: Family<T>): Sample[] {
  return items.flatMap((item) => family[3](item).map(([labels, value]): Sample => [{ ...labelsOf(item), ...labels }, value]));
}

/** The scrape body for a target: per export, per NIC, the latency histogram and the process families. */
export function renderTargetMetrics(stats: TargetStats): string {
  const text = new MetricsText();
  const exportLabels = (e: ExportStatsSnapshot) => ({ export: e.target });
  const nicLabels = (n: NicStatsSnapshot) => ({ nic: n.name });
  text.family('aoeblade_uptime_seconds', 'gauge', 'Seconds since the target started.', [[{}, stats.uptimeSeconds]]);
  for (const family of EXPORT_FAMILIES) text.family(family[0], family[1], family[2], samples(stats.exports, exportLabels, family));
  text.histogram(
    'aoeblade_export_request_duration_seconds',
    'Time from the receive batch a request arrived in to the send batch its reply left in.',
    stats.exports.map((e) => ({
      labels: exportLabels(e),
      bounds: e.latency.boundsSeconds,
      counts: e.latency.counts,
      sum: e.latency.sumSeconds,
      count: e.latency.count,
    })),
  );
  for (const family of NIC_FAMILIES) text.family(family[0], family[1], family[2], samples(stats.nics, nicLabels, family));
  writeProcessMetrics(text);
  return text.text();
}
