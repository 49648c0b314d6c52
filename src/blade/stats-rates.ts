// Rates between two stats snapshots of a target (what `aoe stats --watch` shows), and the mean latency of a histogram.
import type { LatencySnapshot } from './latency.js';
import type { ExportStatsSnapshot, NicStatsSnapshot, TargetStats } from './stats.js';

export interface ExportRates {
  readBytesPerSecond: number;
  writtenBytesPerSecond: number;
  /** READ, WRITE and FLUSH commands per second. */
  requestsPerSecond: number;
  /** AoE, ATA and I/O error replies per second (I/O errors are counted as ATA errors too, so not added twice). */
  errorsPerSecond: number;
  /** Mean latency of the requests answered in between, in seconds (NaN when none). */
  meanLatencySeconds: number;
}

export interface NicRates {
  framesInPerSecond: number;
  framesOutPerSecond: number;
  bytesInPerSecond: number;
  bytesOutPerSecond: number;
}

export interface TargetRates {
  /** Seconds between the two snapshots. */
  seconds: number;
  /** By export name (e1.1). */
  exports: Map<string, ExportRates>;
  /** By NIC name. */
  nics: Map<string, NicRates>;
}

/** Mean of a histogram (or of the difference of two), in seconds; NaN when it counted nothing. */
export function meanLatencySeconds(after: LatencySnapshot, before?: LatencySnapshot): number {
  const count = after.count - (before?.count ?? 0);
  return count > 0 ? (after.sumSeconds - (before?.sumSeconds ?? 0)) / count : Number.NaN;
}

function exportRates(before: ExportStatsSnapshot, after: ExportStatsSnapshot, seconds: number): ExportRates {
  const per = (field: (snapshot: ExportStatsSnapshot) => number) => Math.max(0, field(after) - field(before)) / seconds;
  return {
    readBytesPerSecond: per((e) => e.bytesRead),
    writtenBytesPerSecond: per((e) => e.bytesWritten),
    requestsPerSecond: per((e) => e.readCommands + e.writeCommands + e.flushes),
    errorsPerSecond: per((e) => e.aoeErrors + e.ataErrors),
    meanLatencySeconds: meanLatencySeconds(after.latency, before.latency),
  };
}

function nicRates(before: NicStatsSnapshot, after: NicStatsSnapshot, seconds: number): NicRates {
  const per = (field: (snapshot: NicStatsSnapshot) => number) => Math.max(0, field(after) - field(before)) / seconds;
  return {
    framesInPerSecond: per((n) => n.framesIn),
    framesOutPerSecond: per((n) => n.framesOut),
    bytesInPerSecond: per((n) => n.bytesIn),
    bytesOutPerSecond: per((n) => n.bytesOut),
  };
}

/** Per-export and per-NIC rates from `before` to `after` (exports and NICs found in both). */
export function targetRates(before: TargetStats, after: TargetStats): TargetRates {
  const seconds = Math.max(0.001, (Date.parse(after.time) - Date.parse(before.time)) / 1000);
  const exports = new Map<string, ExportRates>();
  for (const current of after.exports) {
    const previous = before.exports.find((item) => item.target === current.target);
    if (previous) exports.set(current.target, exportRates(previous, current, seconds));
  }
  const nics = new Map<string, NicRates>();
  for (const current of after.nics) {
    const previous = before.nics.find((item) => item.name === current.name);
    if (previous) nics.set(current.name, nicRates(previous, current, seconds));
  }
  return { seconds, exports, nics };
}
