// Counters kept per export and per NIC by the target engine, and their snapshot shapes.
import type { LinkStats } from '../link/link.js';
import type { LatencySnapshot } from './latency.js';

/** Per-export counters (summed over every NIC that serves the export). Plain fields: the hot path just increments. */
export class ExportCounters {
  framesIn = 0;
  bytesIn = 0;
  framesOut = 0;
  bytesOut = 0;
  readCommands = 0;
  writeCommands = 0;
  bytesRead = 0;
  bytesWritten = 0;
  flushes = 0;
  /** Replies that carried an AoE error (E flag). */
  aoeErrors = 0;
  /** Replies with ATA status ERR (ABRT, IDNF). */
  ataErrors = 0;
  /** Store read/write/flush failures (also counted in ataErrors). */
  ioErrors = 0;
  /** ATA requests ignored because the sender is not on a non-empty Mac Mask List. */
  maskDenied = 0;
  /** ATA requests answered with AoE error 6 because the export is reserved by others. */
  reservedDenied = 0;
  /** Query Config test/prefix requests that did not match and got no answer. */
  configSilent = 0;
  inFlight = 0;
}

/** Per-NIC counters. */
export class NicCounters {
  framesIn = 0;
  bytesIn = 0;
  framesOut = 0;
  bytesOut = 0;
  /** Frames too short for their command, or not AoE: dropped. */
  malformed = 0;
  /** AoE responses (R flag) seen and ignored. */
  responsesIgnored = 0;
  /** Requests for a shelf.slot this NIC does not serve. */
  notForUs = 0;
  /** Requests dropped because every pooled response frame was busy (the initiator retransmits). */
  poolExhausted = 0;
  /** Times link.send accepted fewer frames than offered (EAGAIN/ENOBUFS); the rest were retried. */
  sendRetries = 0;
  /** Frames given up after retrying for several seconds (the initiator retransmits). */
  sendDropped = 0;
  /** Requests dropped while the engine was stopping. */
  droppedStopping = 0;
  inFlight = 0;
  announces = 0;
}

export interface ExportStatsSnapshot extends Omit<ExportCounters, never> {
  shelf: number;
  slot: number;
  target: string;
  sizeBytes: number;
  /** The sticky write/flush failure (every FLUSH fails while set), or null. */
  writeFailure: { code: string; message: string; at: string } | null;
  /** Request arrival to reply sent (see LatencyHistogram). */
  latency: LatencySnapshot;
}

export interface NicStatsSnapshot extends Omit<NicCounters, never> {
  name: string;
  mtu: number;
  sectorCount: number;
  up: boolean;
  carrier: boolean;
  poolSize: number;
  poolFree: number;
  link: LinkStats;
}

export interface TargetStats {
  time: string;
  uptimeSeconds: number;
  exports: ExportStatsSnapshot[];
  nics: NicStatsSnapshot[];
}
